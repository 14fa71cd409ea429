package lamportkv.client;

import java.rmi.ConnectIOException;
import java.rmi.RemoteException;
import java.rmi.ServerError;
import java.rmi.ServerException;
import java.rmi.UnmarshalException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import lamportkv.rmi.Command;
import lamportkv.rmi.Payloads;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;

/**
 * Puts operations that threads of one process send to the same replica at the same time into one
 * RMI call ({@link ReplicaService#executeAll}), as a disk's group commit puts writes into one
 * force. A call costs both sides far more CPU than the operation it carries, so under load this
 * is where the CPU goes; alone, nothing changes.
 *
 * <p>The rule: at most {@link #CALLS_PER_REPLICA} calls to a replica are in flight at once. An
 * operation that finds a call free goes at once, on its caller's thread, by itself. One that finds
 * them all busy waits in a queue; when a call returns, everything queued by then (at most
 * {@link ReplicaService#MAX_CALL_COMMANDS} operations, and about {@link #MAX_CALL_CHARS} characters of words)
 * goes in the next call, sent by a sender thread. So a waiting operation waits at most for one
 * call to return before it is sent, and never for a timer.
 *
 * <p>Each operation keeps its own meaning: the replica checks, admits, orders and answers each as
 * if it had come alone, each within its own timeout. A call that fails fails every operation in
 * it with the same exception, which tells each caller the same as a call of its own would: not
 * reached, or reached and contact lost. The combined call's reply waits for the slowest of its
 * operations, and all of them were taken into the same round, so that is rarely later.
 */
final class CallCombiner {
    /**
     * Calls in flight to one replica; more operations wait for the next call. Two lets one call be
     * ordered while the next is sent. {@code -Dlamportkv.client.callsPerReplica=N}; 0 turns
     * combining off (every operation in a call of its own, as before).
     */
    static final int CALLS_PER_REPLICA = Integer.getInteger("lamportkv.client.callsPerReplica", 2);

    /** A combined call's words, in characters: a large command goes alone, well under the replica's filter limit. */
    static final int MAX_CALL_CHARS = 64 * 1024;

    /**
     * By stub: RMI's stubs are equal when they name the same remote object through the same kind of
     * socket (their socket factories, so a TLS client and a plain one never share a call), and a
     * restarted replica's objects are new ones. Weak keys: a combiner goes with the last stub of
     * its replica.
     */
    private static final Map<ReplicaService, CallCombiner> BY_REPLICA = Collections.synchronizedMap(new WeakHashMap<>());

    /** Sends the combined calls; the threads end when idle. */
    private static final ExecutorService SENDERS = Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "lamportkv-client-combined-call");
        t.setDaemon(true);
        return t;
    });

    /** Operations that went in combined calls, in this process so far (for tests and the curious). */
    private static final AtomicLong COMBINED = new AtomicLong();
    private static final AtomicLong HANDED_OFF = new AtomicLong();

    private final int callsPerReplica;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;
    /**
     * Whether the replica answers {@link ReplicaService#executeAllEncoded}; false once it said it
     * has no such method (a replica of an earlier version): then every call goes as {@code executeAll}.
     */
    private volatile boolean encodedReplies = true;

    CallCombiner(int callsPerReplica) {
        this.callsPerReplica = callsPerReplica;
    }

    /** The one combiner of this process for the remote object {@code stub} names. */
    static CallCombiner of(ReplicaService stub) {
        return BY_REPLICA.computeIfAbsent(stub, e -> new CallCombiner(CALLS_PER_REPLICA));
    }

    /**
     * Where an operation submitted with {@link #submit} hears its end: its reply, or the failure of
     * its call. Called on the thread that made the call, which must not block here: the next call
     * to the replica waits for it. An operation submitted from here goes in that next call.
     */
    @FunctionalInterface
    interface Callback {
        void done(Reply reply, Throwable failure);
    }

    /** The combiner whose call's callbacks this thread runs now, if any: what they submit waits for the call it sends next. */
    private static final ThreadLocal<CallCombiner> FINISHING = new ThreadLocal<>();

    /** One operation waiting for a call: its stub, its command, and in the end its reply or failure. */
    private static final class Pending {
        final ReplicaService service;
        final Command command;
        final int chars;
        /** Null for a caller that waits ({@link #await}). */
        final Callback callback;
        private Reply reply;
        private Throwable failure;
        private boolean done;

        Pending(ReplicaService service, Command command, Callback callback) {
            this.service = service;
            this.command = command;
            this.chars = chars(command);
            this.callback = callback;
        }

        void finish(Reply r, Throwable f) {
            if (callback != null) {
                try {
                    callback.done(r, f);
                } catch (RuntimeException | Error e) {
                    // A bug of the callback's: reported, and the other operations of the call still hear their end.
                    Thread t = Thread.currentThread();
                    t.getUncaughtExceptionHandler().uncaughtException(t, e);
                }
                return;
            }
            synchronized (this) {
                reply = r;
                failure = f;
                done = true;
                notifyAll();
            }
        }

        /**
         * Waits for the call that carries it, as the caller's own RMI call would: not cut short by
         * an interrupt (which is kept), and bounded as that call is, by RMI's read timeout.
         */
        synchronized Reply await() throws RemoteException {
            boolean interrupted = false;
            while (!done) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (failure instanceof RemoteException r) {
                throw r;
            }
            if (failure instanceof RuntimeException r) {
                throw r;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            return reply;
        }
    }

    /** {@code service.execute(command)}, or the same operation in a combined call. */
    Reply execute(ReplicaService service, Command command) throws RemoteException {
        if (callsPerReplica <= 0) {
            return service.execute(command);
        }
        Pending pending = null;
        synchronized (this) {
            if (inFlight < callsPerReplica && queue.isEmpty()) {
                inFlight++;
            } else {
                pending = new Pending(service, command, null);
                queue.add(pending);
            }
        }
        if (pending != null) {
            return pending.await();
        }
        try {
            return call(service, new Command[] {command})[0];
        } catch (RemoteException e) {
            failQueuedIfLost(e);
            throw e;
        } finally {
            List<Pending> next = nextOrRelease();
            if (next != null) {
                SENDERS.execute(() -> send(next));
            }
        }
    }

    /**
     * {@code service.execute(command)} without waiting for it: {@code callback} hears its reply or
     * failure on the thread that makes its call. Submitted from a callback of this combiner, it
     * goes in the call that thread sends next, so a closed loop of operations costs no thread
     * hand-off; submitted elsewhere while a call is free, a sender thread takes it at once.
     * Combining off ({@link #CALLS_PER_REPLICA} 0), a sender thread makes its call alone.
     */
    void submit(ReplicaService service, Command command, Callback callback) {
        Pending pending = new Pending(service, command, callback);
        if (callsPerReplica <= 0) {
            SENDERS.execute(() -> {
                try {
                    pending.finish(service.execute(command), null);
                } catch (RemoteException | RuntimeException | Error e) {
                    pending.finish(null, e);
                }
            });
            return;
        }
        boolean sendNow;
        synchronized (this) {
            queue.add(pending);
            sendNow = FINISHING.get() != this && inFlight < callsPerReplica;
            if (sendNow) {
                inFlight++;
            }
        }
        if (sendNow) {
            HANDED_OFF.incrementAndGet();
            SENDERS.execute(() -> {
                List<Pending> next = nextOrRelease();
                if (next == null) {
                    return;
                }
                send(next);
            });
        }
    }

    /** One call of {@code commands}; their replies, one each. */
    private Reply[] call(ReplicaService service, Command[] commands) throws RemoteException {
        byte[] encoded = Payloads.encodeCommands(commands);
        if (encodedReplies) {
            byte[][] chunks;
            try {
                chunks = service.executeAllEncoded(encoded);
            } catch (ServerException e) {
                if (!unknownMethod(e)) {
                    throw e;
                }
                encodedReplies = false;     // an earlier version: it ran nothing, so the same call goes again
                return call(service, commands);
            }
            try {
                return Payloads.decodeReplies(chunks, commands.length);
            } catch (IllegalArgumentException e) {
                throw new UnmarshalException(e.getMessage());
            }
        }
        Reply[] replies = service.executeAll(encoded);
        if (replies == null || replies.length != commands.length) {
            throw new UnmarshalException("the replica answered " + (replies == null ? "nothing" : replies.length)
                    + " of " + commands.length + " operations");
        }
        return replies;
    }

    /** RMI's answer from a remote object that has no such method: nothing ran. */
    static boolean unknownMethod(ServerException e) {
        return e.getCause() instanceof UnmarshalException u && u.getMessage() != null
                && u.getMessage().contains("unrecognized method hash");
    }

    /** Submitted operations handed to a sender thread (not sent by the thread that heard the call before), in this process so far. */
    static long handedOff() {
        return HANDED_OFF.get();
    }

    /** Operations that went in combined calls in this process so far. */
    static long combinedOperations() {
        return COMBINED.get();
    }

    /** Operations waiting for a call now. */
    synchronized int queued() {
        return queue.size();
    }

    /** Sends {@code batch}, then whatever queued meanwhile, until the queue is empty; then frees the call. */
    private void send(List<Pending> batch) {
        while (batch != null) {
            Command[] commands = new Command[batch.size()];
            for (int i = 0; i < commands.length; i++) {
                commands[i] = batch.get(i).command;
            }
            try {
                // The first one's stub: every stub in here is equal (the same remote object, the same sockets).
                Reply[] replies = call(batch.get(0).service, commands);
                FINISHING.set(this);
                for (int i = 0; i < replies.length; i++) {
                    batch.get(i).finish(replies[i], null);
                }
            } catch (RemoteException | RuntimeException | Error e) {
                FINISHING.set(this);
                for (Pending p : batch) {
                    p.finish(null, e);
                }
                if (e instanceof RemoteException r) {
                    failQueuedIfLost(r);
                }
            } finally {
                FINISHING.remove();
            }
            batch = nextOrRelease();
        }
    }

    /**
     * A call lost contact with the replica (or never made it): what waits behind it is not sent
     * there too, each after the call before it, but told it was not sent, so that its caller goes
     * on to another replica at once. (A replica that answered with an error keeps its queue.)
     */
    private void failQueuedIfLost(RemoteException e) {
        if (e instanceof ServerException || e instanceof ServerError) {
            return;
        }
        List<Pending> waiting;
        synchronized (this) {
            waiting = new ArrayList<>(queue);
            queue.clear();
        }
        NotSent notSent = new NotSent("not sent: the call before it to this replica failed (" + Rmi.rootMessage(e) + ")");
        for (Pending p : waiting) {
            p.finish(null, notSent);
        }
    }

    /** An operation that was never sent, since the call before it to the same replica failed: certainly not reached. */
    static final class NotSent extends ConnectIOException {
        private static final long serialVersionUID = 1L;

        NotSent(String message) {
            super(message);
        }
    }

    /** The next call's operations, keeping the call; or null, freeing it, when none wait. */
    private synchronized List<Pending> nextOrRelease() {
        if (queue.isEmpty()) {
            inFlight--;
            return null;
        }
        List<Pending> batch = new ArrayList<>(Math.min(queue.size(), ReplicaService.MAX_CALL_COMMANDS));
        int chars = 0;
        while (!queue.isEmpty() && batch.size() < ReplicaService.MAX_CALL_COMMANDS
                && (batch.isEmpty() || chars + queue.peek().chars <= MAX_CALL_CHARS)) {
            Pending p = queue.poll();
            chars += p.chars;
            batch.add(p);
        }
        COMBINED.addAndGet(batch.size());
        return batch;
    }

    private static int chars(Command command) {
        int n = 0;
        for (String word : command.wordList()) {
            n += word.length();
        }
        return n;
    }
}
