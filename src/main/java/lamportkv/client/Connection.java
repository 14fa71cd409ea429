package lamportkv.client;

import java.io.EOFException;
import java.io.PrintStream;
import java.rmi.ConnectException;
import java.rmi.ConnectIOException;
import java.rmi.NoSuchObjectException;
import java.rmi.NotBoundException;
import java.rmi.RemoteException;
import java.rmi.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;

/**
 * The client's link to one replica at a time. Looks the replica up lazily, and when the user let
 * the client pick the replica, moves on to the next one in id order when a call certainly never
 * reached the current one, saying so on stderr.
 *
 * <p>Replicated operations carry the client's id and a sequence number, and replicas apply a
 * tagged operation once however often it is ordered. So {@link #execute} may repeat one wherever
 * it likes until it gets an answer: on the next replica of the configuration (also with
 * {@code --replica}), or on the same address with {@code --connect}.
 */
final class Connection {
    /** A call to a replica's remote object. */
    @FunctionalInterface
    interface RemoteCall<T> {
        T call(ReplicaService service) throws RemoteException;
    }

    /** The replica was not reached at all: nothing was sent to it. */
    private static final class Unreached extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Endpoint endpoint;

        Unreached(Endpoint endpoint, String reason) {
            super(reason, null, false, false);
            this.endpoint = endpoint;
        }
    }

    private static final long WAIT_STEP_MILLIS = 200;

    private static final long MAX_PAUSE_MILLIS = 1_000;

    private final List<Endpoint> candidates;
    private final boolean failover;
    private final boolean movable;
    private final long waitNanos;
    private final long waitDeadline;
    private final PrintStream err;
    private int current;
    private ReplicaService service;

    /**
     * @param candidates the replicas to try, the chosen one first
     * @param failover   whether to move on to the next candidate when one cannot be reached
     * @param movable    whether a tagged operation may be retried on the other candidates
     * @param wait       how long to keep retrying the first candidate before giving up on it
     * @param err        where failover notices go
     */
    Connection(List<Endpoint> candidates, boolean failover, boolean movable, Duration wait, PrintStream err) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no replica to connect to");
        }
        this.candidates = List.copyOf(candidates);
        this.failover = failover;
        this.movable = movable;
        this.waitNanos = wait.toNanos();
        this.waitDeadline = System.nanoTime() + waitNanos;
        this.err = err;
    }

    /** The replica this connection talks to now (or will try first). */
    Endpoint endpoint() {
        return candidates.get(current);
    }

    /** Looks the replica up now, so the shell's first prompt names the replica that answered. */
    void connect() throws CommandFailure {
        call("connect", false, s -> null);
    }

    /**
     * Makes {@code call} on the current replica, failing over while allowed and the replica was
     * certainly not reached.
     *
     * @param what     the command as typed, for error messages
     * @param mayApply whether the call changes state, so that losing contact leaves its outcome unknown
     */
    <T> T call(String what, boolean mayApply, RemoteCall<T> call) throws CommandFailure {
        int attempts = failover ? candidates.size() : 1;
        boolean staleRetried = false;
        Unreached last = null;
        for (int i = 0; i < attempts; i++) {
            Endpoint endpoint = endpoint();
            boolean cached = service != null;
            try {
                return callOnce(endpoint, what, mayApply, call);
            } catch (Unreached u) {
                last = u;
                if (cached && !staleRetried) {
                    // A stub from before a restart of the replica: look it up afresh before moving on.
                    staleRetried = true;
                    i--;
                    continue;
                }
                if (i + 1 < attempts) {
                    current = (current + 1) % candidates.size();
                    err.println(endpoint.describe() + " is unreachable (" + u.getMessage() + "); trying "
                            + endpoint().describe());
                    err.flush();
                }
            }
        }
        if (attempts > 1) {
            current = 0;   // next time, start again from the chosen replica
        }
        throw new CommandFailure(unreachableMessage(last, attempts));
    }

    /**
     * Runs a tagged replicated operation until some replica answers or {@code deadlineNanos}
     * passes. An attempt that gets no answer — the replica is unreachable, contact is lost
     * mid-call, or it is stopping or cannot write its log — is repeated, with the same tag, on
     * the next replica (the same one with {@code --connect}), pausing a little longer after each
     * full round. Each attempt gets the time still left.
     *
     * @param commandFor the command to send, given the milliseconds left
     */
    Reply execute(String what, LongFunction<Command> commandFor, long budgetMillis) throws CommandFailure {
        long deadline = System.nanoTime() + budgetMillis * 1_000_000;
        Map<String, String> reasons = new LinkedHashMap<>();
        long pause = 50;
        int failuresThisRound = 0;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new CommandFailure("timed out after " + Seconds.format(budgetMillis) + ": no replica answered ("
                        + String.join("; ", reasons.values()) + "); the operation may still be applied");
            }
            Endpoint endpoint = endpoint();
            String reason;
            try {
                if (service == null) {
                    service = lookup(endpoint);
                }
                Reply reply = service.execute(commandFor.apply(left));
                if (reply.status() != Reply.Status.REFUSED || !replicaUnavailable(reply.text())) {
                    return reply;
                }
                reason = reply.text();
            } catch (Unreached u) {
                reason = endpoint.describe() + " is unreachable (" + u.getMessage() + ")";
            } catch (RemoteException e) {
                service = null;
                reason = "lost contact with " + endpoint.describe() + " (" + cause(e) + ")";
            } catch (RuntimeException e) {
                throw new CommandFailure(endpoint.describe() + " failed on '" + what + "': " + e
                        + " (a bug in the replica; its log has the trace)");
            }
            reasons.put(endpoint.describe(), reason);
            if (movable) {
                current = (current + 1) % candidates.size();
                service = null;
            }
            err.println("retrying '" + what + "' on " + endpoint().describe() + ": " + reason);
            err.flush();
            if (++failuresThisRound >= (movable ? candidates.size() : 1)) {
                failuresThisRound = 0;
                sleep(Math.min(pause, Math.max(0, (deadline - System.nanoTime()) / 1_000_000)));
                pause = Math.min(pause * 2, MAX_PAUSE_MILLIS);
            }
        }
    }

    /** The replica's answer when it is stopping or its disk failed: another replica may do. */
    private static boolean replicaUnavailable(String text) {
        return text.contains(" is stopping") || text.contains("stopped accepting work") || text.contains(" is busy with ");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private <T> T callOnce(Endpoint endpoint, String what, boolean mayApply, RemoteCall<T> call)
            throws Unreached, CommandFailure {
        if (service == null) {
            service = lookup(endpoint);
        }
        try {
            return call.call(service);
        } catch (ConnectException | ConnectIOException | UnknownHostException | NoSuchObjectException e) {
            // No connection was made, or the object is gone: the call itself never ran.
            service = null;
            throw new Unreached(endpoint, reason(e));
        } catch (RemoteException e) {
            service = null;
            throw new CommandFailure("lost contact with " + endpoint.describe() + " during '" + what + "' ("
                    + cause(e) + ")" + (mayApply ? "; the operation may or may not have been applied" : ""));
        } catch (RuntimeException e) {
            // RMI rethrows the replica's own unchecked exceptions here: a bug on its side, reported in one line.
            throw new CommandFailure(endpoint.describe() + " failed on '" + what + "': " + e
                    + " (a bug in the replica; its log has the trace)");
        }
    }

    /** The replica's stub, retrying until the {@code --wait} deadline. A failed lookup sent no operation. */
    private ReplicaService lookup(Endpoint endpoint) throws Unreached {
        while (true) {
            String reason;
            try {
                return Rmi.replicaService(endpoint.host(), endpoint.port());
            } catch (NotBoundException e) {
                reason = "nothing bound as " + ReplicaService.NAME + " in its registry; is it a lamportkv replica, still starting?";
            } catch (RemoteException e) {
                reason = reason(e);
            }
            if (System.nanoTime() - waitDeadline >= 0) {
                throw new Unreached(endpoint, reason);
            }
            try {
                Thread.sleep(WAIT_STEP_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unreached(endpoint, reason);
            }
        }
    }

    private String unreachableMessage(Unreached last, int attempts) {
        String message = "cannot reach " + last.endpoint.describe() + ": " + last.getMessage();
        if (waitNanos > 0) {
            message += " (waited " + Seconds.format(Duration.ofNanos(waitNanos).toMillis()) + ")";
        }
        if (attempts > 1) {
            message += "; no replica answered: is the cluster running? (./run-cluster.sh or ./run-replica.sh ID)";
        }
        return message;
    }

    private static String reason(RemoteException e) {
        return e instanceof NoSuchObjectException ? "no such object: the replica was restarted or is stopping"
                : cause(e);
    }

    /** The innermost cause in words; a bare EOF is a connection the replica's side closed. */
    private static String cause(Throwable e) {
        String message = Rmi.rootMessage(e);
        return message.equals(EOFException.class.getSimpleName()) ? "connection closed by the replica's side" : message;
    }
}
