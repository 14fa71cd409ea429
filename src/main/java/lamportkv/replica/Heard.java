package lamportkv.replica;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When this replica last heard from each peer (any batch, heartbeats included), by the monotonic
 * clock: the failure detector whose verdict enters the node as an input ({@code Node.viewTimer}).
 * Every peer counts as heard at the start, so that a replica that has just started suspects no one
 * for one suspicion time. Thread-safe: RMI handler threads write, the timer reads.
 */
final class Heard {
    private final ConcurrentHashMap<Integer, Long> lastNanos = new ConcurrentHashMap<>();
    /** Calls from each peer being served right now: a peer whose call is in hand is alive. */
    private final ConcurrentHashMap<Integer, Integer> inCall = new ConcurrentHashMap<>();
    private final long suspectNanos;

    Heard(Set<Integer> peers, long suspectMillis) {
        this.suspectNanos = suspectMillis * 1_000_000;
        long now = System.nanoTime();
        for (int p : peers) {
            lastNanos.put(p, now);
        }
    }

    void heard(int peer) {
        lastNanos.computeIfPresent(peer, (p, before) -> System.nanoTime());
    }

    /** A call from {@code peer} arrived; until {@link #callEnded}, the peer counts as heard. */
    void callStarted(int peer) {
        heard(peer);
        inCall.merge(peer, 1, Integer::sum);
    }

    void callEnded(int peer) {
        heard(peer);
        inCall.computeIfPresent(peer, (p, n) -> n == 1 ? null : n - 1);
    }

    /** The peers heard from within the suspicion time. */
    Set<Integer> recently() {
        long now = System.nanoTime();
        Set<Integer> heard = new TreeSet<>();
        lastNanos.forEach((peer, at) -> {
            if (now - at <= suspectNanos || inCall.containsKey(peer)) {
                heard.add(peer);
            }
        });
        return heard;
    }
}
