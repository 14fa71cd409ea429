package lamportkv.sim.crash;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import lamportkv.check.History;
import lamportkv.core.Operation;
import lamportkv.core.Result;

/**
 * A closed-loop client: one operation at a time, each with the next sequence number of its own
 * client id. The operation is recorded once in the {@link History}: invoked at its first attempt,
 * completed when an answer finally arrives. If its replica crashes, or no answer comes within the
 * timeout, it retries the <em>same</em> operation (same client id and sequence number) at some
 * replica that is up, again and again until answered; the replicated client table makes a retry
 * that is ordered twice take effect once.
 */
final class CrashClient {

    /** An operation the client got an answer for. */
    record Answered(long clientId, long seq, Operation op, Result result) {
    }

    final int index;
    final long clientId;
    final int home;
    private int remaining;
    private long seq;
    private Operation op;
    private History.Call call;
    // The current attempt: where, under which token, since when. Not connected: waiting to retry.
    private boolean connected;
    private int replica;
    private long token;
    private long sentAt;
    private long retryAt;
    /** Attempts at the current operation: each timeout doubles the next wait, as real clients back off. */
    private int attempts;
    private final List<Answered> answered = new ArrayList<>();

    CrashClient(int index, int home, int operations) {
        this.index = index;
        this.clientId = 1000L + index;          // never 0: 0 is the anonymous client, not deduplicated
        this.home = home;
        this.remaining = operations;
    }

    /** Whether it has an operation not answered yet. */
    boolean busy() {
        return call != null;
    }

    boolean done() {
        return call == null && remaining == 0;
    }

    /** Whether it has something to send now: a new operation, or a retry that is due. */
    boolean canSend(long now, boolean counterReady) {
        if (call == null) {
            // Everyone but the counter's creator waits until the counter exists, so every add succeeds.
            return remaining > 0 && (counterReady || (index == 0 && seq == 0));
        }
        return !connected && now >= retryAt;
    }

    /** The next operation: its sequence number and its one History entry. */
    void begin(Operation next, History.Call recorded) {
        remaining--;
        seq++;
        op = next;
        call = recorded;
        attempts = 0;
    }

    /** Only in a broken variant: the retry takes the next sequence number, as if it were a new operation. */
    void renumber() {
        seq++;
    }

    void attempt(int atReplica, long withToken, long now) {
        connected = true;
        attempts++;
        replica = atReplica;
        token = withToken;
        sentAt = now;
    }

    /** Its replica crashed or it gave up waiting: it will retry from step {@code at}. */
    void disconnect(long at) {
        connected = false;
        retryAt = at;
    }

    boolean waitingAt(int id) {
        return call != null && connected && replica == id;
    }

    boolean waitingFor(long answerToken) {
        return call != null && connected && token == answerToken;
    }

    /**
     * Whether the current attempt has waited too long: {@code timeout} steps for the first, twice
     * that for the second, and so on (capped), so that retries cannot swamp a cluster that is merely
     * slow or waiting for a replica to come back.
     */
    boolean timedOut(long now, long timeout) {
        return call != null && connected && now - sentAt >= timeout << Math.min(attempts - 1, 5);
    }

    void complete(Result result) {
        call.complete(result);
        answered.add(new Answered(clientId, seq, op, result));
        call = null;
        connected = false;
    }

    long seq() {
        return seq;
    }

    Operation op() {
        return op;
    }

    int replica() {
        return replica;
    }

    List<Answered> answered() {
        return Collections.unmodifiableList(answered);
    }
}
