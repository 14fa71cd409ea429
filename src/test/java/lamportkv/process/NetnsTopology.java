package lamportkv.process;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The network docker-compose.yml gives the replicas, made of Linux network namespaces: a bridge
 * {@value #BRIDGE} in this (the root) namespace holding {@code 10.77.0.254/24}, and per replica
 * {@code id} a namespace {@code lkv<id>} joined to the bridge by a veth pair, its end named
 * {@code eth0} as in a container, with the address {@code 10.77.0.<id>/24} and its loopback up.
 * The replicas' namespaces have no other route, so nothing they send leaves the bridge.
 *
 * <p>Needs root (CAP_NET_ADMIN, and CAP_SYS_ADMIN for {@code ip netns exec}); {@link #create}
 * skips the test, saying why, where that is not permitted. Everything is removed on
 * {@link #close}, on JVM exit, and before it is made (what a killed run left). A file lock keeps
 * two runs on one machine from sharing the names.
 */
final class NetnsTopology implements AutoCloseable {
    static final String BRIDGE = "lkvbr0";
    /** The first three octets of every address; {@code .254} is the bridge, {@code .<id>} replica id. */
    static final String SUBNET = "10.77.0";
    private static final Path LOCK = Path.of("/tmp/lamportkv-netns-it.lock");
    private static final long LOCK_WAIT_MILLIS = 180_000;

    private final String ip;
    private final String iptables = findTool("iptables");   // null: no firewall to pass
    private final int replicas;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final Thread onExit = new Thread(this::removeAll, "netns-cleanup");
    private boolean closed;

    private NetnsTopology(String ip, int replicas, FileChannel lockFile, FileLock lock) {
        this.ip = ip;
        this.replicas = replicas;
        this.lockFile = lockFile;
        this.lock = lock;
    }

    static String namespace(int id) {
        return "lkv" + id;
    }

    static String address(int id) {
        return SUBNET + "." + id;
    }

    /** This namespace's address on the bridge: where a client here talks from. */
    static String bridgeAddress() {
        return SUBNET + ".254";
    }

    /**
     * Writes {@code dir/replicas.properties} for replicas 1..{@code replicas} at
     * {@code 10.77.0.<id>:<port>}: one port, several addresses, as compose's {@code replica<id>:7101}.
     */
    static Path writeConfig(Path dir, int replicas, int port) throws IOException {
        StringBuilder text = new StringBuilder("data.dir=data\n");
        for (int id = 1; id <= replicas; id++) {
            text.append("replica.").append(id).append('=').append(address(id)).append(':').append(port).append('\n');
        }
        Path file = dir.resolve("replicas.properties");
        Files.writeString(file, text);
        return file;
    }

    /** The command prefix that runs a program inside replica {@code id}'s namespace. */
    List<String> exec(int id) {
        return List.of(ip, "netns", "exec", namespace(id));
    }

    /**
     * Builds the topology for replicas 1..{@code replicas}. Aborts the test (a skip, with the
     * reason) if this machine has no {@code ip}, does not permit namespaces or already uses the
     * subnet; fails it if a later step fails.
     */
    static NetnsTopology create(int replicas) throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"),
                () -> skip("network namespaces are Linux only; this is " + System.getProperty("os.name")));
        String ip = findIp();
        Assumptions.assumeTrue(ip != null, () -> skip("no `ip` command (iproute2) in /usr/sbin, /sbin, /usr/bin or /bin"));
        String missing = missingCapabilities();
        Assumptions.assumeTrue(missing.isEmpty(), () -> skip("this process lacks " + missing
                + " (network namespaces need root)"));
        FileChannel lockFile;
        try {
            lockFile = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (java.nio.file.AccessDeniedException e) {
            Assumptions.abort(skip("cannot open the lock file " + LOCK + ": permission denied"));
            throw e;
        }
        FileLock lock = null;
        long deadline = System.currentTimeMillis() + LOCK_WAIT_MILLIS;
        while (lock == null) {
            lock = lockFile.tryLock();
            if (lock == null) {
                if (System.currentTimeMillis() > deadline) {
                    lockFile.close();
                    throw new AssertionError("another run has held " + LOCK + " for " + LOCK_WAIT_MILLIS / 1000 + "s");
                }
                Thread.sleep(200);
            }
        }
        NetnsTopology topology = new NetnsTopology(ip, replicas, lockFile, lock);
        try {
            Runtime.getRuntime().addShutdownHook(topology.onExit);
            topology.removeAll();
            topology.build();
            return topology;
        } catch (Throwable e) {
            topology.close();
            throw e;
        }
    }

    private void build() throws Exception {
        String inUse = run(ip, "-o", "addr", "show", "to", SUBNET + ".0/24").output().strip();
        Assumptions.assumeTrue(inUse.isEmpty(), () -> skip(SUBNET + ".0/24 is already in use here: " + inUse));
        Result probe = run(ip, "netns", "add", namespace(1));
        Assumptions.assumeTrue(probe.code() == 0, () -> skip("`ip netns add` is not permitted here (" + probe.output().strip()
                + "); it needs root or CAP_NET_ADMIN"));
        Result exec = run(ip, "netns", "exec", namespace(1), ip, "link", "set", "lo", "up");
        Assumptions.assumeTrue(exec.code() == 0, () -> skip("`ip netns exec` is not permitted here (" + exec.output().strip()
                + "); it needs root or CAP_SYS_ADMIN"));
        // No bridge-netfilter where the host leaves it to each bridge; but once dockerd has loaded
        // br_netfilter, net.bridge.bridge-nf-call-iptables=1 applies to every bridge, and Docker's
        // FORWARD policy (DROP) would drop the frames between the namespaces: let ours through.
        must(ip, "link", "add", BRIDGE, "type", "bridge", "nf_call_iptables", "0", "nf_call_ip6tables", "0");
        must(ip, "addr", "add", bridgeAddress() + "/24", "dev", BRIDGE);
        must(ip, "link", "set", BRIDGE, "up");
        if (iptables != null && run(iptables, "-S", "FORWARD").code() == 0) {
            must(forwardRule("-I"));
        }
        for (int id = 1; id <= replicas; id++) {
            String ns = namespace(id);
            if (id > 1) {
                must(ip, "netns", "add", ns);
                must(ip, "-n", ns, "link", "set", "lo", "up");
            }
            must(ip, "link", "add", hostEnd(id), "type", "veth", "peer", "name", nsEnd(id));
            must(ip, "link", "set", nsEnd(id), "netns", ns);
            must(ip, "-n", ns, "link", "set", nsEnd(id), "name", "eth0");
            must(ip, "-n", ns, "addr", "add", address(id) + "/24", "dev", "eth0");
            must(ip, "-n", ns, "link", "set", "eth0", "up");
            must(ip, "link", "set", hostEnd(id), "master", BRIDGE);
            must(ip, "link", "set", hostEnd(id), "up");
        }
        // Nothing is sent before this holds: the subnet is reached through the bridge, never a default route.
        for (int id = 1; id <= replicas; id++) {
            String route = run(ip, "route", "get", address(id)).output();
            if (!route.contains("dev " + BRIDGE + " ")) {
                throw new AssertionError(address(id) + " is not routed through " + BRIDGE + ": " + route);
            }
        }
    }

    /**
     * Cuts replica {@code id}'s cable: its veth's bridge end goes down, so nothing passes between
     * its namespace and the bridge (peers, clients here) and nothing is refused either: packets
     * vanish, as in a real partition. Inside its namespace its own address still answers (a
     * client run there with {@link #exec} reaches it over loopback).
     */
    void cut(int id) throws Exception {
        must(ip, "link", "set", hostEnd(id), "down");
    }

    /** Reconnects what {@link #cut} disconnected. */
    void heal(int id) throws Exception {
        must(ip, "link", "set", hostEnd(id), "up");
    }

    /** A description of what was built, for the test's output. */
    String describe() throws Exception {
        StringBuilder text = new StringBuilder(run(ip, "-br", "addr", "show", "dev", BRIDGE).output());
        for (int id = 1; id <= replicas; id++) {
            text.append(namespace(id)).append(": ").append(run(ip, "-n", namespace(id), "-br", "addr").output()
                    .replace("\n", "; "));
            text.append('\n');
        }
        return text.toString();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException shuttingDown) {
            // The hook runs (or ran) anyway.
        }
        removeAll();
        try {
            lock.release();
            lockFile.close();
        } catch (IOException e) {
            // The lock goes with the process in any case.
        }
    }

    /**
     * Kills what runs in the namespaces, then deletes them, the veth pairs and the bridge. Quiet
     * about what is not there. Runs even on an interrupted thread (a timed-out test).
     */
    private void removeAll() {
        boolean interrupted = Thread.interrupted();
        try {
            for (int id = 1; id <= replicas; id++) {
                for (String pid : quiet(ip, "netns", "pids", namespace(id)).output().split("\\s+")) {
                    if (pid.matches("[0-9]+")) {
                        ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
                            p.destroyForcibly();
                            try {
                                p.onExit().get(10, TimeUnit.SECONDS);
                            } catch (Exception e) {
                                // Deleted regardless below; the namespace goes when the process does.
                            }
                        });
                    }
                }
                // The veth pair first: deleting it is synchronous, a namespace's devices go asynchronously.
                quiet(ip, "link", "del", hostEnd(id));
                quiet(ip, "netns", "del", namespace(id));
            }
            quiet(ip, "link", "del", BRIDGE);
            for (int i = 0; i < 10 && iptables != null && quiet(forwardRule("-C")).code() == 0; i++) {
                quiet(forwardRule("-D"));
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code iptables OP FORWARD ...}: accept what passes between two ports of our bridge. */
    private String[] forwardRule(String op) {
        return op.equals("-I") ? new String[] {iptables, op, "FORWARD", "1", "-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT"}
                : new String[] {iptables, op, "FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT"};
    }

    private static String hostEnd(int id) {
        return "lkv" + id + "h";
    }

    private static String nsEnd(int id) {
        return "lkv" + id + "n";
    }

    private static String skip(String reason) {
        String message = "network namespace test skipped: " + reason;
        System.out.println(message);
        return message;
    }

    /** The capabilities {@code ip netns} needs that this process lacks (from /proc/self/status), or "". */
    private static String missingCapabilities() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long effective = Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16);
                    List<String> missing = new ArrayList<>();
                    if ((effective & (1L << 12)) == 0) {
                        missing.add("CAP_NET_ADMIN");
                    }
                    if ((effective & (1L << 21)) == 0) {
                        missing.add("CAP_SYS_ADMIN");
                    }
                    return String.join(" and ", missing);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Unknown: the probe in build() decides.
        }
        return "";
    }

    private static String findIp() {
        return findTool("ip");
    }

    private static String findTool(String name) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    record Result(int code, String output) {
    }

    private static void must(String... command) throws Exception {
        Result r = run(command);
        if (r.code() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + r.code() + "): " + r.output().strip());
        }
    }

    private static Result quiet(String... command) {
        try {
            return run(command);
        } catch (Exception e) {
            return new Result(-1, e.toString());
        }
    }

    /** Runs a command to its end (at most 20 s), stdout and stderr together. */
    static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, String.join(" ", command) + ": did not finish within 20s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
