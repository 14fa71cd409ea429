package lamportkv.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ConfigException;
import lamportkv.replica.Replica;
import lamportkv.rmi.StateHash;

/**
 * A cluster of real replicas inside the test's JVM, talking real RMI on loopback ports that were
 * free when it started. Writes a {@code replicas.properties} describing itself, so the client can
 * be pointed at it exactly as a user would.
 */
public final class LocalCluster implements AutoCloseable {
    private final Path configFile;
    private final ClusterConfig config;
    private final Map<Integer, Replica> running = new TreeMap<>();

    private LocalCluster(Path configFile, ClusterConfig config) {
        this.configFile = configFile;
        this.config = config;
    }

    /** Starts {@code replicas} replicas with ids 1..N; their files go under {@code dir}. */
    public static LocalCluster start(int replicas, Path dir) {
        return start(replicas, dir, "");
    }

    /** As {@link #start(int, Path)}, with more settings ({@code "view.suspect.seconds=60\n"}). */
    public static LocalCluster start(int replicas, Path dir, String settings) {
        LocalCluster cluster = create(replicas, dir, settings);
        for (int id : cluster.config.ids()) {
            cluster.start(id);
        }
        cluster.awaitWorking();
        return cluster;
    }

    /**
     * Waits until every running replica is a working member of its view (a brand-new cluster
     * serves once its replicas have told each other that it is new). Fails after ten seconds,
     * naming each replica's view.
     */
    public void awaitWorking() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Map<Integer, String> conditions = new TreeMap<>();
            for (Map.Entry<Integer, Replica> r : running.entrySet()) {
                lamportkv.rmi.ReplicaStatus status;
                try {
                    status = r.getValue().clientService().status();
                } catch (java.rmi.RemoteException e) {
                    throw new IllegalStateException(e);
                }
                if (!status.viewCondition().isEmpty()) {
                    conditions.put(r.getKey(), "view " + status.viewNumber() + ": " + status.viewCondition());
                }
            }
            if (conditions.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("replicas not working after 10 s: " + conditions);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Writes the configuration for {@code replicas} replicas on free ports, starting none of them. */
    public static LocalCluster create(int replicas, Path dir) {
        return create(replicas, dir, "");
    }

    /** As {@link #create(int, Path)}, with more settings ({@code "snapshot.every=50\n"}). */
    public static LocalCluster create(int replicas, Path dir, String settings) {
        StringBuilder text = new StringBuilder("# written by LocalCluster\ndata.dir=data\n").append(settings);
        if (!settings.isEmpty() && !settings.endsWith("\n")) {
            text.append('\n');
        }
        for (int id = 1; id <= replicas; id++) {
            text.append("replica.").append(id).append("=127.0.0.1:").append(freePort()).append('\n');
        }
        try {
            Files.createDirectories(dir);
            Path file = dir.resolve("replicas.properties");
            Files.writeString(file, text);
            return new LocalCluster(file, ClusterConfig.load(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ConfigException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Starts (or restarts) replica {@code id}. */
    public Replica start(int id) {
        if (running.containsKey(id)) {
            throw new IllegalStateException("replica " + id + " is running");
        }
        try {
            Replica replica = Replica.start(config, id);
            running.put(id, replica);
            return replica;
        } catch (Replica.StartException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Stops replica {@code id}: its port closes and its peers see it unreachable. */
    public void stop(int id) {
        Replica replica = running.remove(id);
        if (replica == null) {
            throw new IllegalStateException("replica " + id + " is not running");
        }
        replica.close();
    }

    public Path configFile() {
        return configFile;
    }

    public ClusterConfig config() {
        return config;
    }

    public List<Integer> ids() {
        return config.ids();
    }

    public Replica replica(int id) {
        Replica r = running.get(id);
        if (r == null) {
            throw new IllegalStateException("replica " + id + " is not running");
        }
        return r;
    }

    /**
     * The state hash every running replica reports, once they all report the same one. An
     * operation returns when its origin has executed it; its APPLY may still be on the way to the
     * others, so comparing hashes right away is a race. Fails after ten seconds of disagreement,
     * naming each replica's hash.
     */
    public StateHash awaitConverged() throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            Map<Integer, StateHash> hashes = new TreeMap<>();
            for (Map.Entry<Integer, Replica> r : running.entrySet()) {
                hashes.put(r.getKey(), r.getValue().clientService().hash());
            }
            if (hashes.values().stream().distinct().count() <= 1) {
                return hashes.values().stream().findFirst().orElseThrow(
                        () -> new IllegalStateException("no replica is running"));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("replicas still disagree after 10 s: " + hashes);
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        for (Replica r : new ArrayList<>(running.values())) {
            r.close();
        }
        running.clear();
    }

    private static int freePort() {
        return Ports.free();
    }
}
