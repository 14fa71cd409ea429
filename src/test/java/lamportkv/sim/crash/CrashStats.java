package lamportkv.sim.crash;

import java.util.EnumMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * What happened in a run (or, summed, in many): so a test can show that crashes, torn tails,
 * snapshots and deduplicated retries really happened, and the passing checks are not vacuous.
 */
final class CrashStats {

    enum Counter {
        RUNS("runs"),
        STEPS("steps"),
        OPERATIONS("client operations"),
        COMMITS("commits"),
        CRASHES("replica crashes"),
        MULTI_CRASHES("crash events taking several replicas"),
        WHOLE_CLUSTER_CRASHES("crash events taking every replica"),
        MID_ROUND_CRASHES("crashes mid-round (uncommitted records)"),
        UNFORCED_LOST("unforced records lost"),
        TORN_DROPPED("torn records dropped by recovery"),
        RESTARTS("restarts"),
        FROM_SNAPSHOT("restarts from a snapshot"),
        INTACT_RESTARTS("restarts that lost no record, compared with the state before the crash"),
        REPLAYED("records replayed"),
        SNAPSHOTS("snapshots taken"),
        RETRIES("client retries"),
        CRASH_DISCONNECTS("clients cut off by a crash"),
        TIMEOUTS("client timeouts"),
        DEDUPED_RETRIES("writes ordered twice, applied once"),
        READS_TWICE("reads ordered twice"),
        STALE_RETRIES("stale retries refused"),
        LATE_ANSWERS("late answers nobody waits for"),
        ORPHAN_ANSWERS("answers for replayed requests (no client)"),
        DELIVERED("messages delivered"),
        DUPLICATES("re-sent messages dropped as duplicates"),
        GAPS("early messages dropped as gaps"),
        RESENT("messages re-sent after a restart"),
        CONFIRMATIONS("confirmations");

        private final String title;

        Counter(String title) {
            this.title = title;
        }
    }

    private final Map<Counter, Long> counts = new EnumMap<>(Counter.class);

    void add(Counter c) {
        add(c, 1);
    }

    void add(Counter c, long n) {
        counts.merge(c, n, Long::sum);
    }

    long get(Counter c) {
        return counts.getOrDefault(c, 0L);
    }

    void addAll(CrashStats other) {
        other.counts.forEach(this::add);
    }

    @Override
    public String toString() {
        StringJoiner s = new StringJoiner(", ");
        for (Counter c : Counter.values()) {
            s.add(c.title + " " + get(c));
        }
        return s.toString();
    }
}
