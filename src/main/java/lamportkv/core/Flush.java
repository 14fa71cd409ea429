package lamportkv.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Rule V4, the flush: the next view built from the reports of a majority. Pure.
 *
 * <p>Only the reports of members of the previous view that hold its state count (two majorities
 * meet, so there is at least one). The most advanced of them says how far every member applies
 * first; then every request in <em>any</em> of them that is not applied by then is kept. Why the
 * union: a request executed in the previous view had the OK of every member, so it is in the
 * buffer or the applied prefix of each of them, and so in at least one report of any majority;
 * by the FIFO argument so is every request ordered before it. The intersection would lose
 * requests that were executed and answered. A request in no report never executed: it is dropped.
 */
public final class Flush {
    private Flush() {
    }

    /**
     * The decision for view {@code previous.number() + 1}, or empty if no report holds the previous
     * view's state (then no majority can rebuild it).
     *
     * @param previous     the view being left
     * @param reports      one per reporting replica, a majority of the configured ones
     * @param joiners      replicas asking to be added without the state (and their incarnations)
     * @param intersection the broken variant (tests only): keep only what every report holds, in its
     *                     buffer and in its applied prefix, so start from the least advanced
     *                     reporter and keep only what every buffer holds
     */
    public static Optional<Decision> decide(View previous, Collection<Report> reports, Map<Integer, Long> joiners,
                                            boolean intersection) {
        List<Report> holders = new ArrayList<>();
        for (Report r : reports) {
            if (r.contributes() && r.viewNumber() == previous.number() && previous.has(r.from())) {
                holders.add(r);
            }
        }
        if (holders.isEmpty()) {
            return Optional.empty();
        }
        Report ahead = holders.get(0);
        long clockFloor = 0;
        for (Report r : reports) {
            clockFloor = Math.max(clockFloor, r.clock());
        }
        for (Report r : holders) {
            if (intersection ? r.appliedCount() < ahead.appliedCount() : r.appliedCount() > ahead.appliedCount()) {
                ahead = r;
            }
        }
        TreeMap<RequestId, Request> kept = new TreeMap<>();
        for (Report r : holders) {
            for (Request q : r.buffer()) {
                if (ahead.lastApplied().isEmpty() || q.id().compareTo(ahead.lastApplied().get()) > 0) {
                    kept.putIfAbsent(q.id(), q);
                }
            }
        }
        if (intersection) {
            kept.keySet().removeIf(id -> holders.stream().anyMatch(r -> r.buffer().stream().noneMatch(q -> q.id().equals(id))));
        }
        for (RequestId id : kept.keySet()) {
            clockFloor = Math.max(clockFloor, id.ts());
        }
        TreeSet<Integer> members = new TreeSet<>();
        for (Report r : holders) {
            members.add(r.from());
        }
        TreeMap<Integer, Long> added = new TreeMap<>(joiners);
        for (Report r : reports) {
            if (!members.contains(r.from())) {
                added.putIfAbsent(r.from(), r.incarnation());    // a reporter without the state joins
            }
        }
        List<Decision.Joiner> joinerList = new ArrayList<>();
        for (Map.Entry<Integer, Long> j : added.entrySet()) {
            if (members.add(j.getKey())) {
                joinerList.add(new Decision.Joiner(j.getKey(), j.getValue()));
            }
        }
        View next = new View(previous.number() + 1, List.copyOf(members));
        return Optional.of(new Decision(next, joinerList, ahead.appliedCount(), ahead.lastApplied(),
                List.copyOf(kept.values()), clockFloor));
    }
}
