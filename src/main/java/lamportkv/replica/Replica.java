package lamportkv.replica;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.rmi.RemoteException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongFunction;
import javax.net.ssl.SSLContext;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.Node;
import lamportkv.core.PendingRequest;
import lamportkv.core.StateMachine;
import lamportkv.rmi.Ack;
import lamportkv.rmi.Batch;
import lamportkv.rmi.Command;
import lamportkv.rmi.Observation;
import lamportkv.rmi.Payloads;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.RmiServer;
import lamportkv.rmi.StateHash;
import lamportkv.rmi.Transport;
import lamportkv.security.ClusterSecret;
import lamportkv.security.PeerAuth;
import lamportkv.storage.StorageException;
import org.tinylog.Logger;
import org.tinylog.TaggedLogger;

/**
 * One running replica: its {@link Node} on an {@link EventLoop}, a {@link PeerLink} to every
 * peer, and the two remote services that feed the loop. The rules live in the node; this package
 * is plumbing, split along its seams: start-up and recovery ({@link Startup}), the rounds' I/O
 * ({@link Rounds}), client calls ({@link ClientCalls}), peer intake ({@link PeerIntake}), and
 * what stops the replica ({@link FailStop}). RMI threads only turn calls into loop tasks and wait.
 */
public final class Replica implements AutoCloseable {
    /** The exit status of a replica process that stopped after a bug (EX_SOFTWARE). */
    public static final int BUG_EXIT_STATUS = 70;
    private static final long LOOP_ANSWER_MILLIS = 30_000;

    private final ReplicaAddress self;
    /** Every replica of the configuration, in id order: the members of view 0. */
    private final List<Integer> configured;
    private final TaggedLogger log;
    private final Node node;
    private final EventLoop loop;
    private final Map<Integer, PeerLink> links = new LinkedHashMap<>();
    private final FailStop failStop;
    private final Listeners listeners;
    private final ClientCalls clientCalls;
    private final LongPolls polls;
    private final PeerIntake peerIntake;
    private final ViewEvents views;
    private final Heard heard;
    private final java.util.concurrent.ScheduledExecutorService viewTimer;
    /** Dashboard: answers PeerService.observe. */
    private volatile LongFunction<Observation> observer;
    private RmiServer server;

    private Replica(ClusterConfig config, ReplicaAddress self, DiskJournal journal, PeerAuth auth,
                    Consumer<String> onBug) throws StartException {
        this.self = self;
        this.configured = config.ids();
        this.log = Logger.tag("replica " + self.id());
        this.listeners = new Listeners(log);
        this.failStop = new FailStop(self.id(), log, onBug);
        this.node = Startup.recover(config, self.id(), journal, listeners, log);
        this.views = new ViewEvents(node, listeners, log);
        Rounds rounds = new Rounds(node, journal, links, failStop, config.snapshotEvery(), log, views);
        this.loop = new EventLoop("replica-" + self.id() + "-loop", rounds,
                bug -> failStop.bug("on the event loop", bug));
        rounds.runOn(loop);
        journal.onForce(listeners::forced);
        String agreement = agreementText(config);
        byte[] agreementBytes = agreement.getBytes(StandardCharsets.UTF_8);
        long heartbeat = Math.max(50, Math.min(PeerLink.HEARTBEAT_MILLIS, config.viewSuspectMillis() / 4));
        long view = node.membership().view().number();
        for (ReplicaAddress peer : config.replicas()) {
            if (peer.id() != self.id()) {
                int id = peer.id();
                List<lamportkv.core.ReplicaCore.Outgoing> backlog = node.core().unconfirmed(id);
                long firstSeq = backlog.isEmpty() ? node.core().nextSeqTo(id) : backlog.get(0).seq();
                links.put(id, new PeerLink(self.id(), peer, log, auth, view, firstSeq, agreementBytes, heartbeat,
                        (linkView, held) -> rounds.confirmed(id, linkView, held),
                        (thread, bug) -> failStop.bug("in " + thread.getName(), bug)));
            }
        }
        this.heard = new Heard(links.keySet(), config.viewSuspectMillis());
        // A replica that stopped accepting work falls silent, so that the others exclude it (V7)
        // rather than wait for an OK it will never send.
        failStop.whenFailed(() -> links.values().forEach(PeerLink::close));
        this.viewTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "replica-" + self.id() + "-view-timer");
            t.setDaemon(true);
            return t;
        });
        this.clientCalls = new ClientCalls(self.id(), node, loop, rounds, failStop, links);
        this.polls = new LongPolls(self.id(), node, loop, failStop, this::awaitLoop);
        rounds.onRound(polls::afterRound);
        this.peerIntake = new PeerIntake(self.id(), node, loop, links, auth, agreement,
                config.clusterSecretFile().getFileName().toString(), failStop, listeners, log, this::awaitLoop, heard);
        links.forEach((id, link) -> link.onCarriedBack(batch -> peerIntake.takeCarriedBack(id, batch)));
        this.suspectMillis = config.viewSuspectMillis();
    }

    /** As if {@code peer}'s answer to one of this replica's calls had carried {@code batch} back (tests). */
    void takeCarriedBack(int peer, Batch batch) {
        peerIntake.takeCarriedBack(peer, batch);
    }

    private final long suspectMillis;
    /** How often the node checks whether a lease ended with nothing written ({@link Node#expiryTimer}). */
    static final long EXPIRY_TIMER_MILLIS = 100;

    /**
     * Rule V7's clock, outside the node: a few times per suspicion time, the node hears whom this
     * replica heard from lately, and a random number for its back-off.
     */
    private void startViewTimer() {
        java.util.Random random = new java.security.SecureRandom();
        long every = Math.max(20, suspectMillis / 4);
        viewTimer.scheduleWithFixedDelay(() -> loop.execute(() -> node.viewTimer(heard.recently(), random.nextLong())),
                0, every, TimeUnit.MILLISECONDS);
        // Leases end in the order's time: the node writes an Expire when one ended and nothing else moved it.
        viewTimer.scheduleWithFixedDelay(() -> loop.execute(() -> node.expiryTimer(System.currentTimeMillis(),
                System.nanoTime() / 1_000_000)), EXPIRY_TIMER_MILLIS, EXPIRY_TIMER_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts replica {@code id} of {@code config}: listens on its configured address and starts
     * reaching for its peers, which may come up in any order. A bug stops it (see {@link FailStop})
     * and is only logged: use {@link #start(ClusterConfig, int, Consumer)} to end the process then.
     *
     * @throws StartException with a one-line message saying what is wrong and what to do
     */
    public static Replica start(ClusterConfig config, int id) throws StartException {
        return start(config, id, why -> { });
    }

    /**
     * As {@link #start(ClusterConfig, int)}; {@code onBug} hears, on a thread of its own, the one
     * line saying why the replica stopped after a bug (the process should exit non-zero).
     */
    public static Replica start(ClusterConfig config, int id, Consumer<String> onBug) throws StartException {
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
            replica = new Replica(config, self, journal, auth, onBug);
        } catch (StartException | RuntimeException e) {
            journal.close();
            throw e;
        }
        replica.loop.start();
        // The first round runs now, with no work: a recovered node forces before its backlog leaves.
        replica.loop.execute(() -> { });
        try {
            replica.server = RmiServer.start(bindAddress, self.port(), replica.new ClientEndpoint(),
                    replica.new PeerEndpoint(), tls);
        } catch (RemoteException e) {
            replica.loop.close();
            throw new StartException(e.getMessage().split("; nested exception")[0]);
        }
        replica.links.values().forEach(PeerLink::start);
        replica.startViewTimer();
        replica.log.info("listening on {} with peers {}", self.hostPort(),
                replica.links.values().stream().map(l -> l.peer().id() + "@" + l.peer().hostPort()).toList());
        return replica;
    }

    /**
     * What replicas must be configured with alike, in words, as every batch carries it: the
     * recorded {@link lamportkv.core.Agreement}, and the suspicion time (rule V7: the same everywhere).
     */
    public static String agreementText(ClusterConfig config) {
        return config.agreement().describe() + " and view.suspect.seconds "
                + java.math.BigDecimal.valueOf(config.viewSuspectMillis(), 3).stripTrailingZeros().toPlainString();
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

    /**
     * The data of replica {@code id}, read from its data directory as a restart would rebuild it
     * (its snapshot and log), for an offline export. The replica must be stopped: its directory is
     * locked while it runs. Like a restart, this may cut a never-forced tail of its log.
     *
     * @throws StartException naming what is wrong (it runs, the data is damaged, the configuration differs)
     */
    public static java.util.SortedMap<String, lamportkv.core.Value> readData(ClusterConfig config, int id)
            throws StartException {
        config.find(id).orElseThrow(() -> new StartException(
                "replica " + id + " is not in " + config.file() + " (replicas: " + config.ids() + ")"));
        if (!Files.isDirectory(config.dataDirOf(id))) {
            throw new StartException("replica " + id + " has no data directory " + config.dataDirOf(id));
        }
        DiskJournal journal;
        try {
            journal = DiskJournal.open(config.dataDirOf(id));
        } catch (StorageException e) {
            throw new StartException(e.getMessage());
        }
        try {
            Node node = Startup.recover(config, id, journal, Node.Observer.NONE, Logger.tag("replica " + id));
            return new java.util.TreeMap<>(node.core().state().data());
        } finally {
            journal.close();
        }
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

    /** Why this replica stopped accepting work (a failed disk, a bug), if it has. */
    public java.util.Optional<String> failure() {
        return java.util.Optional.ofNullable(failStop.failure());
    }

    // ---- for the dashboard (lamportkv.web) -----------------------------------------------------

    /** This replica's client operations, called in-process: the same path as an RMI client's. */
    public ReplicaService clientService() {
        return new ClientEndpoint();
    }

    /** Runs {@code reader} on the event loop, between two events, and returns what it read. It must only read. */
    public <T> T inspect(Function<StateMachine, T> reader) {
        return awaitLoop(loop.call(() -> reader.apply(node.core().state())));
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
        peerIntake.setDeliveryDelay(millis);
    }

    public long deliveryDelayMillis() {
        return peerIntake.deliveryDelayMillis();
    }

    /** Below the peers' response timeout, so slow motion never makes a peer look unreachable. */
    public static final long MAX_DELIVERY_DELAY_MILLIS = 3_000;

    // ---- calls that read or tick the replica itself -----------------------------------------

    Reply execute(Command command) {
        if (command == null) {
            throw new IllegalArgumentException("a call's command is missing");
        }
        return executeAll(new Command[] {command})[0];
    }

    /** 1 to {@link ReplicaService#MAX_CALL_COMMANDS} commands, none missing: {@link Payloads#decodeCommands} checked them. */
    Reply[] executeAll(Command[] commands) {
        long started = System.nanoTime();
        Reply[] replies = clientCalls.executeAll(commands);
        if (!listeners.isEmpty()) {
            for (int i = 0; i < commands.length; i++) {
                List<String> words = commands[i].wordList();
                listeners.answered(words.isEmpty() ? "" : words.get(0), replies[i].status(), System.nanoTime() - started);
            }
        }
        return replies;
    }

    long tick() {
        refuseIfFailed();
        return awaitLoop(loop.call(() -> {
            long clock = node.tick();
            listeners.internalEvent(clock);
            return clock;
        }));
    }

    StateHash hash() {
        return awaitLoop(loop.call(() -> new StateHash(node.core().state().appliedCount(), node.core().state().digest())));
    }

    ReplicaStatus status() {
        record Snapshot(long clock, int buffer, int unstamped, long applied, String digest, int clients,
                        Map<Integer, Integer> waiting) {
        }
        Snapshot s = awaitLoop(loop.call(() -> {
            StateMachine state = node.core().state();
            Map<Integer, Integer> waiting = new HashMap<>();
            for (PendingRequest p : state.bufferInOrder()) {
                if (p.id().origin() == self.id()) {
                    for (int peer : node.core().ordering().waitingFor(p.id())) {
                        waiting.merge(peer, 1, Integer::sum);
                    }
                }
            }
            return new Snapshot(state.clock().time(), state.bufferLength(), node.unstampedCount(),
                    state.appliedCount(), state.digest(), state.clientCount(), waiting);
        }));
        List<PeerStatus> peers = new ArrayList<>();
        for (PeerLink link : links.values()) {
            peers.add(new PeerStatus(link.peer().id(), link.peer().hostPort(), link.reachable(),
                    link.unreachableSinceMillis(), s.waiting().getOrDefault(link.peer().id(), 0)));
        }
        ViewSummary view = viewSummary();
        return new ReplicaStatus(self.id(), self.hostPort(), s.clock(), s.buffer(), s.unstamped(), s.applied(),
                s.digest(), s.clients(), peers.toArray(PeerStatus[]::new), view.number(),
                view.members().stream().mapToInt(Integer::intValue).toArray(), view.condition(), view.changes(),
                ReplicaStatus.processCpuNanos(), ReplicaStatus.processCompileMillis());
    }

    /** This replica's view, as {@code status}, the dashboard and the metrics show it. */
    ViewSummary viewSummary() {
        return views.summary();
    }

    private void refuseIfFailed() {
        String why = failStop.failure();
        if (why != null) {
            throw new IllegalStateException(why);
        }
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

    /** Stops serving: off the network first, then the links, then the loop (which forces and closes the log). */
    @Override
    public void close() {
        viewTimer.shutdownNow();
        if (server != null) {
            server.close();
        }
        links.values().forEach(PeerLink::close);
        loop.close();
        log.info("stopped");
    }

    // ---- the remote faces --------------------------------------------------------------------

    private final class ClientEndpoint implements ReplicaService {
        @Override
        public Reply execute(Command command) {
            return Replica.this.execute(command);
        }

        @Override
        public Reply[] executeAll(byte[] commands) {
            return Replica.this.executeAll(Payloads.decodeCommands(commands));
        }

        @Override
        public byte[][] executeAllEncoded(byte[] commands) {
            return Payloads.encodeReplies(executeAll(commands));
        }

        @Override
        public lamportkv.rmi.WatchReply watch(Command query) {
            return polls.watch(query);
        }

        @Override
        public Reply lockStanding(Command query) {
            return polls.lockStanding(query);
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
        public byte[] deliver(byte[] batch) {
            return Payloads.encodeAck(peerIntake.deliver(Payloads.decodeBatch(batch)));
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
