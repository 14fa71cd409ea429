package lamportkv.bench;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Where the CPU of a busy cluster goes, from async-profiler's CPU samples of each process
 * ({@code bench/profile.sh} takes them): per process, the cores it used and their split by the
 * thread's role (event loop, peer links, RMI connection threads, bench clients, JIT, GC) and by
 * the kind of work the sample was doing (forcing the log, socket I/O, Java serialization, thread
 * hand-offs, the protocol itself, ...). A sample counts for the first kind in {@link #KINDS}
 * whose frames it holds, so every sample counts once.
 *
 * <p>Usage:
 * <ul>
 *   <li>{@code java -cp lamportkv.jar lamportkv.bench.CpuProfile SECONDS NAME=FILE.collapsed...}:
 *       the table, from collapsed stacks written with async-profiler's {@code threads} option
 *       (each stack starts with {@code [thread name tid=N]}) and an interval of one millisecond
 *       of CPU per sample;</li>
 *   <li>{@code java -cp lamportkv.jar lamportkv.bench.CpuProfile attach PID AGENT.so COMMAND}:
 *       loads async-profiler into a running JVM with one command (as {@code jcmd}'s
 *       {@code JVMTI.agent_load} cannot: it splits the command's {@code =} signs).</li>
 * </ul>
 */
public final class CpuProfile {
    /** One kind of work: a sample is of it if any frame matches. */
    record Kind(String name, Predicate<String> frame) {
    }

    /**
     * First match wins: the specific before the general (a force is also a syscall, a link's call
     * also I/O, and RMI reads and writes its sockets from inside its object streams). A socket's
     * write goes through the same native write as a file's, so writes are told apart by who calls
     * them, not by the native frame.
     */
    static final List<Kind> KINDS = List.of(
            new Kind("JIT compiler", f -> f.startsWith("CompileBroker::")),
            new Kind("garbage collector", f -> f.startsWith("G1") || f.startsWith("GangWorker") || f.contains("GCTask")
                    || f.startsWith("VM_G1") || f.startsWith("SerialHeap") || f.startsWith("DefNewGeneration")),
            new Kind("log force (fdatasync)", f -> f.contains("FileDispatcherImpl.force") || f.contains("fdatasync")),
            new Kind("log, snapshots (storage)", f -> f.startsWith("lamportkv/storage/")),
            new Kind("socket I/O", f -> f.startsWith("sun/nio/ch/NioSocketImpl") || f.startsWith("sun/nio/ch/SocketDispatcher")
                    || f.startsWith("java/net/Socket")),
            new Kind("thread hand-offs (park, wake)", f -> f.startsWith("jdk/internal/misc/Unsafe.park")
                    || f.startsWith("jdk/internal/misc/Unsafe.unpark") || f.startsWith("java/lang/Object.wait")
                    || f.startsWith("java/lang/Object.notify") || f.contains("futex")),
            new Kind("Java serialization", f -> f.startsWith("java/io/ObjectInputStream")
                    || f.startsWith("java/io/ObjectOutputStream") || f.startsWith("sun/rmi/server/MarshalInputStream")),
            new Kind("links: encode, sign", f -> f.startsWith("lamportkv/replica/PeerLink.encode")
                    || f.startsWith("lamportkv/security/PeerAuth") || f.startsWith("lamportkv/core/Codec")),
            new Kind("protocol, state machine", f -> f.startsWith("lamportkv/core/")),
            new Kind("RMI dispatch", f -> f.startsWith("sun/rmi/")),
            new Kind("other", f -> true));

    /** Thread roles, by the thread's name; first match wins. */
    static final Map<String, Predicate<String>> ROLES = roles();

    private static Map<String, Predicate<String>> roles() {
        Map<String, Predicate<String>> roles = new LinkedHashMap<>();
        roles.put("event loop", t -> t.matches("replica-\\d+-loop"));
        roles.put("peer links", t -> t.startsWith("link-"));
        roles.put("RMI connections", t -> t.startsWith("RMI TCP Connection"));
        roles.put("bench clients", t -> t.startsWith("bench-") || t.startsWith("lamportkv-client"));
        roles.put("JIT compilers", t -> t.startsWith("C1 ") || t.startsWith("C2 "));
        roles.put("GC", t -> t.startsWith("GC ") || t.startsWith("G1 ") || t.equals("VM Thread"));
        roles.put("other threads", t -> true);
        return roles;
    }

    /** One process's samples: the share of each role and of each kind (same order as above), and the total. */
    record Split(String process, long samples, double cores, Map<String, Long> byRole, Map<String, Long> byKind) {
        String table() {
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%s: %.2f cores (%d samples)%n", process,
                    cores, samples));
            s.append("  by thread: ").append(shares(byRole)).append('\n');
            s.append("  by work:   ").append(shares(byKind)).append('\n');
            return s.toString();
        }

        private String shares(Map<String, Long> counts) {
            List<String> parts = new ArrayList<>();
            counts.forEach((name, n) -> {
                if (n > 0) {
                    parts.add(String.format(Locale.ROOT, "%s %.0f%%", name, 100.0 * n / samples));
                }
            });
            return String.join(", ", parts);
        }
    }

    private CpuProfile() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 4 && args[0].equals("attach")) {
            VirtualMachine vm = VirtualMachine.attach(args[1]);
            try {
                vm.loadAgentPath(args[2], args[3]);
            } finally {
                vm.detach();
            }
            return;
        }
        double seconds = args.length < 2 ? -1 : RoundStats.parseSeconds(args[0]);
        if (seconds <= 0) {
            System.err.println("usage: java -cp lamportkv.jar lamportkv.bench.CpuProfile SECONDS NAME=FILE.collapsed..."
                    + "\n       java -cp lamportkv.jar lamportkv.bench.CpuProfile attach PID AGENT.so COMMAND");
            System.exit(2);
        }
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            String name = eq > 0 ? args[i].substring(0, eq) : args[i];
            Path file = Path.of(eq > 0 ? args[i].substring(eq + 1) : args[i]);
            try (Stream<String> lines = Files.lines(file)) {
                System.out.print(split(name, lines.toList(), seconds).table());
            } catch (IOException e) {
                System.err.println("error: cannot read " + file + ": " + e.getMessage());
                System.exit(1);
            }
        }
    }

    /** Splits collapsed stacks ({@code [thread tid=N];frame;frame... COUNT}), one millisecond per sample, over {@code seconds}. */
    static Split split(String process, List<String> collapsed, double seconds) {
        Map<String, Long> byRole = new LinkedHashMap<>();
        ROLES.keySet().forEach(r -> byRole.put(r, 0L));
        Map<String, Long> byKind = new LinkedHashMap<>();
        KINDS.forEach(k -> byKind.put(k.name(), 0L));
        long total = 0;
        for (String line : collapsed) {
            int space = line.lastIndexOf(' ');
            if (space < 0 || line.isBlank()) {
                continue;
            }
            long count = Long.parseLong(line.substring(space + 1).trim());
            String[] frames = line.substring(0, space).split(";");
            String thread = frames[0].startsWith("[") ? frames[0].replaceAll("^\\[(.*?)( tid=\\d+)?]$", "$1") : "";
            total += count;
            String role = ROLES.entrySet().stream().filter(e -> e.getValue().test(thread)).findFirst().get().getKey();
            byRole.merge(role, count, Long::sum);
            byKind.merge(kindOf(frames), count, Long::sum);
        }
        return new Split(process, total, total / 1_000.0 / seconds, byRole, byKind);
    }

    static String kindOf(String[] frames) {
        for (Kind k : KINDS) {
            for (String f : frames) {
                if (k.frame().test(f)) {
                    return k.name();
                }
            }
        }
        throw new AssertionError("the last kind matches every frame");
    }
}
