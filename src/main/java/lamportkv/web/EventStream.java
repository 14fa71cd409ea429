package lamportkv.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import lamportkv.web.JsonModel.ClusterJson;
import lamportkv.web.JsonModel.DataJson;
import lamportkv.web.JsonModel.EventJson;
import lamportkv.web.JsonModel.SwitchesJson;
import lamportkv.web.JsonModel.UpdateJson;

/**
 * {@code GET /api/events}: Server-Sent Events. A subscriber first gets the whole picture
 * ({@code event: cluster}, a {@link ClusterJson}), then {@code event: update} messages
 * ({@link UpdateJson}) at most every {@link #PUBLISH_MILLIS} while anything changes.
 *
 * <p>Memory is bounded: one publisher serializes each update once and offers it to every
 * subscriber's queue of {@link #QUEUE_LENGTH}; a subscriber whose queue is full (a browser that
 * stopped reading) is dropped, and its page reconnects and starts again from a fresh picture.
 */
final class EventStream implements AutoCloseable {
    static final int MAX_SUBSCRIBERS = 16;
    static final int QUEUE_LENGTH = 64;
    static final long PUBLISH_MILLIS = 250;
    static final long KEEPALIVE_MILLIS = 15_000;
    /** Events in the first message, and at most in one update (the newest; the rest are counted as missed). */
    static final int FIRST_EVENTS = 800;
    static final int MAX_UPDATE_EVENTS = 200;

    private static final class Subscriber {
        final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE_LENGTH);
        volatile boolean dropped;
    }

    private final ClusterWatcher cluster;
    private final ObjectMapper json;
    private final Supplier<SwitchesJson> switches;
    private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();
    private final Thread publisher;
    private volatile boolean closed;

    EventStream(ClusterWatcher cluster, ObjectMapper json, Supplier<SwitchesJson> switches) {
        this.cluster = cluster;
        this.json = json;
        this.switches = switches;
        this.publisher = new Thread(this::publish, "dashboard-" + cluster.selfId() + "-events");
        this.publisher.setDaemon(true);
    }

    void start() {
        publisher.start();
    }

    /** The first message: everything, with the newest events. */
    ClusterJson picture(int events) {
        ClusterWatcher.Picture p = cluster.picture(-1, events);
        return new ClusterJson(cluster.selfId(), System.currentTimeMillis(), p.replicas(),
                new ArrayList<>(p.data().values()), switches.get(), eventsOf(p.events()), p.missedEvents());
    }

    private static List<EventJson> eventsOf(List<ClusterWatcher.Arrived> arrived) {
        List<EventJson> events = new ArrayList<>(arrived.size());
        for (ClusterWatcher.Arrived a : arrived) {
            events.add(a.event());
        }
        return events;
    }

    private void publish() {
        long seen = -1;
        long lastArrival = -1;
        long dropped = 0;
        Map<Integer, Long> appliedSent = new HashMap<>();
        while (!closed) {
            try {
                long now = cluster.awaitChange(seen, KEEPALIVE_MILLIS);
                if (now == seen) {
                    continue;
                }
                seen = now;
                ClusterWatcher.Picture p = cluster.picture(lastArrival, Integer.MAX_VALUE);
                if (!p.events().isEmpty()) {
                    lastArrival = p.events().get(p.events().size() - 1).number();
                }
                if (subscribers.isEmpty()) {
                    appliedSent.clear();
                    continue;
                }
                List<ClusterWatcher.Arrived> events = p.events();
                if (events.size() > MAX_UPDATE_EVENTS) {
                    dropped += events.size() - MAX_UPDATE_EVENTS;
                    events = events.subList(events.size() - MAX_UPDATE_EVENTS, events.size());
                }
                List<DataJson> data = new ArrayList<>();
                for (Map.Entry<Integer, DataJson> d : p.data().entrySet()) {
                    Long applied = p.applied().get(d.getKey());
                    if (!applied.equals(appliedSent.put(d.getKey(), applied))) {
                        data.add(d.getValue());
                    }
                }
                UpdateJson update = new UpdateJson(System.currentTimeMillis(), p.replicas(), data, switches.get(),
                        eventsOf(events), p.missedEvents() + dropped);
                offer(message("update", update));
                Thread.sleep(PUBLISH_MILLIS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException | JsonProcessingException e) {
                org.tinylog.Logger.error(e, "dashboard: cannot publish an update");
            }
        }
    }

    private void offer(byte[] message) {
        for (Subscriber s : subscribers) {
            if (!s.queue.offer(message)) {
                s.dropped = true;       // it stopped reading; its page will reconnect
                subscribers.remove(s);
            }
        }
    }

    private byte[] message(String event, Object value) throws JsonProcessingException {
        return ("event: " + event + "\ndata: " + json.writeValueAsString(value) + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Serves one subscriber until it leaves, is dropped, or the dashboard closes. */
    void serve(HttpExchange exchange) throws IOException, ApiException {
        if (subscribers.size() >= MAX_SUBSCRIBERS) {
            throw new ApiException(503, "too many event streams open (" + MAX_SUBSCRIBERS + "); close a dashboard tab");
        }
        Subscriber me = new Subscriber();
        subscribers.add(me);
        cluster.subscribed(1);
        try {
            cluster.touch();
            cluster.awaitFresh(System.currentTimeMillis(), 1_000);
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
            out.write(message("cluster", picture(FIRST_EVENTS)));
            out.flush();
            long lastWrite = System.nanoTime();
            while (!closed && !me.dropped) {
                byte[] next = me.queue.poll(1, TimeUnit.SECONDS);
                if (next != null) {
                    out.write(next);
                    out.flush();
                    lastWrite = System.nanoTime();
                } else if (System.nanoTime() - lastWrite > TimeUnit.MILLISECONDS.toNanos(KEEPALIVE_MILLIS)) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    lastWrite = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException gone) {
            // The browser went away.
        } finally {
            subscribers.remove(me);
            cluster.subscribed(-1);
            exchange.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        publisher.interrupt();
        try {
            publisher.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
