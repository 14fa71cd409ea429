package lamportkv.core;

import java.util.List;
import java.util.Optional;

/**
 * The value chosen for one view number: the view, and how its members start it (rule V4). At
 * install every member that held the previous view's state applies from its own buffer until it
 * has applied {@link #appliedCount} requests (what the most advanced reporter had applied), then
 * applies every request of {@link #kept}, in order, and sets its clock above {@link #clockFloor}.
 * Every member then holds the same state and an empty buffer. A {@link Joiner} instead receives
 * that state from a member.
 *
 * @param view         the new view
 * @param joiners      members that start without the state and receive it (rule V6)
 * @param appliedCount the most advanced reporter's applied position
 * @param lastApplied  its last applied request (a member catching up never applies beyond it)
 * @param kept         every reported request not applied by then, in {@code (ts, origin)} order
 * @param clockFloor   every kept stamp and every reported clock is at most this
 */
public record Decision(View view, List<Joiner> joiners, long appliedCount, Optional<RequestId> lastApplied,
                       List<Request> kept, long clockFloor) {

    /** A replica added without the state, by its incarnation: only that incarnation may take the state. */
    public record Joiner(int id, long incarnation) {
    }

    public Decision {
        joiners = List.copyOf(joiners);
        kept = List.copyOf(kept);
    }

    /** View 0's: every configured replica, nothing applied. */
    public static Decision first(List<Integer> configured) {
        return new Decision(View.first(configured), List.of(), 0, Optional.empty(), List.of(), 0);
    }

    public long number() {
        return view.number();
    }

    /** Whether {@code replica} is added by this view without the state. */
    public boolean joins(int replica) {
        return joiners.stream().anyMatch(j -> j.id() == replica);
    }

    /** Whether this incarnation of {@code replica} is the one added by this view without the state. */
    public boolean joins(int replica, long incarnation) {
        return joiners.contains(new Joiner(replica, incarnation));
    }

    /** How many requests every member has applied when the view starts. */
    public long startApplied() {
        return appliedCount + kept.size();
    }
}
