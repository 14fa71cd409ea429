package lamportkv.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * What each replica's rounds look like under load, from the replicas' flight recordings
 * ({@code lamportkv.replica.Trace} events; {@code bench/rounds.sh} makes them): per replica, how
 * many rounds leave something and how many force per second, how many clients a forced round
 * answers and how many messages it sends, how long a force takes, how much of the time the event
 * loop spends inside one, and how long the RMI calls between replicas take on each side. Where
 * {@link Waterfall} follows one operation of one client, this shows where a busy cluster's time
 * goes: the event loop cannot take anything in while it forces, and every peer batch waits for
 * it ({@code batch in}).
 *
 * <p>Only the {@code SECONDS} before the last client call ended count (the bench's measured
 * interval: the warm-up before it is left out).
 *
 * <p>Usage: {@code java -cp lamportkv.jar lamportkv.bench.RoundStats SECONDS REPLICA.jfr...}:
 * prints one line per replica.
 */
public final class RoundStats {
    /** One {@code Trace} event: its replica, kind, start on the shared monotonic clock, length, and a round's counts. */
    record Event(int replica, String kind, long mono, long nanos, boolean forced, int answered, int messages) {
    }

    /** One replica's rounds over {@code seconds}. Times are in microseconds. */
    record Replica(int replica, double seconds, double roundsPerSecond, double forcesPerSecond,
                   double answersPerForcedRound, double messagesPerRound, long forceP50, long forceP99,
                   double loopInForce, long batchInP50, long batchInP99, long peerCallP50, long peerCallP99,
                   long clientCallP50) {
        String line() {
            return String.format(Locale.ROOT, "replica %d: %.0f rounds/s leave something, %.0f forces/s;"
                            + " a forced round answers %.1f and sends %.1f messages; force p50 %d us p99 %d us,"
                            + " the loop inside a force %.0f%% of the time; batch in (the peer's call waits for"
                            + " the loop) p50 %d us p99 %d us; peer call out p50 %d us p99 %d us; client call"
                            + " p50 %d us", replica, roundsPerSecond, forcesPerSecond, answersPerForcedRound,
                    messagesPerRound, forceP50, forceP99, 100 * loopInForce, batchInP50, batchInP99, peerCallP50,
                    peerCallP99, clientCallP50);
        }
    }

    private RoundStats() {
    }

    public static void main(String[] args) throws IOException {
        double seconds = args.length < 2 ? -1 : parseSeconds(args[0]);
        if (seconds <= 0) {
            System.err.println("usage: java -cp lamportkv.jar lamportkv.bench.RoundStats SECONDS REPLICA.jfr...");
            System.exit(2);
        }
        List<Event> events = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            events.addAll(read(Path.of(args[i])));
        }
        List<Replica> replicas = summarize(events, seconds);
        if (replicas.isEmpty()) {
            System.err.println("error: no lamportkv events in the recordings (were they made with bench/rounds.sh?)");
            System.exit(1);
        }
        replicas.forEach(r -> System.out.println(r.line()));
    }

    /** A tool's SECONDS argument; -1 if it is not a number (the caller prints its usage). */
    static double parseSeconds(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static List<Event> read(Path recording) throws IOException {
        List<Event> events = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            String type = e.getEventType().getName();
            if (!type.startsWith("lamportkv.")) {
                continue;
            }
            String kind = type.substring("lamportkv.".length());
            boolean round = kind.equals("Round");
            events.add(new Event(e.getInt("replica"), kind, e.getLong("mono"), e.getDuration().toNanos(),
                    round && e.getBoolean("forced"), round ? e.getInt("answers") + e.getInt("earlyAnswers") : 0,
                    round ? e.getInt("messages") : 0));
        }
        return events;
    }

    /**
     * Per replica, over the {@code seconds} before the last client call ended (all replicas' events
     * share one clock; after the bench, only heartbeats follow).
     */
    static List<Replica> summarize(List<Event> events, double seconds) {
        List<Event> calls = of(events, "ClientCall");
        long end = (calls.isEmpty() ? events : calls).stream().mapToLong(e -> e.mono() + e.nanos()).max().orElse(0);
        long from = end - (long) (seconds * 1e9);
        Map<Integer, List<Event>> byReplica = new TreeMap<>();
        for (Event e : events) {
            if (e.mono() >= from) {
                byReplica.computeIfAbsent(e.replica(), k -> new ArrayList<>()).add(e);
            }
        }
        List<Replica> result = new ArrayList<>();
        byReplica.forEach((id, list) -> {
            List<Event> rounds = of(list, "Round");
            List<Event> forced = rounds.stream().filter(Event::forced).toList();
            List<Event> forces = of(list, "Force");
            long inForce = forces.stream().mapToLong(Event::nanos).sum();
            result.add(new Replica(id, seconds, rounds.size() / seconds, forces.size() / seconds,
                    forced.isEmpty() ? 0 : forced.stream().mapToInt(Event::answered).sum() / (double) forced.size(),
                    rounds.isEmpty() ? 0 : rounds.stream().mapToInt(Event::messages).sum() / (double) rounds.size(),
                    micros(forces, 0.50), micros(forces, 0.99), inForce / (seconds * 1e9),
                    micros(of(list, "PeerBatch"), 0.50), micros(of(list, "PeerBatch"), 0.99),
                    micros(of(list, "PeerCall"), 0.50), micros(of(list, "PeerCall"), 0.99),
                    micros(of(list, "ClientCall"), 0.50)));
        });
        return result;
    }

    private static List<Event> of(List<Event> events, String kind) {
        return events.stream().filter(e -> e.kind().equals(kind)).toList();
    }

    /** The {@code q} quantile of the events' lengths in microseconds (nearest rank), 0 if there are none. */
    static long micros(List<Event> events, double q) {
        if (events.isEmpty()) {
            return 0;
        }
        long[] nanos = events.stream().mapToLong(Event::nanos).toArray();
        Arrays.sort(nanos);
        int rank = (int) Math.ceil(q * nanos.length) - 1;
        return nanos[Math.max(0, Math.min(nanos.length - 1, rank))] / 1_000;
    }
}
