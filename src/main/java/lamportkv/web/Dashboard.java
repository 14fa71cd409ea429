package lamportkv.web;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.util.OptionalInt;
import lamportkv.config.ClusterConfig;
import lamportkv.replica.Replica;
import lamportkv.replica.ReplicaListener;
import lamportkv.rmi.EventView;
import lamportkv.rmi.Observation;
import lamportkv.web.JsonModel.ClusterJson;
import lamportkv.web.JsonModel.StatusJson;
import lamportkv.web.JsonModel.SwitchesJson;
import org.tinylog.Logger;

/**
 * A replica's live dashboard: records the replica's events (for its own page and its peers'),
 * and, when {@code http.<id>} is configured, serves the page, the JSON API, the event stream and
 * the Prometheus metrics on the replica's own host.
 *
 * <pre>
 * Replica ──listener──▶ EventRecorder (ring) ◀── PeerService.observe ── other replicas' dashboards
 *         ──listener──▶ Metrics
 * ClusterWatcher: polls every replica's observation ──▶ EventStream (SSE) ──▶ the page
 * </pre>
 */
public final class Dashboard implements AutoCloseable {
    /** How long {@code /api/cluster} waits for the replicas' answers. */
    static final long CLUSTER_ANSWER_MILLIS = 3_000;

    private final Replica replica;
    private final ReplicaViews views;
    private final EventRecorder recorder;
    private final Metrics metrics;
    private final ClusterWatcher cluster;
    private final ObjectMapper json = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)       // "replica": 1.5 is no replica
            .build();
    private final Controls controls;
    private final Switches switches;
    private final EventStream events;
    private DashboardServer server;

    private Dashboard(Replica replica, ClusterConfig config) {
        this.replica = replica;
        this.views = new ReplicaViews(replica);
        this.recorder = new EventRecorder(replica.id(), views::read);
        this.metrics = new Metrics(config.ids().stream().filter(id -> id != replica.id()).toList());
        this.cluster = new ClusterWatcher(config, replica.id(), recorder);
        this.controls = new Controls(replica, cluster);
        this.switches = new Switches(replica, recorder, cluster, json);
        this.events = new EventStream(cluster, json, this::switchesJson);
    }

    /**
     * Starts recording {@code replica}'s events if any replica of the configuration serves a
     * dashboard (its page shows every replica's events), and serves this replica's dashboard if
     * the configuration gives it an HTTP port. Without any {@code http.<id>}, nothing is recorded.
     *
     * @throws IOException with a one-line message if the port cannot be had
     */
    public static Dashboard start(Replica replica, ClusterConfig config) throws IOException {
        Dashboard d = new Dashboard(replica, config);
        if (config.ids().stream().anyMatch(id -> config.httpPort(id).isPresent())) {
            replica.addListener(d.recorder);
            replica.observeWith(d.recorder::observe);
        }
        OptionalInt port = config.httpPort(replica.id());
        if (port.isPresent()) {
            replica.addListener(d.metrics);
            d.cluster.start();
            d.events.start();
            try {
                d.server = DashboardServer.start(d, d.json, InetAddress.getByName(replica.address().host()),
                        port.getAsInt());
            } catch (IOException e) {
                d.close();
                throw e;
            }
            Logger.tag("replica " + replica.id()).info("dashboard at {}", d.url());
        }
        return d;
    }

    int id() {
        return replica.id();
    }

    /** The page's address, or "" without an HTTP port. */
    public String url() {
        return server == null ? "" : cluster.dashboard(replica.id());
    }

    Controls controls() {
        return controls;
    }

    /** The listener that records the replica's events (tests report view events through it). */
    ReplicaListener recorder() {
        return recorder;
    }

    Switches switches() {
        return switches;
    }

    EventStream events() {
        return events;
    }

    StatusJson status() {
        Observation now = new Observation(views.read(), 0, new EventView[0], 0, recorder.executed(), recorder.autoTick());
        return new StatusJson(ClusterWatcher.replicaJson(now, cluster.dashboard(replica.id()), true, "", 0,
                System.currentTimeMillis(), cluster.ids().size() - 1), ClusterWatcher.data(now.replica()));
    }

    ClusterJson cluster() throws ApiException {
        long asked = System.currentTimeMillis();
        cluster.touch();
        try {
            cluster.awaitFresh(asked, CLUSTER_ANSWER_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted");
        }
        return events.picture(200);
    }

    void writeMetrics(OutputStream out) throws IOException {
        metrics.write(views.read(), out);
    }

    private SwitchesJson switchesJson() {
        return new SwitchesJson(switches.autoTick(), switches.slowMotion());
    }

    /** Stops serving and watching; the replica keeps running (and recording, for its peers). */
    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        events.close();
        cluster.close();
        switches.close();
    }
}
