package lamportkv.web;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lamportkv.core.Operation;
import lamportkv.core.PeerMessage;
import lamportkv.core.Request;
import lamportkv.core.Result;
import lamportkv.replica.ReplicaListener;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaView;

/**
 * A replica's Prometheus metrics, served at {@code /metrics}. Counters are fed by the replica's
 * listener calls through data points resolved once, without exemplars, so the event loop pays one add per event;
 * gauges (clock, buffer, peers, view) are read from the replica when scraped.
 */
final class Metrics implements ReplicaListener {
    private static final double[] OPERATION_SECONDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
        0.5, 1, 2.5, 5, 10, 30};
    private static final double[] FORCE_SECONDS = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
        0.025, 0.05, 0.1, 0.25, 1};
    /**
     * Operation kinds as labels: the replicated commands, anything else as "other" (labels stay few).
     * Every name of {@link Operation#NAMES}: {@link #answered} counts each under its own.
     */
    private static final List<String> KINDS = Stream.concat(Operation.NAMES.stream(), Stream.of("other")).toList();
    private static final List<String> MESSAGES = List.of("REQUEST", "OK", "APPLY");

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Map<String, CounterDataPoint[]> operations = new HashMap<>();     // by kind, then by status
    private final Map<String, DistributionDataPoint> latency = new HashMap<>();
    /** By peer: sent REQUEST, OK, APPLY, then received REQUEST, OK, APPLY. */
    private final Map<Integer, CounterDataPoint[]> linkMessages = new HashMap<>();
    private final Map<Integer, CounterDataPoint> linkBytes = new HashMap<>();
    private final DistributionDataPoint forces;
    private final Gauge clock;
    private final Gauge bufferLength;
    private final Gauge applied;
    private final Gauge reachable;
    private final Gauge viewNumber;
    private final Gauge viewMembers;
    /** Views installed, as last read from the replica; the counter reads it when scraped. */
    private volatile long viewChanges;

    Metrics(List<Integer> peers) {
        Counter operationsTotal = Counter.builder().name("lamportkv_operations_total")
                .help("Client operations answered by this replica, by kind and result, the reply's status (ok;"
                        + " failed: ordered but failed everywhere; refused: bad input; unavailable: not taken now;"
                        + " abandoned: taken, then stopped before answering; not_applied: out of time before it was"
                        + " stamped, taken back; timeout: out of time after, may still apply)")
                .labelNames("kind", "result").withoutExemplars().register(registry);
        Histogram operationSeconds = Histogram.builder().name("lamportkv_operation_duration_seconds")
                .help("Time from a client operation's arrival to its answer").unit(Unit.SECONDS)
                .labelNames("kind").classicOnly().classicUpperBounds(OPERATION_SECONDS).withoutExemplars().register(registry);
        for (String kind : KINDS) {
            CounterDataPoint[] byStatus = new CounterDataPoint[Reply.Status.values().length];
            for (Reply.Status status : Reply.Status.values()) {
                byStatus[status.ordinal()] = operationsTotal.labelValues(kind, status.name().toLowerCase());
            }
            operations.put(kind, byStatus);
            latency.put(kind, operationSeconds.labelValues(kind));
        }
        Counter messages = Counter.builder().name("lamportkv_link_messages_total")
                .help("Peer messages on each link, once each (re-sends not counted), by direction and type")
                .labelNames("peer", "direction", "type").withoutExemplars().register(registry);
        Counter bytes = Counter.builder().name("lamportkv_link_received_bytes_total")
                .help("Encoded bytes of the batches received from each peer, heartbeats and re-sends included"
                        + " (the link peer->this replica)")
                .labelNames("peer").withoutExemplars().register(registry);
        for (int peer : peers) {
            CounterDataPoint[] points = new CounterDataPoint[6];
            for (int i = 0; i < 3; i++) {
                points[i] = messages.labelValues(String.valueOf(peer), "sent", MESSAGES.get(i));
                points[3 + i] = messages.labelValues(String.valueOf(peer), "received", MESSAGES.get(i));
            }
            linkMessages.put(peer, points);
            linkBytes.put(peer, bytes.labelValues(String.valueOf(peer)));
        }
        forces = Histogram.builder().name("lamportkv_disk_force_duration_seconds")
                .help("Forces of the write-ahead log (one per event-loop round with records; _count is the number"
                        + " of forces)").unit(Unit.SECONDS)
                .classicOnly().classicUpperBounds(FORCE_SECONDS).withoutExemplars().register(registry);
        clock = Gauge.builder().name("lamportkv_lamport_clock").help("This replica's Lamport clock").register(registry);
        bufferLength = Gauge.builder().name("lamportkv_buffer_length")
                .help("Requests in this replica's buffer, waiting to be applied").register(registry);
        applied = Gauge.builder().name("lamportkv_applied_operations")
                .help("Operations this replica has applied (its own and others', failed ones included)").register(registry);
        reachable = Gauge.builder().name("lamportkv_peer_reachable")
                .help("1 if this replica's link to the peer is reachable, else 0").labelNames("peer").register(registry);
        viewNumber = Gauge.builder().name("lamportkv_view_number")
                .help("The number of this replica's current view").register(registry);
        viewMembers = Gauge.builder().name("lamportkv_view_members")
                .help("How many replicas are members of this replica's current view").register(registry);
        // The replica counts the views it installed; a counter with a callback exposes that count as it is.
        CounterWithCallback.builder().name("lamportkv_view_changes_total")
                .help("Views this replica has installed since it started")
                .callback(callback -> callback.call(viewChanges)).register(registry);
    }

    private static int messageIndex(PeerMessage m) {
        return m instanceof PeerMessage.RequestMsg ? 0 : m instanceof PeerMessage.OkMsg ? 1 : 2;
    }

    @Override
    public void applied(Request request, Result result) {
        // Counted by the applied gauge, read from the replica.
    }

    @Override
    public void sent(int to, long linkSeq, PeerMessage message) {
        CounterDataPoint[] points = linkMessages.get(to);
        if (points != null) {
            points[messageIndex(message)].inc();
        }
    }

    @Override
    public void received(int from, long linkSeq, PeerMessage message, long clock) {
        CounterDataPoint[] points = linkMessages.get(from);
        if (points != null) {
            points[3 + messageIndex(message)].inc();
        }
    }

    @Override
    public void batchReceived(int from, int bytes) {
        CounterDataPoint point = linkBytes.get(from);
        if (point != null) {
            point.inc(bytes);
        }
    }

    @Override
    public void forced(long nanos) {
        forces.observe(nanos / 1e9);
    }

    @Override
    public void answered(String verb, Reply.Status status, long nanos) {
        String kind = Operation.NAMES.contains(verb) ? verb : "other";
        operations.get(kind)[status.ordinal()].inc();
        latency.get(kind).observe(nanos / 1e9);
    }

    /** Writes every metric in Prometheus' text format, the gauges as {@code now} says. */
    void write(ReplicaView now, OutputStream out) throws IOException {
        clock.set(now.clock());
        bufferLength.set(now.bufferLength());
        applied.set(now.applied());
        for (PeerStatus p : now.peers()) {
            reachable.labelValues(String.valueOf(p.id())).set(p.reachable() ? 1 : 0);
        }
        viewNumber.set(now.view().number());
        viewMembers.set(now.view().members().length);
        viewChanges = now.view().changes();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }

    static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}
