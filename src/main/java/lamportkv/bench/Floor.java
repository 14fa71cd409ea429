package lamportkv.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.rmi.Remote;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.UnicastRemoteObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import lamportkv.storage.WriteAheadLog;
import org.HdrHistogram.Histogram;
import org.tinylog.configuration.Configuration;

/**
 * What this machine allows any implementation of the protocol, measured with the parts a replica
 * uses: how long one disk force of the write-ahead log takes (alone, and while two other logs
 * force too, as three replicas on one disk do), how long one RMI round trip takes, and how many
 * (empty) RMI calls per second 64 clients can make at most.
 *
 * <p>One operation of one client needs, one after another: the client's call, a force at its
 * replica (the REQUEST may leave only after it), a hop, a force at each peer (before its OK), and
 * a hop back; then the origin executes and answers at once (PROTOCOL.md's one permitted early
 * answer: the force of that last round covers only the OKs' receipt and the APPLY, which the
 * client does not wait for). So no replica of this protocol answers one client faster than
 * {@code 2 × round trip + 2 × force} here, counting a hop as half a round trip.
 * {@code bench/compare.sh} prints this line beside etcd's.
 *
 * <p>The remote calls go to three other JVMs on loopback, as a client's and the peers' calls go
 * to the replicas' processes (within one JVM they would be several times faster than anything a
 * cluster sees).
 *
 * <p>Usage: {@code java -cp lamportkv.jar lamportkv.bench.Floor [DIR]}: the forces go to a fresh
 * log in a temporary directory under DIR (default: the system's temporary directory, where the
 * benchmark clusters keep their data). Prints one JSON line.
 */
public final class Floor {
    static final int FORCES = 2_000;
    static final int RECORD_BYTES = 150;       // about one request record
    static final int ROUND_TRIPS = 5_000;
    static final int CEILING_CLIENTS = 64;
    static final long CEILING_WARMUP_MILLIS = 3_000;
    static final long CEILING_MILLIS = 5_000;
    private static final String SERVE = "--serve-echo";

    /** The smallest remote call: a few bytes in, a few out, nothing done. */
    public interface Echo extends Remote {
        byte[] echo(byte[] payload) throws RemoteException;
    }

    private static final class EchoService implements Echo {
        @Override
        public byte[] echo(byte[] payload) {
            return new byte[16];
        }
    }

    private Floor() {
    }

    public static void main(String[] args) throws Exception {
        Configuration.set("writer.level", "warn");     // stdout is for the JSON line
        if (args.length == 1 && args[0].equals(SERVE)) {
            serve();
            return;
        }
        if (args.length > 1 || (args.length == 1 && args[0].startsWith("-"))) {
            System.err.println("usage: java -cp lamportkv.jar lamportkv.bench.Floor [DIR]");
            System.exit(2);
        }
        Path parent = Path.of(args.length == 1 ? args[0] : System.getProperty("java.io.tmpdir"));
        if (!Files.isDirectory(parent)) {
            System.err.println("error: " + parent + " is not a directory; name one on the disk the replicas use");
            System.exit(2);
        }
        Histogram force = forces(parent);
        Histogram together = forcesTogether(parent, 3);
        List<Process> servers = new ArrayList<>();
        Histogram roundTrip;
        Ceiling calls;
        try {
            List<Echo> stubs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Process server = startServer();
                servers.add(server);
                stubs.add(stub(server));
            }
            roundTrip = roundTrips(stubs.get(0));
            calls = callsPerSecond(stubs, CEILING_CLIENTS, servers);
        } finally {
            servers.forEach(Process::destroy);
        }
        long forceP50 = force.getValueAtPercentile(50) / 1_000;
        long rttP50 = roundTrip.getValueAtPercentile(50) / 1_000;
        System.out.println(new Json()
                .field("system", "floor")
                .field("force_p50_us", forceP50)
                .field("force_p99_us", force.getValueAtPercentile(99) / 1_000)
                .field("force_3_at_once_p50_us", together.getValueAtPercentile(50) / 1_000)
                .field("rmi_rtt_p50_us", rttP50)
                .field("one_client_floor_us", oneClientFloorMicros(forceP50, rttP50))
                .field("rmi_calls_per_s", calls.perSecond())
                .number("rmi_cpu_us_per_call", String.format(java.util.Locale.ROOT, "%.1f", calls.cpuMicrosPerCall()))
                .field("rmi_clients", CEILING_CLIENTS)
                .toString());
    }

    /** The least one operation of one client takes: its call, two hops, two forces in sequence. */
    static long oneClientFloorMicros(long forceMicros, long roundTripMicros) {
        return 2 * roundTripMicros + 2 * forceMicros;
    }

    /** Appends a record and forces, as a replica's round does, {@link #FORCES} times. */
    static Histogram forces(Path parent) throws IOException {
        Path dir = Files.createTempDirectory(parent, "lamportkv-floor-");
        Histogram h = new Histogram(3);
        try (WriteAheadLog log = WriteAheadLog.open(dir, 64L * 1024 * 1024, WriteAheadLog.PREPARE_BYTES)) {
            byte[] record = new byte[RECORD_BYTES];
            for (int i = 0; i < FORCES; i++) {
                log.append(record);
                long started = System.nanoTime();
                log.force();
                h.recordValue(System.nanoTime() - started);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return h;
    }

    /** As {@link #forces}, on {@code logs} logs forced at the same time, as replicas sharing a disk force. */
    static Histogram forcesTogether(Path parent, int logs) throws Exception {
        List<CompletableFuture<Histogram>> runs = new ArrayList<>();
        for (int i = 0; i < logs; i++) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return forces(parent);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, runnable -> new Thread(runnable, "floor-forces").start()));
        }
        Histogram all = new Histogram(3);
        for (CompletableFuture<Histogram> run : runs) {
            all.add(run.get());
        }
        return all;
    }

    /** One client's round trips to {@code stub}, after as many to warm up. */
    static Histogram roundTrips(Echo stub) throws RemoteException {
        Histogram h = new Histogram(3);
        byte[] payload = new byte[RECORD_BYTES];
        for (int i = 0; i < 2 * ROUND_TRIPS; i++) {
            long started = System.nanoTime();
            stub.echo(payload);
            if (i >= ROUND_TRIPS) {
                h.recordValue(System.nanoTime() - started);
            }
        }
        return h;
    }

    /**
     * Empty RMI calls: how many per second, and the CPU time one costs, the caller's and the
     * server's together (this process and the servers', over the counted interval): the least CPU
     * any operation that is one client RMI call can take here.
     */
    record Ceiling(long perSecond, double cpuMicrosPerCall) {
    }

    /** Closed-loop empty calls from {@code clients} threads spread over {@code stubs}, served by {@code servers}. */
    static Ceiling callsPerSecond(List<Echo> stubs, int clients, List<Process> servers) throws Exception {
        AtomicBoolean counting = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder calls = new LongAdder();
        CountDownLatch stopped = new CountDownLatch(clients);
        try {
            for (int c = 0; c < clients; c++) {
                Echo stub = stubs.get(c % stubs.size());
                Thread t = new Thread(() -> {
                    byte[] payload = new byte[RECORD_BYTES];
                    try {
                        while (!stop.get()) {
                            stub.echo(payload);
                            if (counting.get()) {
                                calls.increment();
                            }
                        }
                    } catch (RemoteException e) {
                        System.err.println("error: a loopback RMI call failed: " + e.getMessage());
                    } finally {
                        stopped.countDown();
                    }
                }, "floor-client-" + c);
                t.setDaemon(true);
                t.start();
            }
            Thread.sleep(CEILING_WARMUP_MILLIS);
            long cpuBefore = cpuNanos(servers);
            counting.set(true);
            long started = System.nanoTime();
            Thread.sleep(CEILING_MILLIS);
            counting.set(false);
            long elapsed = System.nanoTime() - started;
            long cpu = cpuNanos(servers) - cpuBefore;
            long counted = Math.max(1, calls.sum());
            return new Ceiling(Math.round(counted * 1e9 / elapsed), cpu / 1_000.0 / counted);
        } finally {
            stop.set(true);
            stopped.await();
        }
    }

    /** CPU time used so far by this process and {@code servers}. */
    private static long cpuNanos(List<Process> servers) {
        long total = lamportkv.rmi.ReplicaStatus.processCpuNanos();
        for (Process p : servers) {
            total += p.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
        }
        return total;
    }

    /** A JVM like this one serving {@link Echo} on a free loopback port; it prints the port, and ends with our stdin. */
    private static Process startServer() throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Floor.class.getName(), SERVE)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static Echo stub(Process server) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.matches("[0-9]+")) {
            throw new IOException("the echo server did not start (it printed: " + line + ")");
        }
        Registry registry = LocateRegistry.getRegistry(InetAddress.getLoopbackAddress().getHostAddress(),
                Integer.parseInt(line));
        return (Echo) registry.lookup(Echo.class.getSimpleName());
    }

    /** The server side: exports one {@link Echo} and its registry on one port, until stdin closes. */
    private static void serve() throws Exception {
        System.setProperty("java.rmi.server.hostname", InetAddress.getLoopbackAddress().getHostAddress());
        EchoService service = new EchoService();
        Registry registry;
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        registry = LocateRegistry.createRegistry(port);
        registry.rebind(Echo.class.getSimpleName(), UnicastRemoteObject.exportObject(service, port));
        System.out.println(port);
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the parent ends
        }
        System.exit(0);
    }
}
