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
        FORCES("forces"),
        UNFORCED_COMMITS("commits that forced nothing (nothing left)"),
        CRASHES("replica crashes"),
        PROCESS_CRASHES("process crashes (page cache kept)"),
        POWER_LOSSES("power losses (only forced data kept)"),
        POWER_LOSSES_AFTER_RESTART("power losses soon after a restart"),
        MULTI_CRASHES("crash events taking several replicas"),
        WHOLE_CLUSTER_CRASHES("crash events taking every replica"),
        MID_ROUND_CRASHES("crashes mid-round (uncommitted inputs)"),
        CRASHES_DURING_FORCE("crashes while a force was under way"),
        EARLY_ANSWERS("clients answered before their round's force (the permitted early answer)"),
        EARLY_ANSWERS_BEFORE_CRASH("early answers whose round's force a crash cut short"),
        DEFERRED_FORCES("rounds that answered early and deferred their force (Node.deferrable)"),
        CRASHES_WITH_FORCE_DEFERRED("crashes before a deferred round's force (answered, APPLYs waiting)"),
        APPLIES_KEPT_BACK("rounds whose APPLYs waited for the next round (ApplyHold)"),
        CRASHES_WITH_APPLIES_KEPT("crashes while APPLYs were kept back"),
        UNFORCED_LOST("unforced records lost"),
        UNFORCED_KEPT("unforced records read back after a crash"),
        TORN_DROPPED("torn records dropped by recovery"),
        RESTARTS("restarts"),
        FROM_SNAPSHOT("restarts from a snapshot"),
        INTACT_RESTARTS("restarts that lost no record, compared with the state before the crash"),
        MISCONFIGURED_RESTARTS_REFUSED("restarts under another configuration, refused"),
        REPLAYED("records replayed"),
        SNAPSHOTS("snapshots taken"),
        RETRIES("client retries"),
        UNREACHED("attempts at a replica that was down"),
        CRASH_DISCONNECTS("clients cut off by a crash"),
        NETWORK_DISCONNECTS("clients whose connection broke"),
        WITHDRAWN("operations taken back unstamped at their deadline"),
        REPLICA_TIMEOUTS("operations timed out stamped at their deadline"),
        TOLD_APPLIED("operations the user was told were applied"),
        TOLD_NOT_APPLIED("operations the user was told were not applied"),
        TOLD_MAY_BE_APPLIED("operations the user was told may still be applied"),
        DEDUPED_RETRIES("writes ordered twice, applied once"),
        READS_TWICE("reads ordered twice"),
        STALE_RETRIES("stale retries refused"),
        EXPIRED_CLIENTS("client records expired"),
        SKEWED_RUNS("runs with a replica's clock two hours off"),
        LATE_ANSWERS("late answers nobody waits for"),
        DELIVERED("messages delivered"),
        HEARTBEATS("heartbeats"),
        DUPLICATES("re-sent messages dropped as duplicates"),
        GAPS("early messages dropped as gaps"),
        RESENT("messages re-sent after a restart"),
        CONFIRMATIONS("confirmations"),
        LOCKS_GRANTED("locks granted at once"),
        LOCKS_QUEUED("lock requests queued"),
        LOCKS_RELEASED_OR_RENEWED("unlocks and renews that held"),
        CAS_STORED("cas that stored"),
        EXPIRES_SUBMITTED("expiries written by the timer");

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
