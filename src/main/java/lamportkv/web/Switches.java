package lamportkv.web;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import com.fasterxml.jackson.databind.ObjectMapper;
import lamportkv.replica.Replica;
import lamportkv.web.JsonModel.ErrorJson;
import lamportkv.web.JsonModel.SwitchRequest;
import org.tinylog.Logger;
import org.tinylog.TaggedLogger;

/**
 * The page's two switches, both off by default and both cluster-wide: the page sets its own
 * replica, which passes the setting on to the other replicas' dashboards.
 *
 * <ul>
 *   <li><b>automatic internal events</b>: each replica ticks itself at random intervals of
 *       {@value #AUTO_TICK_MIN_MILLIS}-{@value #AUTO_TICK_MAX_MILLIS} ms;</li>
 *   <li><b>slow motion</b>: each replica holds every incoming batch of messages
 *       {@value #SLOW_MOTION_MILLIS} ms before taking it in, so the protocol can be watched step by step.</li>
 * </ul>
 */
final class Switches implements AutoCloseable {
    static final long AUTO_TICK_MIN_MILLIS = 3_000;
    static final long AUTO_TICK_MAX_MILLIS = 10_000;
    static final long SLOW_MOTION_MILLIS = 1_500;

    /** Which switch a request is about. */
    enum Kind {
        AUTO_TICK("auto-tick"), SLOW_MOTION("slow-motion");

        final String path;

        Kind(String path) {
            this.path = path;
        }
    }

    private final Replica replica;
    private final EventRecorder recorder;
    private final ClusterWatcher cluster;
    private final ObjectMapper json;
    private final TaggedLogger log;
    private final ScheduledExecutorService timer;
    /** Made on the first switch: it loads the JDK's TLS trust store, which a replica need not pay for at start. */
    private HttpClient http;
    private ScheduledFuture<?> nextTick;

    Switches(Replica replica, EventRecorder recorder, ClusterWatcher cluster, ObjectMapper json) {
        this.replica = replica;
        this.recorder = recorder;
        this.cluster = cluster;
        this.json = json;
        this.log = Logger.tag("replica " + replica.id());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dashboard-" + replica.id() + "-auto-tick");
            t.setDaemon(true);
            return t;
        });
    }

    boolean autoTick() {
        return recorder.autoTick();
    }

    long slowMotion() {
        return replica.deliveryDelayMillis();
    }

    /** Sets {@code kind} here and, unless {@code local}, on every other replica; says what each replica did. */
    Map<String, String> set(Kind kind, boolean on, boolean local) {
        setHere(kind, on);
        Map<String, CompletableFuture<String>> answers = new LinkedHashMap<>();
        for (int id : cluster.ids()) {
            if (id == replica.id()) {
                answers.put(String.valueOf(id), CompletableFuture.completedFuture(on ? "on" : "off"));
            } else if (!local) {
                answers.put(String.valueOf(id), forward(id, kind, on));
            }
        }
        Map<String, String> outcome = new LinkedHashMap<>();
        answers.forEach((id, answer) -> outcome.put(id, answer.join()));
        return outcome;
    }

    private synchronized void setHere(Kind kind, boolean on) {
        if (kind == Kind.SLOW_MOTION) {
            replica.setDeliveryDelay(on ? SLOW_MOTION_MILLIS : 0);
            return;
        }
        recorder.setAutoTick(on);
        if (on && nextTick == null) {
            scheduleTick();
        } else if (!on && nextTick != null) {
            nextTick.cancel(false);
            nextTick = null;
        }
    }

    private synchronized void scheduleTick() {
        long delay = ThreadLocalRandom.current().nextLong(AUTO_TICK_MIN_MILLIS, AUTO_TICK_MAX_MILLIS + 1);
        nextTick = timer.schedule(this::autoTickNow, delay, TimeUnit.MILLISECONDS);
    }

    private void autoTickNow() {
        synchronized (this) {
            if (nextTick == null) {
                return;     // switched off meanwhile
            }
        }
        try {
            replica.clientService().tick();
        } catch (IOException | RuntimeException e) {
            log.debug("automatic internal event failed: {}", e.getMessage());
        }
        synchronized (this) {
            if (nextTick != null) {
                scheduleTick();
            }
        }
    }

    /** Sets the switch on replica {@code id} through its dashboard; "on"/"off", or why not. */
    private CompletableFuture<String> forward(int id, Kind kind, boolean on) {
        String dashboard = cluster.dashboard(id);
        if (dashboard.isEmpty()) {
            return CompletableFuture.completedFuture("no dashboard (http." + id + " is not configured)");
        }
        String body;
        try {
            body = json.writeValueAsString(new SwitchRequest(on, true));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(dashboard + "api/" + kind.path))
                .timeout(Duration.ofSeconds(3)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return client().sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
            if (failure != null) {
                return "unreachable (" + (failure.getCause() != null ? failure.getCause() : failure) + ")";
            }
            if (response.statusCode() != 200) {
                try {
                    return "refused: " + json.readValue(response.body(), ErrorJson.class).error();
                } catch (IOException e) {
                    return "refused with HTTP " + response.statusCode();
                }
            }
            return on ? "on" : "off";
        });
    }

    private synchronized HttpClient client() {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        }
        return http;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
