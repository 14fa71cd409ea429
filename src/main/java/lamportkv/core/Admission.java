package lamportkv.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * When a replica stamps its clients' operations (rule 1): a scheduling choice the protocol leaves
 * open, made here for throughput. The rules themselves are untouched.
 *
 * <p>Operations wait here until none of the replica's own requests is left in its buffer; then
 * all of them (up to {@code maxBatch}) are stamped together, at the end of an event-loop round,
 * after that round's messages have moved the clock. Why: the total order interleaves requests by
 * stamp, and two requests of different origins next to each other in that order cost a message
 * hop between them (the second origin may execute only once the first one's APPLY has reached
 * it). Replicas that stamp at once, at about the same clock, interleave their requests one by
 * one, and the cluster executes one operation per hop. A replica whose previous batch has
 * executed holds the OKs for it, so it has taken in every request the others stamped before
 * answering (FIFO links), and its clock is past them: its new batch lands in the order in one
 * piece after them. Under load the replicas take turns like a ring, one hop per batch; a lone
 * operation is stamped at once. Clients that all send to one replica (the client library's
 * default, {@code client.LamportKv.Routing#FIRST}) avoid the ring: that replica's batches follow
 * one another in the order with nothing between them.
 *
 * <p>Owned by the event loop, like the rest of the replica's state.
 *
 * @param <T> what is admitted (the replica's waiting client call)
 */
final class Admission<T> {
    private final ArrayDeque<T> waiting = new ArrayDeque<>();
    private final int maxBatch;

    /** @param maxBatch the most operations stamped at once */
    Admission(int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be positive: " + maxBatch);
        }
        this.maxBatch = maxBatch;
    }

    /** A client operation arrives; it waits for {@link #next}. */
    void add(T operation) {
        waiting.add(operation);
    }

    /**
     * The operations to stamp now, oldest first: none while {@code ownPending} of the replica's
     * requests wait in its buffer, else every waiting one up to the batch limit.
     */
    List<T> next(int ownPending) {
        if (ownPending > 0 || waiting.isEmpty()) {
            return List.of();
        }
        List<T> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
        while (batch.size() < maxBatch && !waiting.isEmpty()) {
            batch.add(waiting.poll());
        }
        return batch;
    }

    /** Takes back an operation that has not been stamped (its client gave up); false if it is not waiting. */
    boolean withdraw(T operation) {
        return waiting.remove(operation);
    }

    /** Everything waiting, removed (when the replica stops accepting work). */
    List<T> drain() {
        List<T> all = new ArrayList<>(waiting);
        waiting.clear();
        return all;
    }

    int size() {
        return waiting.size();
    }
}
