package lamportkv.replica;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.rmi.RemoteException;
import java.rmi.server.RemoteServer;
import java.rmi.server.ServerNotActiveException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongFunction;
import javax.net.ssl.SSLContext;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.Codec;
import lamportkv.core.Operation;
import lamportkv.core.OperationException;
import lamportkv.core.ClientTag;
import lamportkv.core.ReplicaCore;
import lamportkv.core.ReplicaCore.Outgoing;
import lamportkv.core.PeerMessage;
import lamportkv.core.PendingRequest;
import lamportkv.core.Request;
import lamportkv.core.RequestId;
import lamportkv.core.Result;
import lamportkv.core.StateMachine;
import lamportkv.rmi.Ack;
import lamportkv.rmi.Batch;
import lamportkv.rmi.Command;
import lamportkv.rmi.Observation;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.RmiServer;
import lamportkv.rmi.SerialFilters;
import lamportkv.rmi.Transport;
import lamportkv.security.ClusterSecret;
import lamportkv.security.PeerAuth;
import lamportkv.rmi.StateHash;
import lamportkv.storage.SnapshotStore;
import lamportkv.storage.StorageException;
import org.tinylog.Logger;
import org.tinylog.TaggedLogger;

/**
 * One running replica: the ordering core on its event loop, a link to every peer, and the two
 * remote services that feed the loop. RMI threads only turn calls into loop tasks and wait.
 */
public final class Replica implements AutoCloseable {
    /** Client operations accepted at once; beyond that a client is told to retry (back-pressure). */
    static final int MAX_IN_FLIGHT = 50_000;
    /** The most client operations stamped in one round (one REQUEST batch to each peer). */
    static final int MAX_BATCH = 1_024;
    private static final long LOOP_ANSWER_MILLIS = 30_000;
    private static final DateTimeFormatter CLOCK_TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    private final ReplicaAddress self;
    private final ClusterConfig config;
    private final TaggedLogger log;
    private final ReplicaCore core;
    private final EventLoop loop;
    private final Map<Integer, PeerLink> links = new LinkedHashMap<>();
    private final DiskJournal journal;
    /** Why the replica stopped accepting work (a failed disk), or null while it is healthy. */
    private volatile String failure;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final List<ReplicaListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Dashboard: answers PeerService.observe; slow motion's delay of incoming batches (0: off). */
    private volatile LongFunction<Observation> observer;
    private volatile long deliveryDelayMillis;
    private RmiServer server;
    /** Proves our batches and checks our peers' (the cluster secret). */
    private final PeerAuth auth;
    /** Source addresses already logged for calling PeerService without the secret (bounded). */
    private final Set<String> refusedSources = ConcurrentHashMap.newKeySet();
    private static final int MAX_REFUSED_SOURCES_LOGGED = 1_000;

    // Owned by the event loop thread.
    private final Map<Integer, List<Outgoing>> outbox = new TreeMap<>();
    private final Map<Long, ClientWait> waitingClients = new HashMap<>();
    /** Client operations not stamped yet: they wait for this replica's previous batch to execute. */
    private final Admission<ClientWait> admission = new Admission<>(MAX_BATCH);
    private long nextClientToken = 1;
    private long appliedAtSnapshot;
    /** Per peer, the highest link number whose receipt is forced to disk (what {@link Ack#durable} reports). */
    private final Map<Integer, Long> durableHeld = new HashMap<>();
    /** A message being taken in, reported to the listeners before anything it causes (dashboard). */
    private Receiving receiving;

    private record Receiving(int from, long seq, PeerMessage message, long clock) {
    }

    /** A client call waiting for its request to execute. */
    private static final class ClientWait {
        final CompletableFuture<Result> result = new CompletableFuture<>();
        final Operation op;
        final ClientTag tag;
        long token;
        /** Its request, once stamped. */
        volatile RequestId id;

        ClientWait(Operation op, ClientTag tag) {
            this.op = op;
            this.tag = tag;
        }
    }

    private Replica(ClusterConfig config, ReplicaAddress self, DiskJournal journal, PeerAuth auth) throws StartException {
        this.config = config;
        this.auth = auth;
        this.journal = journal;
        this.self = self;
        this.log = Logger.tag("replica " + self.id());
        this.core = recover();
        this.appliedAtSnapshot = core.state().appliedCount();
        this.loop = new EventLoop("replica-" + self.id() + "-loop", new EventLoop.RoundEnd() {
            @Override
            public boolean commit(boolean forceAnyway) {
                return endOfRound(forceAnyway);
            }

            @Override
            public boolean unforced() {
                return failure == null && journal.unforced();
            }
        });
        journal.onForce(nanos -> listeners.forEach(l -> l.forced(nanos)));
        for (ReplicaAddress peer : config.replicas()) {
            if (peer.id() != self.id()) {
                int id = peer.id();
                durableHeld.put(id, core.heldFrom(id));        // what recovery read is on disk
                links.put(id, new PeerLink(self.id(), peer, log, auth, core.unconfirmed(id), core.nextSeqTo(id),
                        held -> loop.execute(() -> core.confirmed(id, held))));
            }
        }
    }

    /**
     * Starts replica {@code id} of {@code config}: listens on its configured address and starts
     * reaching for its peers, which may come up in any order.
     *
     * @throws StartException with a one-line message saying what is wrong and what to do
     */
    public static Replica start(ClusterConfig config, int id) throws StartException {
        ReplicaAddress self = config.find(id).orElseThrow(() -> new StartException(
                "replica " + id + " is not in " + config.file() + " (replicas: " + config.ids() + ")"));
        InetAddress bindAddress = localAddress(self);
        try {
            Files.createDirectories(config.dataDirOf(id));
        } catch (IOException e) {
            throw new StartException("cannot create the data directory " + config.dataDirOf(id) + ": " + e);
        }
        // Stubs carry this host, so peers and clients reach the replica at its configured address.
        System.setProperty("java.rmi.server.hostname", self.host());
        PeerAuth auth = clusterSecret(config, id);
        SSLContext tls = null;
        if (config.tls().isPresent()) {
            try {
                tls = Transport.replicaContext(config.tls().get(), id);
            } catch (IOException e) {
                throw new StartException(e.getMessage());
            }
            Transport.useTls(tls);      // this replica's calls to its peers present its own certificate
        } else {
            Transport.usePlain();
        }
        DiskJournal journal;
        try {
            journal = DiskJournal.open(config.dataDirOf(id));
        } catch (StorageException e) {
            throw new StartException(e.getMessage());
        }
        Replica replica;
        try {
            replica = new Replica(config, self, journal, auth);
        } catch (StartException | RuntimeException e) {
            journal.close();
            throw e;
        }
        replica.loop.start();
        try {
            replica.server = RmiServer.start(bindAddress, self.port(), replica.new ClientEndpoint(),
                    replica.new PeerEndpoint(), tls);
        } catch (RemoteException e) {
            replica.loop.close();
            journal.close();
            throw new StartException(e.getMessage().split("; nested exception")[0]);
        }
        replica.links.values().forEach(PeerLink::start);
        replica.log.info("listening on {} with peers {}", self.hostPort(),
                replica.links.values().stream().map(l -> l.peer().id() + "@" + l.peer().hostPort()).toList());
        return replica;
    }

    /**
     * Rebuilds the state from the newest snapshot and the log records after it. A fresh data
     * directory gives a fresh replica. Damage is refused, never skipped: starting with less data
     * than the replica had acknowledged would break every promise it made.
     */
    private ReplicaCore recover() throws StartException {
        long started = System.nanoTime();
        long expiryMillis = config.clientExpirySeconds() * 1000;
        try {
            Optional<SnapshotStore.Snapshot> snapshot = journal.latestSnapshot();
            ReplicaCore recovered = snapshot.isPresent()
                    ? ReplicaCore.restore(snapshot.get().state(), expiryMillis, new LoopEffects())
                    : new ReplicaCore(self.id(), config.ids(), expiryMillis, new LoopEffects());
            if (!recovered.members().equals(config.ids()) || recovered.self() != self.id()) {
                throw new StartException("the snapshot in " + config.dataDirOf(self.id()) + " is of replica "
                        + recovered.self() + " in a cluster of " + recovered.members() + ", but the configuration says replica "
                        + self.id() + " of " + config.ids() + "; membership cannot change while data exists");
            }
            long[] replayed = {0};
            journal.replay(snapshot.map(SnapshotStore.Snapshot::logIndex).orElse(0L), (index, record) -> {
                recovered.replay(record);
                replayed[0]++;
            });
            StateMachine state = recovered.state();
            if (snapshot.isPresent() || replayed[0] > 0) {
                log.info("recovered in {} ms: {}, {} log records replayed; clock {}, {} operations applied,"
                        + " {} keys, {} pending requests, {} clients remembered",
                        (System.nanoTime() - started) / 1_000_000,
                        snapshot.map(s -> "snapshot at log record " + s.logIndex()).orElse("no snapshot"),
                        replayed[0], state.clock().time(), state.appliedCount(), state.data().size(),
                        state.bufferLength(), state.clientCount());
            }
            return recovered;
        } catch (StorageException e) {
            throw new StartException(e.getMessage());
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            throw new StartException("cannot read the state in " + config.dataDirOf(self.id()) + ": " + e.getMessage());
        }
    }

    /** Reads the cluster secret, or creates it if this is the first replica to start. */
    private static PeerAuth clusterSecret(ClusterConfig config, int id) throws StartException {
        try {
            ClusterSecret.Loaded secret = ClusterSecret.loadOrCreate(config.clusterSecretFile());
            TaggedLogger log = Logger.tag("replica " + id);
            if (secret.created()) {
                log.info("created the cluster secret {} (readable by its owner only); replicas on other hosts"
                        + " need a copy of it", config.clusterSecretFile());
            }
            if (secret.warning() != null) {
                log.warn("{}", secret.warning());
            }
            return new PeerAuth(secret.secret());
        } catch (IOException e) {
            throw new StartException(e.getMessage());
        }
    }

    /** The configured host must be an address of this machine: a replica listens only there. */
    private static InetAddress localAddress(ReplicaAddress self) throws StartException {
        InetAddress address;
        try {
            address = InetAddress.getByName(self.host());
        } catch (UnknownHostException e) {
            throw new StartException("cannot resolve host " + self.host() + " of replica " + self.id());
        }
        try {
            if (address.isLoopbackAddress() || address.isAnyLocalAddress()
                    || NetworkInterface.getByInetAddress(address) != null) {
                return address;
            }
        } catch (SocketException e) {
            throw new StartException("cannot list this machine's addresses: " + e.getMessage());
        }
        throw new StartException("host " + self.host() + " (" + address.getHostAddress() + ") of replica " + self.id()
                + " is not an address of this machine; start replica " + self.id() + " on that host");
    }

    public int id() {
        return self.id();
    }

    public ReplicaAddress address() {
        return self;
    }

    /** Adds a listener; it sees every operation applied from now on. */
    public void addListener(ReplicaListener listener) {
        listeners.add(listener);
    }

    // ---- for the dashboard (lamportkv.web) -----------------------------------------------------

    /** This replica's client operations, called in-process: the same path as an RMI client's. */
    public ReplicaService clientService() {
        return new ClientEndpoint();
    }

    /** Runs {@code reader} on the event loop, between two events, and returns what it read. It must only read. */
    public <T> T inspect(Function<StateMachine, T> reader) {
        return awaitLoop(loop.call(() -> reader.apply(core.state())));
    }

    /** Answers {@link PeerService#observe} from now on. */
    public void observeWith(LongFunction<Observation> observer) {
        this.observer = observer;
    }

    /** Slow motion, for teaching: every batch of peer messages waits this long before it is taken in; 0 is off. */
    public void setDeliveryDelay(long millis) {
        if (millis < 0 || millis > MAX_DELIVERY_DELAY_MILLIS) {
            throw new IllegalArgumentException("a delivery delay is 0 to " + MAX_DELIVERY_DELAY_MILLIS + " ms: " + millis);
        }
        deliveryDelayMillis = millis;
    }

    public long deliveryDelayMillis() {
        return deliveryDelayMillis;
    }

    /** Below the peers' response timeout, so slow motion never makes a peer look unreachable. */
    public static final long MAX_DELIVERY_DELAY_MILLIS = 3_000;

    /** Slow motion: holds a batch that carries messages (heartbeats pass) on the sender's call. */
    private void delayIfSlowMotion(Batch batch) {
        long delay = deliveryDelayMillis;
        if (delay > 0 && batch.messages().length > Integer.BYTES) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- client operations -------------------------------------------------------------------

    Reply execute(Command command) {
        long started = System.nanoTime();
        Reply reply = order(command);
        if (!listeners.isEmpty()) {
            String[] words = command.words();
            long nanos = System.nanoTime() - started;
            listeners.forEach(l -> l.answered(words.length == 0 ? "" : words[0], reply.status(), nanos));
        }
        return reply;
    }

    private Reply order(Command command) {
        if (failure != null) {
            return new Reply(Reply.Status.UNAVAILABLE, failure);
        }
        Operation op;
        try {
            op = Operation.parse(command.wordList());
        } catch (OperationException e) {
            return new Reply(Reply.Status.REFUSED, e.getMessage());
        }
        if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            return new Reply(Reply.Status.UNAVAILABLE, "replica " + self.id() + " is busy with " + MAX_IN_FLIGHT
                    + " operations in flight; retry shortly");
        }
        ClientWait wait = new ClientWait(op, new ClientTag(command.clientId(), command.seq(), System.currentTimeMillis()));
        try {
            boolean queued = loop.execute(() -> {
                if (failure != null) {
                    wait.result.completeExceptionally(new IllegalStateException(failureMessage()));
                } else {
                    wait.token = nextClientToken++;
                    waitingClients.put(wait.token, wait);
                    admission.add(wait);        // stamped at the end of a round: see Admission
                }
            });
            if (!queued) {
                return new Reply(Reply.Status.UNAVAILABLE, "replica " + self.id() + " is stopping; try another replica");
            }
            Result result = wait.result.get(command.timeoutMillis(), TimeUnit.MILLISECONDS);
            return new Reply(result.ok() ? Reply.Status.OK : Reply.Status.FAILED, result.text());
        } catch (TimeoutException e) {
            boolean withdrawn = withdraw(wait);
            return new Reply(withdrawn ? Reply.Status.NOT_APPLIED : Reply.Status.TIMEOUT,
                    timeoutMessage(wait, command.timeoutMillis(), withdrawn));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(Reply.Status.ABANDONED, "replica " + self.id() + " was interrupted while it waited for the operation");
        } catch (ExecutionException e) {
            return new Reply(Reply.Status.ABANDONED, e.getCause().getMessage());
        } finally {
            inFlight.decrementAndGet();
        }
    }

    long tick() {
        refuseIfFailed();
        return awaitLoop(loop.call(() -> {
            long clock = core.tick();
            listeners.forEach(l -> l.internalEvent(clock));
            return clock;
        }));
    }

    StateHash hash() {
        return awaitLoop(loop.call(() -> new StateHash(core.state().appliedCount(), core.state().digest())));
    }

    ReplicaStatus status() {
        record Snapshot(long clock, int buffer, int unstamped, long applied, String digest, int clients,
                        Map<Integer, Integer> waiting) {
        }
        Snapshot s = awaitLoop(loop.call(() -> {
            StateMachine state = core.state();
            Map<Integer, Integer> waiting = new HashMap<>();
            for (PendingRequest p : state.bufferInOrder()) {
                if (p.id().origin() == self.id()) {
                    for (int peer : core.ordering().waitingFor(p.id())) {
                        waiting.merge(peer, 1, Integer::sum);
                    }
                }
            }
            return new Snapshot(state.clock().time(), state.bufferLength(), admission.size(), state.appliedCount(),
                    state.digest(), state.clientCount(), waiting);
        }));
        List<PeerStatus> peers = new ArrayList<>();
        for (PeerLink link : links.values()) {
            peers.add(new PeerStatus(link.peer().id(), link.peer().hostPort(), link.reachable(),
                    link.unreachableSinceMillis(), s.waiting().getOrDefault(link.peer().id(), 0)));
        }
        return new ReplicaStatus(self.id(), self.hostPort(), s.clock(), s.buffer(), s.unstamped(), s.applied(),
                s.digest(), s.clients(), peers.toArray(PeerStatus[]::new));
    }

    // ---- peer messages -----------------------------------------------------------------------

    Ack deliver(Batch batch) {
        if (batch.messages().length > SerialFilters.MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("refused: a batch of " + batch.messages().length
                    + " bytes is over the limit of " + SerialFilters.MAX_BATCH_BYTES);
        }
        // Before anything else: only holders of the cluster secret reach the ordering core.
        if (!auth.verify(batch.from(), self.id(), batch.firstSeq(), batch.messages(), batch.auth())) {
            String source = callerAddress();
            if (refusedSources.size() < MAX_REFUSED_SOURCES_LOGGED && refusedSources.add(source)) {
                log.warn("refused a peer call from {} without a valid cluster secret (claiming to be replica {});"
                        + " further refusals from there are not logged", source, batch.from());
            }
            throw new SecurityException("refused: replica " + self.id() + " accepts peer calls only with the"
                    + " cluster secret (" + config.clusterSecretFile().getFileName() + "); is this replica's copy the same?");
        }
        refuseIfFailed();
        int from = batch.from();
        if (from == self.id() || !links.containsKey(from)) {
            log.warn("refused a batch claiming to come from replica {}, which is not a peer", from);
            throw new IllegalArgumentException("replica " + from + " is not a peer of replica " + self.id());
        }
        delayIfSlowMotion(batch);       // only a peer's batch: a refused caller is never kept waiting
        List<PeerMessage> messages;
        try {
            messages = Codec.decode(batch.messages());
        } catch (Codec.MalformedMessage e) {
            log.warn("refused a malformed batch from replica {}: {}", from, e.getMessage());
            throw new IllegalArgumentException("malformed batch: " + e.getMessage());
        }
        int bytes = batch.messages().length;
        // Answered once taken in, before the round's force: the Ack says how much is durable.
        return awaitLoop(loop.callBeforeCommit(() -> {
            listeners.forEach(l -> l.batchReceived(from, bytes));
            long held = accept(from, batch.firstSeq(), messages);
            return new Ack(held, Math.min(held, durableHeld.get(from)));
        }));
    }

    private static String callerAddress() {
        try {
            return RemoteServer.getClientHost();
        } catch (ServerNotActiveException e) {
            return "this process";
        }
    }

    /** On the loop: hands the core each message it does not hold yet, in link order. */
    private long accept(int from, long firstSeq, List<PeerMessage> messages) {
        for (int k = 0; k < messages.size(); k++) {
            PeerMessage message = messages.get(k);
            if (!listeners.isEmpty() && firstSeq + k == core.heldFrom(from) + 1) {
                receiving = new Receiving(from, firstSeq + k, message,
                        Math.max(core.state().clock().time(), message.clock()) + 1);
            }
            ReplicaCore.Receipt receipt = core.received(from, firstSeq + k, message);
            if (receipt == ReplicaCore.Receipt.ACCEPTED) {
                announceReceipt();
            }
            receiving = null;
            if (receipt == ReplicaCore.Receipt.GAP) {
                break;              // the sender re-sends from what we hold
            }
            if (receipt == ReplicaCore.Receipt.REFUSED) {
                log.error("refused message {} from replica {}: the protocol does not allow {}",
                        firstSeq + k, from, messages.get(k));
            }
        }
        return core.heldFrom(from);
    }

    // ---- the event loop's side ---------------------------------------------------------------

    /** How the core's decisions leave the loop: gathered during a round, handed on at its end. */
    private final class LoopEffects implements ReplicaCore.Output {
        @Override
        public void record(byte[] record) {
            try {
                journal.append(record);
            } catch (StorageException e) {
                fail(e);          // the round will not commit: nothing of it leaves
            }
        }

        @Override
        public void send(int to, long seq, PeerMessage message) {
            announceReceipt();
            for (ReplicaListener l : listeners) {
                l.sent(to, seq, message);
            }
            outbox.computeIfAbsent(to, k -> new ArrayList<>()).add(new Outgoing(seq, message));
        }

        @Override
        public void applied(Request request, Result result) {
            announceReceipt();
            for (ReplicaListener l : listeners) {
                l.applied(request, result);
            }
        }

        @Override
        public void executed(long clientToken, Request request, Result result) {
            ClientWait wait = waitingClients.remove(clientToken);
            if (wait != null) {
                loop.afterRound(() -> wait.result.complete(result),
                        () -> wait.result.completeExceptionally(new IllegalStateException(failureMessage())));
            }
        }
    }

    /** Tells the listeners of the message being taken in, once, before its first effect. */
    private void announceReceipt() {
        Receiving r = receiving;
        if (r != null) {
            receiving = null;
            for (ReplicaListener l : listeners) {
                l.received(r.from(), r.seq(), r.message(), r.clock());
            }
        }
    }

    /**
     * The end of an event-loop round: durable first, then the messages leave (answers follow in
     * the loop). A round with nothing to send and nobody waiting leaves its records unforced.
     */
    private boolean endOfRound(boolean forceAnyway) {
        for (ClientWait wait : admission.next(core.state().pendingFrom(self.id()))) {
            if (failure == null) {
                wait.id = core.clientOperation(wait.op, wait.tag, wait.token);
            }
        }
        if (failure != null) {
            outbox.clear();
            return false;
        }
        if (outbox.isEmpty() && !loop.answersWaiting() && !forceAnyway) {
            return true;        // nothing leaves: the force waits for a round that sends (10 ms at most)
        }
        try {
            journal.force();
        } catch (StorageException e) {
            fail(e);
            outbox.clear();
            return false;
        }
        durableHeld.replaceAll((peer, held) -> core.heldFrom(peer));
        for (Map.Entry<Integer, List<Outgoing>> e : outbox.entrySet()) {
            links.get(e.getKey()).send(e.getValue());
        }
        outbox.clear();
        snapshotIfDue();
        return true;
    }

    /** Every {@code snapshot.every} applied operations: store the state, drop the log it covers. */
    private void snapshotIfDue() {
        long applied = core.state().appliedCount();
        if (applied - appliedAtSnapshot < config.snapshotEvery()) {
            return;
        }
        try {
            long started = System.nanoTime();
            journal.snapshot(core.snapshot());
            appliedAtSnapshot = applied;
            log.debug("snapshot at {} applied operations in {} ms", applied, (System.nanoTime() - started) / 1_000_000);
        } catch (StorageException e) {
            fail(e);
        }
    }

    /** A disk that cannot take the log: stop accepting work rather than answer with state that is not durable. */
    private void fail(StorageException e) {
        if (failure == null) {
            failure = "replica " + self.id() + " stopped accepting work: " + e.getMessage();   // says what to do
            log.error("{}", failure);
            IllegalStateException stopped = new IllegalStateException(failureMessage());
            waitingClients.values().forEach(w -> w.result.completeExceptionally(stopped));
            waitingClients.clear();
            admission.drain();
        }
    }

    private void refuseIfFailed() {
        String why = failure;
        if (why != null) {
            throw new IllegalStateException(why);
        }
    }

    private String failureMessage() {
        String why = failure;
        return why != null ? why : "replica " + self.id() + " is stopping";
    }

    private <T> T awaitLoop(CompletableFuture<T> answer) {
        try {
            return answer.get(LOOP_ANSWER_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException("replica " + self.id() + ": " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new IllegalStateException("replica " + self.id() + " did not answer within "
                    + LOOP_ANSWER_MILLIS / 1000 + "s");
        }
    }

    /**
     * Takes a client's operation back if it was never stamped (it waited in {@link Admission}):
     * then it will never be applied, and the client can be told so. False if it was stamped.
     */
    private boolean withdraw(ClientWait wait) {
        try {
            return loop.call(() -> {
                if (wait.id == null && admission.withdraw(wait)) {
                    waitingClients.remove(wait.token);
                    return true;
                }
                return false;
            }).get(2, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String timeoutMessage(ClientWait wait, long timeoutMillis, boolean withdrawn) {
        String after = "timed out after " + seconds(timeoutMillis);
        SortedSet<Integer> waitingFor;
        try {
            RequestId id = wait.id;
            // Not stamped yet: it waits for this replica's earlier requests.
            waitingFor = loop.call(() -> id == null ? core.ordering().waitingForOwnRequests()
                    : core.ordering().waitingFor(id)).get(2, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            waitingFor = new TreeSet<>();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            waitingFor = new TreeSet<>();
        }
        List<String> who = new ArrayList<>();
        for (int peer : waitingFor) {
            PeerLink link = links.get(peer);
            long since = link.unreachableSinceMillis();
            who.add("replica " + peer + (link.reachable() ? " (reachable, no answer yet)"
                    : since == 0 ? " (not reached yet)"
                    : " (unreachable since " + CLOCK_TIME.format(Instant.ofEpochMilli(since)) + ")"));
        }
        String waiting = who.isEmpty() ? "" : " waiting for " + String.join(", ", who);
        return after + waiting + (withdrawn ? ", still queued behind this replica's earlier requests" : "");
    }

    static String seconds(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + "s"
                : java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + "s";
    }

    /** Stops serving: off the network first, then the links and the loop. */
    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        links.values().forEach(PeerLink::close);
        loop.close();
        journal.close();
        log.info("stopped");
    }

    // ---- the remote faces --------------------------------------------------------------------

    private final class ClientEndpoint implements ReplicaService {
        @Override
        public Reply execute(Command command) {
            return Replica.this.execute(command);
        }

        @Override
        public long tick() {
            return Replica.this.tick();
        }

        @Override
        public StateHash hash() {
            return Replica.this.hash();
        }

        @Override
        public ReplicaStatus status() {
            return Replica.this.status();
        }
    }

    private final class PeerEndpoint implements PeerService {
        @Override
        public Ack deliver(Batch batch) {
            return Replica.this.deliver(batch);
        }

        @Override
        public Observation observe(long afterEvent) {
            LongFunction<Observation> answer = observer;
            if (answer == null) {
                throw new IllegalStateException("replica " + self.id()
                        + " records no events (its configuration names no dashboard, http.<id>)");
            }
            return answer.apply(afterEvent);
        }
    }

    /** Why a replica could not start, in one line. */
    public static final class StartException extends Exception {
        private static final long serialVersionUID = 1L;

        public StartException(String message) {
            super(message, null, false, false);
        }
    }
}
