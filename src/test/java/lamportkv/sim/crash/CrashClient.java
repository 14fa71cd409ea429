package lamportkv.sim.crash;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import lamportkv.check.History;
import lamportkv.client.Attempts;
import lamportkv.core.Operation;
import lamportkv.core.Result;
import lamportkv.rmi.Reply;

/**
 * A closed-loop client, as the real one behaves: one operation at a time, each with the next
 * sequence number of its own client id and a time budget. An attempt goes to a replica with the
 * time left as its deadline. If it gets no answer (its replica crashed, or the connection broke)
 * the same command — same client id and sequence number — goes to the next replica in id order,
 * while the budget lasts; when the replica's deadline comes it answers itself ({@code NOT_APPLIED}
 * if it could take the operation back, else {@code TIMEOUT}). What the user is told is decided by
 * the real client's {@link Attempts}, from every attempt: applied with a result, not applied, or
 * "may still be applied". The end-of-run checks hold each of those against what the replicas
 * finally applied.
 *
 * <p>Each operation is one {@link History} entry: completed with its result if applied, left open
 * if it may have been, dropped if it certainly was not.
 */
final class CrashClient {

    /** What the user was told about one operation. */
    record Told(long clientId, long seq, Operation op, Attempts.Verdict verdict, Result result, String how) {
    }

    final int index;
    final long clientId;
    final int home;
    private final int replicas;
    private final boolean trustLastAttempt;
    private int remaining;
    private long seq;
    private Operation op;
    private History.Call call;
    private Attempts attempts;
    private long budgetEnd;
    private boolean mustSucceed;
    // The current attempt: where, under which token. Not connected: waiting to retry.
    private boolean connected;
    private int replica;
    private int attempt;
    private int nextReplica;
    private long retryAt;
    /** A user thinking between two operations: the next one starts no earlier than this. */
    private long nextOpAt;
    private final List<Told> told = new ArrayList<>();

    CrashClient(int index, int home, int replicas, int operations, boolean trustLastAttempt) {
        this.index = index;
        this.clientId = 1000L + index;          // never 0: 0 is the anonymous client, not deduplicated
        this.home = home;
        this.replicas = replicas;
        this.remaining = operations;
        this.trustLastAttempt = trustLastAttempt;
    }

    /** Whether it has an operation not finished yet. */
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
            return remaining > 0 && now >= nextOpAt && (counterReady || (index == 0 && seq == 0));
        }
        return !connected && now >= retryAt;
    }

    /**
     * The next operation: its sequence number, its budget and its one History entry. One that must
     * succeed (the counter's creation) is retried under the same tag until it is applied.
     */
    void begin(Operation next, History.Call recorded, long now, long budget, boolean mustSucceed) {
        remaining--;
        seq++;
        op = next;
        call = recorded;
        attempts = trustLastAttempt ? Attempts.trustingLastAttempt() : new Attempts();
        budgetEnd = now + budget;
        this.mustSucceed = mustSucceed;
        if (seq == 1) {
            nextReplica = home;
        }
    }

    /** The user thinks before the next operation: long enough, say, for its client record to expire. */
    void pauseUntil(long at) {
        nextOpAt = at;
    }

    /** Whether the user is thinking: nothing is expected of the cluster for it meanwhile. */
    boolean thinking(long now) {
        return call == null && remaining > 0 && now < nextOpAt;
    }

    /** Only in a broken variant: the retry takes the next sequence number, as if it were a new operation. */
    void renumber() {
        seq++;
    }

    /** The replica the next attempt goes to: home first, then the next ones in id order, wrapping. */
    int target() {
        return nextReplica;
    }

    /**
     * An attempt goes out to {@code atReplica}; its number (never reused by this client) names it
     * in the replica's answer.
     */
    int attempt(int atReplica) {
        connected = true;
        replica = atReplica;
        attempt++;
        return attempt;
    }

    long budgetEnd() {
        return budgetEnd;
    }

    /** The target was down: nothing was sent. Try the next one at once. */
    void unreached(int where) {
        attempts.noReply("replica " + where, false);
        moveOn(0);
    }

    /** The attempt got no answer (its replica crashed, the connection broke): retry from {@code at}. */
    void lostContact(long at) {
        attempts.noReply("replica " + replica, true);
        moveOn(at);
    }

    private void moveOn(long at) {
        connected = false;
        retryAt = at;
        nextReplica = nextReplica % replicas + 1;
    }

    boolean waitingAt(int id) {
        return call != null && connected && replica == id;
    }

    boolean waitingFor(int atReplica, int attemptNo) {
        return call != null && connected && replica == atReplica && attempt == attemptNo;
    }

    /** The budget ran out with no attempt answering: the user is told what the attempts allow. */
    boolean outOfTime(long now) {
        return call != null && !connected && now >= budgetEnd;
    }

    /**
     * The replica answered the current attempt. Returns whether the user was told something (the
     * operation is over); otherwise the client retries elsewhere.
     */
    boolean answered(Reply.Status status, Result result, long now) {
        boolean retry = attempts.retryAfter("replica " + replica, status);
        if (retry && now < budgetEnd) {
            moveOn(now + 1);
            return false;
        }
        return finish(result, now, "replica " + replica + " answered " + status);
    }

    /** The budget is spent with no answer. Returns whether the user was told something. */
    boolean giveUp(long now) {
        return finish(null, now, "no replica answered within the budget");
    }

    private boolean finish(Result result, long now, String how) {
        Attempts.Verdict verdict = attempts.verdict();
        if (mustSucceed && verdict != Attempts.Verdict.APPLIED) {
            // The counter's creation is retried under the same tag until it applies (exactly once).
            budgetEnd = now + 200;
            connected = false;
            retryAt = now + 1;
            nextReplica = nextReplica % replicas + 1;
            return false;
        }
        told.add(new Told(clientId, seq, op, verdict, verdict == Attempts.Verdict.APPLIED ? result : null, how));
        switch (verdict) {
            case APPLIED -> call.complete(result);
            case NOT_APPLIED -> call.didNotHappen();
            case MAY_BE_APPLIED -> call.completeUnknown();
        }
        call = null;
        connected = false;
        return true;
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

    List<Told> told() {
        return Collections.unmodifiableList(told);
    }
}
