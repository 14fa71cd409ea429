package lamportkv.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import lamportkv.core.PeerMessage;

/**
 * The links between replicas {@code 1..n}: one queue per directed link {@code i→j}. Nothing is
 * lost or duplicated. With FIFO on, a link delivers its oldest message first, as the protocol
 * requires; with FIFO off (a test-only switch, to prove the checks can fail) it delivers any of
 * its messages, like RMI calls from several threads.
 */
final class SimulatedNetwork {

    /** A message taken off a link, to be handed to replica {@code to}. */
    record Delivery(int from, int to, PeerMessage message) {
    }

    private final int size;
    private final boolean fifo;
    /** {@code links.get(from - 1).get(to - 1)}, oldest message first. */
    private final List<List<List<PeerMessage>>> links = new ArrayList<>();
    private int inFlight;

    SimulatedNetwork(int size, boolean fifo) {
        this.size = size;
        this.fifo = fifo;
        for (int from = 1; from <= size; from++) {
            List<List<PeerMessage>> row = new ArrayList<>();
            for (int to = 1; to <= size; to++) {
                row.add(new ArrayList<>());
            }
            links.add(row);
        }
    }

    void send(int from, int to, PeerMessage message) {
        if (from == to || to < 1 || to > size) {
            throw new IllegalArgumentException("replica " + from + " sent to replica " + to);
        }
        link(from, to).add(message);
        inFlight++;
    }

    boolean idle() {
        return inFlight == 0;
    }

    int inFlight() {
        return inFlight;
    }

    /** Takes a message off a random non-empty link: its head, or with FIFO off any of them. */
    Delivery takeRandom(Random random) {
        List<int[]> busy = new ArrayList<>();
        for (int from = 1; from <= size; from++) {
            for (int to = 1; to <= size; to++) {
                if (!link(from, to).isEmpty()) {
                    busy.add(new int[] {from, to});
                }
            }
        }
        if (busy.isEmpty()) {
            throw new IllegalStateException("no message in flight");
        }
        int[] pick = busy.get(random.nextInt(busy.size()));
        List<PeerMessage> queue = link(pick[0], pick[1]);
        PeerMessage message = queue.remove(fifo ? 0 : random.nextInt(queue.size()));
        inFlight--;
        return new Delivery(pick[0], pick[1], message);
    }

    private List<PeerMessage> link(int from, int to) {
        return links.get(from - 1).get(to - 1);
    }
}
