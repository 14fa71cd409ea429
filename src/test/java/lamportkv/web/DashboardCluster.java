package lamportkv.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import lamportkv.config.ReplicaAddress;
import lamportkv.replica.ReplicaListener;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;
import lamportkv.testing.LocalCluster;

/** An in-process cluster whose replicas serve their dashboards on free loopback ports. */
final class DashboardCluster implements AutoCloseable {
    private final LocalCluster cluster;
    private final Map<Integer, Dashboard> dashboards = new TreeMap<>();
    private final long clientId = 0x5eed_0000L + System.nanoTime() % 1000;
    private final AtomicLong seq = new AtomicLong();

    private DashboardCluster(LocalCluster cluster) {
        this.cluster = cluster;
    }

    static DashboardCluster start(int replicas, Path dir) {
        StringBuilder settings = new StringBuilder();
        List<ServerSocket> held = new ArrayList<>();
        LocalCluster cluster;
        try {
            // Held while the cluster picks its RMI ports, so that none of them is picked twice.
            for (int id = 1; id <= replicas; id++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                settings.append("http.").append(id).append('=').append(s.getLocalPort()).append('\n');
            }
            cluster = LocalCluster.create(replicas, dir, settings.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // freed
                }
            }
        }
        DashboardCluster c = new DashboardCluster(cluster);
        for (int id : c.cluster.ids()) {
            c.start(id);
        }
        c.cluster.awaitWorking();
        return c;
    }

    /** Starts (or restarts) replica {@code id} with its dashboard. */
    void start(int id) {
        try {
            dashboards.put(id, Dashboard.start(cluster.start(id), cluster.config()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops replica {@code id} and its dashboard. */
    void stop(int id) {
        dashboards.remove(id).close();
        cluster.stop(id);
    }

    LocalCluster cluster() {
        return cluster;
    }

    /**
     * Reports a view event at replica {@code id} as the view protocol will: to its dashboard's
     * recorder, on the replica's event loop (the recorder's only writer).
     */
    void viewEvent(int id, long viewNumber, List<Integer> members, String what) {
        ReplicaListener recorder = dashboards.get(id).recorder();
        cluster.replica(id).inspect(state -> {
            recorder.viewEvent(viewNumber, members, what);
            return null;
        });
    }

    List<Integer> ids() {
        return cluster.ids();
    }

    URI url(int id, String path) {
        return URI.create("http://127.0.0.1:" + cluster.config().httpPort(id).getAsInt() + path);
    }

    /** Runs a command on replica {@code id} as a shell client would. */
    Reply run(int id, String... words) {
        try {
            ReplicaAddress a = cluster.config().find(id).orElseThrow();
            ReplicaService service = Rmi.replicaService(a.host(), a.port());
            return service.execute(Command.of(clientId, seq.incrementAndGet(), List.of(words), 10_000));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (Dashboard d : new ArrayList<>(dashboards.values())) {
            d.close();
        }
        dashboards.clear();
        cluster.close();
    }
}
