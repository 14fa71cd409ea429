package lamportkv.web;

import java.rmi.NotBoundException;
import java.rmi.RemoteException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import lamportkv.client.Attempts;
import lamportkv.client.RemoteCalls;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.Operation;
import lamportkv.core.OperationException;
import lamportkv.replica.Replica;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;

/**
 * The dashboard's buttons: internal events and operations on any replica, through the replicas'
 * client service exactly as the shell's (this replica's in-process, the others' over RMI).
 */
final class Controls {
    /** How long an operation from the page may take, as the shell's default. */
    static final long OPERATION_TIMEOUT_MILLIS = 10_000;
    /** The operations the page's form offers. */
    static final List<String> OPERATIONS = List.of("set", "add", "mult", "get", "del");

    private final Replica replica;
    private final ClusterWatcher cluster;
    private final Map<Integer, ReplicaService> stubs = new ConcurrentHashMap<>();
    /**
     * Client identities, each used by one operation at a time: replicas remember a client's latest
     * sequence number, so one identity with two operations in flight would see the earlier one
     * refused as a stale retry. Identities are reused, so the replicas' client table stays small.
     */
    private final ConcurrentLinkedQueue<long[]> idleClients = new ConcurrentLinkedQueue<>();
    private final SecureRandom random = new SecureRandom();

    Controls(Replica replica, ClusterWatcher cluster) {
        this.replica = replica;
        this.cluster = cluster;
    }

    /** An internal event on replica {@code id}; returns its new clock. */
    long tick(int id) throws ApiException {
        checkReplica(id);
        return call(id, ReplicaService::tick);
    }

    /**
     * An operation's answer, with the attempts it took (the call is made again after a stale
     * connection): what the page may say about it, "not applied" or "may still be applied",
     * depends on both.
     */
    record Ran(Reply reply, Attempts attempts) {
    }

    /** Runs {@code words} ({@code add x 5}) on replica {@code id}, tagged for exactly-once retries. */
    Ran run(int id, List<String> words) throws ApiException {
        checkReplica(id);
        if (words.isEmpty() || !OPERATIONS.contains(words.get(0))) {
            throw ApiException.badRequest("unknown operation \"" + (words.isEmpty() ? "" : words.get(0))
                    + "\" (expected one of " + String.join(", ", OPERATIONS) + ")");
        }
        try {
            Operation.parse(words);
        } catch (OperationException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        long[] client = idleClients.poll();
        if (client == null) {
            long clientId;
            do {
                clientId = random.nextLong();
            } while (clientId == 0);
            client = new long[] {clientId, 0};
        }
        try {
            Command command = Command.of(client[0], ++client[1], words, OPERATION_TIMEOUT_MILLIS);
            Attempts attempts = new Attempts();
            Reply reply = call(id, service -> service.execute(command), attempts);
            attempts.retryAfter(where(id), reply.status());
            return new Ran(reply, attempts);
        } finally {
            idleClients.add(client);
        }
    }

    @FunctionalInterface
    private interface RemoteCall<T> {
        T call(ReplicaService service) throws RemoteException;
    }

    /**
     * Calls replica {@code id}. A stale connection (the replica restarted) is looked up again and
     * the same call made once more: for an operation, with the same tag, so it applies once.
     *
     * @param attempts where each attempt without an answer is recorded, or null if the call changes nothing
     */
    private <T> T call(int id, RemoteCall<T> call, Attempts attempts) throws ApiException {
        ReplicaAddress a = cluster.address(id);
        RemoteException last = null;
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                return call.call(service(id));
            } catch (RemoteException e) {
                stubs.remove(id);
                last = e;
                if (attempts != null) {
                    attempts.noReply(where(id), !RemoteCalls.certainlyNotReached(e));
                }
            } catch (NotBoundException e) {
                stubs.remove(id);
                throw new ApiException(503, "replica " + id + " at " + a.hostPort() + " serves no replica service"
                        + verdict(attempts));
            } catch (RuntimeException e) {
                throw new ApiException(503, "replica " + id + ": " + Rmi.rootMessage(e));
            }
        }
        throw new ApiException(503, "replica " + id + " at " + a.hostPort() + " is unreachable ("
                + Rmi.rootMessage(last) + ")" + verdict(attempts));
    }

    private <T> T call(int id, RemoteCall<T> call) throws ApiException {
        return call(id, call, null);
    }

    /** For an operation that got no answer: whether an earlier attempt may still apply it. */
    private static String verdict(Attempts attempts) {
        return attempts == null ? "" : attempts.verdictWords("");
    }

    private String where(int id) {
        return "replica " + id + " (" + cluster.address(id).hostPort() + ")";
    }

    private ReplicaService service(int id) throws RemoteException, NotBoundException {
        if (id == replica.id()) {
            return replica.clientService();
        }
        ReplicaService stub = stubs.get(id);
        if (stub == null) {
            ReplicaAddress a = cluster.address(id);
            stub = Rmi.replicaService(a.host(), a.port());
            stubs.put(id, stub);
        }
        return stub;
    }

    private void checkReplica(int id) throws ApiException {
        if (!cluster.has(id)) {
            throw ApiException.badRequest("no replica " + id + " (replicas: "
                    + String.join(", ", cluster.ids().stream().map(String::valueOf).toList()) + ")");
        }
    }
}
