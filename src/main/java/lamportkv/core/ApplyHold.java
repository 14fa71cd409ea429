package lamportkv.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import lamportkv.core.PeerMessage.ApplyMsg;
import lamportkv.core.ReplicaCore.Outgoing;

/**
 * When a round's messages leave for each peer: at once, but for one case. A round whose messages
 * for a peer are nothing but APPLYs, ending while the next round is already waiting, keeps them
 * back for that one round: they leave with whatever the next round sends the peer, or alone at
 * its end, whatever it sends. Never longer, so a peer whose own requests wait behind one of ours
 * waits at most one round more.
 *
 * <p>Why: at one client the early answer brings the next operation while the round that
 * executed the last one is still forcing. Its APPLYs left at the end of that force and held each
 * link (one call in flight) just when the next operation's REQUESTs were ready; kept back, they
 * travel with those REQUESTs, in the same call: two peer calls fewer per operation, and no
 * REQUEST waiting behind an APPLY.
 *
 * <p>Why it is safe: the APPLYs were made durable by their own round's force, and leave in
 * number order, before everything later on their link; they only leave later. An APPLY is never
 * needed for safety, only for progress. What a crash takes from here is re-sent from the log,
 * like anything the links had not sent yet. The crash simulation drives this class at every
 * replica, and its variant {@link Flaw#HOLD_APPLIES_UNBOUNDED} (once kept back, kept until
 * something else goes to the peer) is caught.
 *
 * <p>Owned by one replica's event loop (or the simulation's replica): not thread-safe.
 */
public final class ApplyHold {
    private final boolean enabled;
    private final boolean unbounded;
    /** By peer: the APPLYs kept back at the end of the last round. */
    private final Map<Integer, List<Outgoing>> kept = new TreeMap<>();

    /** @param enabled false: every round's messages leave at once (as before this class) */
    public ApplyHold(boolean enabled) {
        this(enabled, false);
    }

    /** With {@link Flaw#HOLD_APPLIES_UNBOUNDED} among {@code flaws}, the broken rule of that variant. */
    public ApplyHold(boolean enabled, java.util.Set<Flaw> flaws) {
        this(enabled, flaws.contains(Flaw.HOLD_APPLIES_UNBOUNDED));
    }

    private ApplyHold(boolean enabled, boolean unbounded) {
        this.enabled = enabled;
        this.unbounded = unbounded;
    }

    /**
     * The messages to hand to each peer's link at the end of a round, in number order per peer:
     * what was kept back, then this round's; keeps back what the rule says.
     *
     * @param round       the round's messages by peer ({@link Ready#messages()})
     * @param nextWaiting whether another round is already waiting to run
     */
    public Map<Integer, List<Outgoing>> leaving(Map<Integer, List<Outgoing>> round, boolean nextWaiting) {
        if (!enabled) {
            return round;
        }
        Map<Integer, List<Outgoing>> leaving = new TreeMap<>();
        for (Map.Entry<Integer, List<Outgoing>> e : round.entrySet()) {
            if (!e.getValue().isEmpty()) {
                leaving.put(e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<Integer, List<Outgoing>> e : kept.entrySet()) {
            List<Outgoing> joined = new ArrayList<>(e.getValue());
            joined.addAll(leaving.getOrDefault(e.getKey(), List.of()));
            leaving.put(e.getKey(), joined);
        }
        Map<Integer, List<Outgoing>> keptBefore = Map.copyOf(kept);
        kept.clear();
        leaving.entrySet().removeIf(e -> {
            boolean keptLastRound = keptBefore.containsKey(e.getKey());
            boolean keep = onlyApplies(e.getValue())
                    && (unbounded ? nextWaiting || keptLastRound : nextWaiting && !keptLastRound);
            if (keep) {
                kept.put(e.getKey(), e.getValue());
            }
            return keep;
        });
        return leaving;
    }

    /** Whether messages are kept back: for a round that was already waiting (a simulation must let it come). */
    public boolean keeping() {
        return !kept.isEmpty();
    }

    /**
     * The links start a new incarnation (a view change): what was kept back is void, as is
     * everything else queued for the old one; the view change settled it.
     */
    public void drop() {
        kept.clear();
    }

    private static boolean onlyApplies(List<Outgoing> messages) {
        for (Outgoing m : messages) {
            if (!(m.message() instanceof ApplyMsg)) {
                return false;
            }
        }
        return true;
    }
}
