package lamportkv.replica;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.rmi.NotBoundException;
import java.rmi.RemoteException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.Codec;
import lamportkv.core.ViewCodec;
import lamportkv.core.ViewMessage;
import lamportkv.core.ReplicaCore.Outgoing;
import lamportkv.rmi.Ack;
import lamportkv.rmi.Batch;
import lamportkv.rmi.Payloads;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.Rmi;
import lamportkv.rmi.SerialFilters;
import lamportkv.security.PeerAuth;
import org.tinylog.TaggedLogger;

/**
 * The link from this replica to one peer: the one sender of everything this replica tells it.
 *
 * <p>Java RMI is not FIFO: calls from different threads travel on different connections and
 * arrive in any order. So every message for a peer goes through this link's queue, and one call
 * at a time sends whatever is waiting as one batch, in order, and waits for the answer before
 * the next. The link's own thread makes the calls, except that the thread of a client's call may
 * reserve an idle link's next call ({@link #reserve}) and make it itself once its round has queued
 * the REQUESTs ({@link #callReserved}): it would only wait otherwise, and the link's thread need
 * not be woken on the operation's path. Reserved or not, it is the same call, one at a time.
 * Each message has a link sequence number; the peer answers with the highest number it holds
 * and the highest it holds durably ({@link Ack}). The link sends on after the first and keeps
 * every message until the second covers it; after a failed call it re-sends
 * everything it keeps. A batch that reached the peer but whose answer was lost is therefore
 * re-sent harmlessly: the peer drops what it holds.
 *
 * <p><b>Carried back.</b> The peer's calls to this replica may take this link's waiting messages
 * back in their answers ({@link #takeForAnswer}; above all the OKs for the batch the call
 * brought): one call fewer per operation at one client. Those messages are sent on after, like
 * any others; the peer's next answer to this link says it holds them. One the peer does not report
 * holding within {@link #HAND_OFF_MILLIS} was lost with its answer and is sent again. The
 * peer's answers to this link likewise carry its messages for this replica ({@link #onCarriedBack}).
 *
 * <p>When idle the link sends an empty batch every {@link #HEARTBEAT_MILLIS}, so a peer that
 * goes away is noticed even when there is nothing to tell it. Every batch carries this replica's
 * wall clock and its configuration's agreement; a peer configured otherwise refuses it.
 *
 * <p>A message queued out of number order is a bug of the caller: {@link #send} throws, and an
 * unexpected exception in the link's own thread goes to its uncaught-exception handler (the
 * replica fail-stops).
 */
final class PeerLink implements AutoCloseable {
    /** The longest wait between two batches: a peer must hear from us well within its suspicion time. */
    static final long HEARTBEAT_MILLIS = 1_000;
    private static final long MAX_BACKOFF_MILLIS = 1_000;
    private static final int MAX_BATCH_MESSAGES = 8_192;
    private final int self;
    private final ReplicaAddress peer;
    private final TaggedLogger log;
    private final PeerAuth auth;
    private final Confirmations onConfirmed;

    /** Where the peer's confirmations go: it holds the link of view {@code view} durably up to {@code durable}. */
    @FunctionalInterface
    interface Confirmations {
        void confirmed(long view, long durable);
    }
    private final byte[] agreement;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Sent or not, every message the peer has not confirmed, in sequence order. */
    private final ArrayDeque<Outgoing> unconfirmed = new ArrayDeque<>();
    /** The highest number the peer has confirmed holding durably (or, before it answers, the number before our first). */
    private long confirmed;
    /** The highest number the peer has taken in, durably or not: the next batch starts after it. */
    private long received;
    /** The highest number ever queued: the next message must carry the one after it. */
    private long lastQueued;
    /**
     * Messages handed to answers of the peer's own calls ({@link #takeForAnswer}) that the peer has
     * not reported holding ({@link #received}), oldest first: the link's thread sends on after the
     * last ({@link #sentOnAfter}); one the peer does not report holding in time was lost.
     */
    private final ArrayDeque<HandOff> handOffs = new ArrayDeque<>();
    /** Answers to the peer's calls being made now that may carry this link's messages back: the thread waits for them. */
    private int answersComing;
    /** Where batches the peer's answers carry back go (its own link's messages to this replica). */
    private volatile java.util.function.Consumer<Batch> carriedBack = b -> { };
    /** The view this replica is in: the incarnation of the link the numbers above belong to. */
    private long view;
    /** View messages for the peer, sent with the next batch once (they need no numbers nor re-sending). */
    private final List<ViewMessage> control = new ArrayList<>();
    private final long heartbeatMillis;
    private boolean closed;
    private boolean peerLostState;
    private boolean peerAhead;
    /** Why the peer last refused a batch (logged once), or null while it takes them. */
    private volatile String refusal;
    /** Whether a call on this link is out now, by its thread or by a caller's ({@link #callReserved}): one at a time. */
    private boolean calling;
    /** How often the link's thread woke while waiting for work (tests). */
    private long wakeUps;
    /** When the last call on this link ended (System.nanoTime), by whichever thread: heartbeats count from it. */
    private long lastCallEndedNanos = System.nanoTime();
    /** A caller's thread makes the next call ({@link #reserve}): the link's thread leaves the messages to it. */
    private boolean reserved;
    private final Thread thread;

    /** The peer's service; null until found and after a failed call. Used by whoever makes the call. */
    private volatile PeerService stub;
    private volatile Reachability reachability = Reachability.UNKNOWN;
    private volatile long unreachableSinceMillis;

    enum Reachability { UNKNOWN, REACHABLE, UNREACHABLE }

    /**
     * How long messages handed to an answer may go unconfirmed before the link asks the peer what
     * it holds (an empty batch) and, if it still does not hold them, sends them again: the answer
     * may have been lost with its connection.
     */
    static final long HAND_OFF_MILLIS = 50;

    /**
     * Whether a client's call may send on a link itself ({@link #reserve}): on by default;
     * {@code -Dlamportkv.callsOnLinks=false} leaves every call to the links' threads.
     */
    static final boolean CALLS_ON_LINKS = !"false".equals(System.getProperty("lamportkv.callsOnLinks"));
    private static final byte[] NO_CONTROL = ViewCodec.encode(List.of());

    /** Messages up to {@code lastSeq} went out on an answer at {@code nanos}. */
    private record HandOff(long lastSeq, long nanos) {
    }

    /** Finds the peer's service (its RMI stub); called again after a failed call. */
    @FunctionalInterface
    interface Connector {
        PeerService connect() throws RemoteException, NotBoundException;
    }

    private final Connector connector;

    /**
     * @param firstSeq    the number of the first message {@link #send} will queue: after a restart
     *                    the first message the peer has not confirmed (the backlog comes first)
     * @param view        the view this replica is in (the link's incarnation)
     * @param agreement   this replica's {@link lamportkv.core.Agreement#describe}, in UTF-8
     * @param onConfirmed where the peer answers are reported, on whatever thread: the core stops keeping them
     * @param onBug       hears an unexpected exception of the link's thread (the replica fail-stops)
     */
    PeerLink(int self, ReplicaAddress peer, TaggedLogger log, PeerAuth auth, long view, long firstSeq, byte[] agreement,
             long heartbeatMillis, Confirmations onConfirmed, Thread.UncaughtExceptionHandler onBug) {
        this(self, peer, log, auth, view, firstSeq, agreement, heartbeatMillis, onConfirmed, onBug,
                () -> Rmi.peerService(peer.host(), peer.port()));
    }

    /** In view 0, with the default heartbeat (tests). */
    PeerLink(int self, ReplicaAddress peer, TaggedLogger log, PeerAuth auth, long firstSeq, byte[] agreement,
             LongConsumer onConfirmed, Thread.UncaughtExceptionHandler onBug, Connector connector) {
        this(self, peer, log, auth, 0, firstSeq, agreement, HEARTBEAT_MILLIS, (view, durable) -> onConfirmed.accept(durable),
                onBug, connector);
    }

    /** As above, reaching the peer through {@code connector} (tests hand in a service of their own). */
    PeerLink(int self, ReplicaAddress peer, TaggedLogger log, PeerAuth auth, long view, long firstSeq, byte[] agreement,
             long heartbeatMillis, Confirmations onConfirmed, Thread.UncaughtExceptionHandler onBug, Connector connector) {
        if (firstSeq < 1) {
            throw new IllegalArgumentException("link numbers start at 1: " + firstSeq);
        }
        this.connector = connector;
        this.self = self;
        this.peer = peer;
        this.log = log;
        this.auth = auth;
        this.agreement = agreement.clone();
        this.onConfirmed = onConfirmed;
        this.confirmed = firstSeq - 1;
        this.received = confirmed;
        this.lastQueued = confirmed;
        this.view = view;
        this.heartbeatMillis = heartbeatMillis;
        this.thread = new Thread(this::run, "link-" + self + "-to-" + peer.id());
        this.thread.setDaemon(true);
        this.thread.setUncaughtExceptionHandler(onBug);
    }

    void start() {
        thread.start();
    }

    /** Where batches carried back on the peer's answers go: this replica takes them in as if the peer had sent them. */
    void onCarriedBack(java.util.function.Consumer<Batch> takeIn) {
        this.carriedBack = takeIn;
    }

    ReplicaAddress peer() {
        return peer;
    }

    /**
     * Queues numbered messages for the peer, after everything queued before. Never blocks on the network.
     *
     * @throws IllegalStateException if a message is not numbered one above the one before (a bug)
     */
    void send(List<Outgoing> messages) {
        lock.lock();
        try {
            long expected = lastQueued + 1;
            for (Outgoing m : messages) {
                if (m.seq() != expected) {
                    throw new IllegalStateException("link " + self + "→" + peer.id() + ": message " + m.seq()
                            + " queued where " + expected + " was due: link numbers must have no gaps");
                }
                expected++;
            }
            unconfirmed.addAll(messages);
            lastQueued = expected - 1;
            if (answersComing == 0 && !reserved) {
                changed.signalAll();        // else an answer or a reserved call takes them, and wakes the thread if any are left
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * This replica moved to view {@code newView}: the link starts a new incarnation, numbered from
     * 1, and what was queued for the old one is void (the view change settled it).
     */
    void restart(long newView) {
        lock.lock();
        try {
            if (newView == view) {
                return;
            }
            view = newView;
            unconfirmed.clear();
            confirmed = 0;
            received = 0;
            lastQueued = 0;
            handOffs.clear();
            peerLostState = false;
            peerAhead = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Queues view messages for the peer, to go with the next batch. Never blocks on the network. */
    void sendView(List<ViewMessage> messages) {
        lock.lock();
        try {
            control.addAll(messages);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    boolean reachable() {
        return reachability == Reachability.REACHABLE;
    }

    /** Wall-clock time the peer became unreachable, or 0 if it is reachable. */
    long unreachableSinceMillis() {
        return reachability == Reachability.REACHABLE ? 0 : unreachableSinceMillis;
    }

    /** Messages queued for the peer and not yet confirmed. */
    int backlog() {
        lock.lock();
        try {
            return unconfirmed.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The peer is calling this replica, and the answer may carry this link's waiting messages back
     * ({@link #takeForAnswer}); until then the link's thread does not send them in a call of its
     * own (they would travel twice). Every call is ended by {@link #takeForAnswer} or {@link #noAnswer}.
     */
    void answerComing() {
        lock.lock();
        try {
            answersComing++;
        } finally {
            lock.unlock();
        }
    }

    /** The answer announced by {@link #answerComing} carries nothing back. */
    void noAnswer() {
        lock.lock();
        try {
            answersComing--;
            if (answersComing == 0 && hasUnsent()) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * For the answer announced by {@link #answerComing}: the messages the link's thread has not
     * sent, as a signed batch of at most {@link Payloads#MAX_BACK_BYTES} (null if none wait, or
     * the first alone is larger). The
     * link sends on after them; if the peer does not report holding them within
     * {@link #HAND_OFF_MILLIS}, it sends them again. Only what {@link #send} queued goes: the
     * messages a round hands on after its force.
     */
    Batch takeForAnswer() {
        long firstSeq;
        long batchView;
        Encoded encoded;
        lock.lock();
        try {
            answersComing--;
            firstSeq = sentOnAfter() + 1;
            List<Outgoing> next = closed ? List.of() : unsentFrom(firstSeq, MAX_BATCH_MESSAGES);
            if (next.isEmpty()) {
                if (answersComing == 0 && hasUnsent()) {
                    changed.signalAll();
                }
                return null;
            }
            encoded = encode(next, MAX_BATCH_MESSAGES, Payloads.MAX_BACK_BYTES);
            if (encoded.bytes().length > Payloads.MAX_BACK_BYTES) {
                // One message alone is larger (a cas of two large values): an answer that size
                // would break the caller's filter, so the link sends it in a call of its own.
                if (answersComing == 0) {
                    changed.signalAll();
                }
                return null;
            }
            handOffs.addLast(new HandOff(firstSeq + encoded.count() - 1, System.nanoTime()));
            batchView = view;
            // The thread hears of what is left, and of a first hand-off (it asks about it in time);
            // it need not wake for every one.
            if ((answersComing == 0 && hasUnsent()) || handOffs.size() == 1) {
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        return auth.batch(self, peer.id(), batchView, firstSeq, encoded.bytes(), NO_CONTROL,
                System.currentTimeMillis(), agreement);
    }

    /**
     * For a client's call about to be ordered: reserves the link's next call for the calling
     * thread, which makes it with {@link #callReserved} once its round has committed, instead of
     * waking the link's thread for it (a thread hand-off on the operation's path). Only a link that
     * is idle and whose peer answers: false if a call is out or messages already wait (the link's
     * thread is busy, as under load), or the peer is unreachable or refusing (the link's thread
     * retries at its own pace). Every true is ended by {@link #callReserved}.
     */
    boolean reserve() {
        if (!CALLS_ON_LINKS || !Rmi.boundedReads() || reachability != Reachability.REACHABLE || refusal != null
                || stub == null) {
            return false;
        }
        lock.lock();
        try {
            if (reserved || busy() || hasUnsent()) {
                return false;
            }
            reserved = true;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends {@link #reserve}: if messages wait (the round's REQUESTs), sends them in one call on
     * the calling thread, exactly as the link's thread would (what the answer carries back is taken
     * in here too), and otherwise leaves them to the link's thread. Never throws: a failed call
     * leaves the messages to the link's thread, which retries; a bug of the link stops the replica
     * as one on the link's thread does.
     */
    void callReserved() {
        Next next;
        lock.lock();
        try {
            reserved = false;
            if (busy() || !hasUnsent()) {
                wakeIfWorkWaits();          // whatever waits is the link thread's
                return;
            }
            next = takeNext();
        } finally {
            lock.unlock();
        }
        try {
            call(next, reservedCallMillis());
        } catch (RuntimeException | Error bug) {
            thread.getUncaughtExceptionHandler().uncaughtException(thread, bug);
        }
    }

    /** How often the link's thread has woken while waiting for work (tests). */
    long wakeUps() {
        lock.lock();
        try {
            return wakeUps;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Under the lock: whether a caller's thread must leave the link to its own thread: closed, a
     * call out, an answer to the peer about to carry the messages, or view messages to send.
     */
    private boolean busy() {
        return closed || calling || answersComing > 0 || !control.isEmpty();
    }

    /**
     * How long a client's thread waits in the link's call it reserved: a peer that stopped
     * mid-call (SIGSTOP) must not hold that client's answer for RMI's own limit (5 s), longer
     * than the view change that settles its operation without that peer takes. Twice the
     * heartbeat: well under the time the view change suspects a silent peer after. If it runs out,
     * the call fails as a lost connection does, and the link's thread sends again.
     */
    private int reservedCallMillis() {
        return (int) Math.max(100, 2 * heartbeatMillis);
    }

    private void run() {
        long backoff = 50;
        while (true) {
            Next next;
            lock.lock();
            try {
                awaitWork();
                if (closed) {
                    return;
                }
                next = takeNext();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            Outcome outcome = call(next, 0);
            long pause = switch (outcome) {
                case TAKEN -> 0;
                case UNREACHABLE, TOOK_NONE -> backoff;
                case REFUSED -> MAX_BACKOFF_MILLIS;
                case OTHER_VIEW -> next.messages().isEmpty() ? 0 : Math.min(backoff, heartbeatMillis);
            };
            if (pause > 0 && !pause(pause)) {
                return;
            }
            backoff = switch (outcome) {
                case TAKEN -> 50;
                case REFUSED -> backoff;
                case UNREACHABLE, TOOK_NONE, OTHER_VIEW -> Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            };
        }
    }

    /** The next call's messages: what the peer neither holds nor got on an answer, from {@code firstSeq} on. */
    private record Next(long firstSeq, long view, List<Outgoing> messages, List<ViewMessage> views) {
    }

    /** What a call came to; all but {@link #TAKEN} make the link's thread wait before the next. */
    private enum Outcome {
        /** The peer took the batch (or some of it, or had lost its unforced tail and must have it again). */
        TAKEN,
        /** The call failed: everything kept goes again. */
        UNREACHABLE,
        /** The peer refused the batch, or answered with no acknowledgement. */
        REFUSED,
        /** The peer is in another view: a view change will settle it. */
        OTHER_VIEW,
        /** The peer took none of it. */
        TOOK_NONE
    }

    /** Under the lock: the next batch's messages (only the references; encoding is done outside), and the call is out. */
    private Next takeNext() {
        long firstSeq = sentOnAfter() + 1;
        calling = true;
        return new Next(firstSeq, view, unsentFrom(firstSeq, MAX_BATCH_MESSAGES), takeControl());
    }

    /**
     * Makes one call with {@code next}: encodes and signs the batch, sends it, takes in what the
     * answer carries back and confirms what the peer holds. Ends the call ({@link #calling}) on
     * every path; throws only on a bug of ours.
     */
    private Outcome call(Next next, int withinMillis) {
        try {
            return deliverAndConfirm(next, withinMillis);
        } finally {
            lock.lock();
            try {
                calling = false;
                lastCallEndedNanos = System.nanoTime();
                if (Thread.currentThread() != thread) {
                    wakeIfWorkWaits();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private Outcome deliverAndConfirm(Next next, int withinMillis) {
        List<Outgoing> messages = next.messages();
        if (!messages.isEmpty() && messages.get(0).seq() != next.firstSeq()) {
            throw new IllegalStateException("link " + self + "→" + peer.id() + " would send message "
                    + messages.get(0).seq() + " as number " + next.firstSeq());
        }
        byte[] controlBytes = ViewCodec.encode(next.views());
        Encoded encoded = encode(messages, MAX_BATCH_MESSAGES, SerialFilters.MAX_BATCH_BYTES - controlBytes.length);
        int count = encoded.count();
        Batch batch = auth.batch(self, peer.id(), next.view(), next.firstSeq(), encoded.bytes(), controlBytes,
                System.currentTimeMillis(), agreement);
        byte[] wire = Payloads.encodeBatch(batch);
        Ack ack;
        try {
            ack = deliver(wire, batch.bytes(), withinMillis);
        } catch (RemoteException | NotBoundException e) {
            stub = null;
            resendAll();
            markUnreachable(e);
            return Outcome.UNREACHABLE;
        } catch (RuntimeException e) {
            // The peer itself refused the batch (RMI hands us its exception), or answered with
            // bytes that are no acknowledgement: another cluster secret or configuration, a
            // bug or a mismatched version. Say so once per reason (not every second), retry
            // slowly. Only the remote call is inside this catch: an exception of our own code is
            // a bug and stops the replica.
            String why = Rmi.rootMessage(e);
            if (!why.equals(refusal)) {
                refusal = why;
                log.error("replica {} refused a batch from replica {}: {} (retrying every second;"
                        + " logged again only if the reason changes)", peer.id(), self, why);
            }
            return Outcome.REFUSED;
        }
        markReachable();
        if (ack.back() != null) {
            carriedBack.accept(ack.back());
        }
        if (refusal != null) {
            refusal = null;
            log.info("replica {} takes batches from replica {} again", peer.id(), self);
        }
        if (ack.view() != next.view()) {
            // The peer is in another view: it took none of the numbered messages, and its
            // numbers are of another incarnation. A view change will settle it; go slowly.
            lock.lock();
            try {
                settleHandOffs();       // nor what answers carried: at most one question about them
            } finally {
                lock.unlock();
            }
            return Outcome.OTHER_VIEW;
        }
        boolean tookSome = ack.held() >= batch.firstSeq() && ack.held() < batch.firstSeq() + count;
        // It restarted and lost what it had not forced: re-send at once. (Below what it had
        // confirmed durable it lost its disk: that is no progress, and is logged.)
        boolean rewound = ack.held() < batch.firstSeq() - 1 && ack.held() >= confirmed;
        if (confirm(ack)) {
            onConfirmed.confirmed(ack.view(), ack.durable());
        }
        return tookSome || rewound || count == 0 ? Outcome.TAKEN : Outcome.TOOK_NONE;
    }

    /** The first messages of a batch and their encoding ({@link Codec#encode}'s format). */
    record Encoded(int count, byte[] bytes) {
    }

    /**
     * Encodes messages from the front of {@code queue} as one batch of at most {@code maxMessages}
     * messages and {@code maxBytes} bytes (the peer refuses larger ones); at least one message if
     * there is any, since one message is far below the limit.
     */
    static Encoded encode(Iterable<Outgoing> queue, int maxMessages, int maxBytes) {
        final class Buffer extends ByteArrayOutputStream {
            void truncate(int size) {
                count = size;
            }

            void putCount(int n) {
                buf[0] = (byte) (n >>> 24);
                buf[1] = (byte) (n >>> 16);
                buf[2] = (byte) (n >>> 8);
                buf[3] = (byte) n;
            }
        }
        Buffer bytes = new Buffer();
        int count = 0;
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(0);
            for (Outgoing n : queue) {
                if (count == maxMessages) {
                    break;
                }
                int before = bytes.size();
                Codec.writeMessage(out, n.message());
                out.flush();
                if (bytes.size() > maxBytes && count > 0) {
                    bytes.truncate(before);
                    break;
                }
                count++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        bytes.putCount(count);
        return new Encoded(count, bytes.toByteArray());
    }

    /**
     * The view messages to send now, under the lock: as many as fit well under the batch limit (a
     * state chunk is half of it), the rest next time.
     */
    private List<ViewMessage> takeControl() {
        List<ViewMessage> taken = new ArrayList<>();
        long bytes = 0;
        while (!control.isEmpty()) {
            ViewMessage m = control.get(0);
            long size = m instanceof ViewMessage.StateChunk c ? c.bytes().length : 1_024;
            if (!taken.isEmpty() && bytes + size > SerialFilters.MAX_BATCH_BYTES / 2) {
                break;
            }
            taken.add(control.remove(0));
            bytes += size;
        }
        return taken;
    }

    /**
     * Under the lock, after a caller's call or reservation ended: wakes the link's thread only if
     * it has something to send now. Otherwise it sleeps on: a wake-up costs the caller's thread, on
     * the operation's path, about as much as a hop (and the thread's own waits are timed: the next
     * heartbeat counts from the last call, whoever made it).
     */
    private void wakeIfWorkWaits() {
        if (hasUnsent() || !control.isEmpty()) {
            changed.signalAll();
        }
    }

    /** Whether a message waits that the peer has not taken in and no answer has carried. */
    private boolean hasUnsent() {
        return !unconfirmed.isEmpty() && unconfirmed.peekLast().seq() > sentOnAfter();
    }

    /** The highest number the peer holds or an answer carried: the link sends on after it (under the lock). */
    private long sentOnAfter() {
        HandOff last = handOffs.peekLast();
        return last == null ? received : Math.max(received, last.lastSeq());
    }

    /**
     * Under the lock, until there is something to send or a batch is due anyway: a heartbeat, or
     * a question about messages handed to answers that the peer has not reported holding in time.
     * Waits while answers to the peer's calls may carry the waiting messages back, and while a
     * caller's thread makes the link's call ({@link #reserve}).
     */
    private void awaitWork() throws InterruptedException {
        long heartbeatNanos = TimeUnit.MILLISECONDS.toNanos(heartbeatMillis);
        while (!closed) {
            if (reserved || calling) {
                // A caller's call: its end wakes this thread only if it left work (wakeIfWorkWaits);
                // else the next heartbeat counts from it.
                changed.awaitNanos(heartbeatNanos);
                wakeUps++;
                continue;
            }
            if (!control.isEmpty() || (hasUnsent() && answersComing == 0)) {
                return;
            }
            long due = lastCallEndedNanos + heartbeatNanos;
            HandOff oldest = handOffs.peekFirst();
            if (oldest != null) {
                due = Math.min(due, oldest.nanos() + TimeUnit.MILLISECONDS.toNanos(HAND_OFF_MILLIS));
            }
            long left = due - System.nanoTime();
            if (left <= 0) {
                return;
            }
            changed.awaitNanos(left);
            wakeUps++;
        }
    }

    /** Up to {@code max} of the kept messages, in order, from number {@code firstSeq} on (under the lock). */
    private List<Outgoing> unsentFrom(long firstSeq, int max) {
        List<Outgoing> unsent = new ArrayList<>();
        for (Outgoing m : unconfirmed) {
            if (unsent.size() == max) {
                break;
            }
            if (m.seq() >= firstSeq) {
                unsent.add(m);
            }
        }
        return unsent;
    }

    /** After a failed call the peer may have taken in anything or, restarted, lost what it did not force. */
    private void resendAll() {
        lock.lock();
        try {
            received = confirmed;
            handOffs.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Finds the peer's service and keeps it for the calls after. */
    private PeerService connect() throws RemoteException, NotBoundException {
        PeerService found = connector.connect();
        stub = found;
        return found;
    }

    /**
     * Sends a batch laid out as {@code wire}; its answer, decoded (an IllegalArgumentException if it
     * is none). Within {@code withinMillis} if positive, else RMI's own limit.
     */
    private Ack deliver(byte[] wire, long messageBytes, int withinMillis) throws RemoteException, NotBoundException {
        PeerService to = stub != null ? stub : connect();
        Trace.PeerCall traced = new Trace.PeerCall();
        traced.start(self);
        try {
            byte[] answer = withinMillis > 0 ? Rmi.readingWithin(withinMillis, () -> to.deliver(wire)) : to.deliver(wire);
            return Payloads.decodeAck(answer);
        } finally {
            if (traced.shouldCommit()) {
                traced.to = peer.id();
                traced.bytes = messageBytes;
                traced.commit();
            }
        }
    }

    /**
     * Sends on after what the peer holds and drops what it holds durably; true if the latter grew.
     * A peer that restarted may hold less than it had taken in (it lost what it had not forced):
     * the link then re-sends from there, since it kept those messages.
     */
    private boolean confirm(Ack ack) {
        lock.lock();
        try {
            if (ack.view() != view) {
                return false;            // this replica moved to another view while the call was out
            }
            if (ack.held() > lastQueued) {
                // It holds messages this replica never sent: this replica lost its own state.
                if (!peerAhead) {
                    peerAhead = true;
                    log.error("replica {} holds messages up to {} from replica {}, which has sent only up to {}:"
                            + " replica {} lost its state (an emptied data directory?); its messages cannot reach"
                            + " replica {} until the whole cluster is restarted", peer.id(), ack.held(), self,
                            lastQueued, self, peer.id());
                }
                return false;
            }
            if (ack.held() < confirmed) {
                if (!peerLostState) {
                    peerLostState = true;
                    log.error("replica {} holds messages only up to {} from replica {}, which it had confirmed"
                            + " up to {}: it restarted without its state; stop and restart the whole cluster",
                            peer.id(), ack.held(), self, confirmed);
                }
                return false;
            }
            received = ack.held();
            if (ack.durable() <= confirmed) {
                return false;
            }
            while (!unconfirmed.isEmpty() && unconfirmed.peekFirst().seq() <= ack.durable()) {
                unconfirmed.pollFirst();
            }
            confirmed = ack.durable();
            return true;
        } finally {
            settleHandOffs();
            lock.unlock();
        }
    }

    /**
     * After every answer to this link (under the lock): hand-offs the peer holds ({@link #received})
     * are settled; one it still does not hold after {@link #HAND_OFF_MILLIS} was lost (its answer
     * never arrived, or the peer could not take it), and the link sends on from what the peer
     * holds. So an overdue hand-off costs at most one empty batch.
     */
    private void settleHandOffs() {
        while (!handOffs.isEmpty() && handOffs.peekFirst().lastSeq() <= received) {
            handOffs.pollFirst();
        }
        HandOff oldest = handOffs.peekFirst();
        if (oldest != null && System.nanoTime() - oldest.nanos() >= TimeUnit.MILLISECONDS.toNanos(HAND_OFF_MILLIS)) {
            handOffs.clear();
        }
    }

    private void markReachable() {
        if (reachability != Reachability.REACHABLE) {
            reachability = Reachability.REACHABLE;
            log.info("replica {} at {} is reachable", peer.id(), peer.hostPort());
        }
    }

    private void markUnreachable(Exception e) {
        if (reachability != Reachability.UNREACHABLE) {
            unreachableSinceMillis = System.currentTimeMillis();
            reachability = Reachability.UNREACHABLE;
            log.warn("replica {} at {} is unreachable ({}); retrying", peer.id(), peer.hostPort(),
                    Rmi.rootMessage(e));
        }
    }

    /** Waits before a retry; false if the link was closed meanwhile. */
    private boolean pause(long millis) {
        lock.lock();
        try {
            if (!closed) {
                changed.await(millis, TimeUnit.MILLISECONDS);
            }
            return !closed;
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() == thread) {
            return;             // closed by a round its own thread ran (a bug stopped the replica): it ends on its own
        }
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
