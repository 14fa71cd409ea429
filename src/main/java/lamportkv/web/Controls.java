package lamportkv.web;

import java.rmi.NotBoundException;
import java.rmi.RemoteException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
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
    /**
     * An argument of an operation, and the field of {@code POST /api/op} that carries it.
     *
     * @param what     what it is, said when it is missing; "" if the field's name says it
     * @param optional whether it may be left out; only an operation's last argument may be
     */
    record Argument(String field, String what, boolean optional) {
        static Argument required(String field, String what) {
            return new Argument(field, what, false);
        }

        static Argument optionalLast(String field) {
            return new Argument(field, "", true);
        }
    }

    /** The operations the page's form offers, each with its arguments in the order of its words. */
    static final Map<String, List<Argument>> OPERATIONS = operations();

    private static Map<String, List<Argument>> operations() {
        Argument key = Argument.required("key", "");
        Argument name = Argument.required("name", "");
        Argument token = Argument.required("token", "the number lock printed");
        Map<String, List<Argument>> m = new LinkedHashMap<>();
        m.put("set", List.of(key, Argument.required("value", "")));
        m.put("add", List.of(key, Argument.required("value", "a number")));
        m.put("mult", List.of(key, Argument.required("value", "a number")));
        m.put("get", List.of(key));
        m.put("del", List.of(key));
        m.put("cas", List.of(key, Argument.required("expected", "what the key holds now, (nil) if nothing"),
                Argument.required("value", "the new value")));
        m.put("rev", List.of(Argument.optionalLast("key")));
        m.put("lock", List.of(name, Argument.required("ttl", "the lease, in seconds"), Argument.optionalLast("wait")));
        m.put("renew", List.of(name, token));
        m.put("unlock", List.of(name, token));
        return Collections.unmodifiableMap(m);
    }

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

    /**
     * The words of operation {@code op} ({@code lock}) from its arguments by field name
     * ({@code name=leader, ttl=30}; null or "" is not given): {@code lock leader 30}. Only puts
     * them in order; what the replicas would refuse, {@link #run} finds before anything is sent.
     */
    static List<String> words(String op, Map<String, String> fields) throws ApiException {
        List<Argument> arguments = OPERATIONS.get(op);
        if (arguments == null) {
            throw unknownOperation(op);
        }
        // A field meant for another operation (a key for lock) says what this one takes.
        for (Map.Entry<String, String> f : fields.entrySet()) {
            boolean given = f.getValue() != null && !f.getValue().isEmpty();
            if (given && arguments.stream().noneMatch(a -> a.field().equals(f.getKey()))) {
                throw ApiException.badRequest(op + " takes no " + f.getKey() + " (got \""
                        + EventRecorder.shorten(f.getValue()) + "\"); it takes " + String.join(", ",
                        arguments.stream().map(a -> a.optional() ? "[" + a.field() + "]" : a.field()).toList()));
            }
        }
        List<String> words = new ArrayList<>();
        words.add(op);
        for (Argument a : arguments) {
            String value = fields.get(a.field());
            if (value == null || value.isEmpty()) {
                if (a.optional()) {
                    continue;
                }
                throw ApiException.badRequest("missing \"" + a.field() + "\": " + op + " needs one"
                        + (a.what().isEmpty() ? "" : " (" + a.what() + ")"));
            }
            words.add(value);
        }
        return words;
    }

    private static ApiException unknownOperation(String op) {
        return ApiException.badRequest("unknown operation \"" + EventRecorder.shorten(op) + "\" (expected one of "
                + String.join(", ", OPERATIONS.keySet()) + ")");
    }

    /** Runs {@code words} ({@code add x 5}) on replica {@code id}, tagged for exactly-once retries. */
    Ran run(int id, List<String> words) throws ApiException {
        checkReplica(id);
        if (words.isEmpty() || !OPERATIONS.containsKey(words.get(0))) {
            throw unknownOperation(words.isEmpty() ? "" : words.get(0));
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
