package lamportkv.replica;

import java.rmi.server.RemoteServer;
import java.rmi.server.ServerNotActiveException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import lamportkv.core.Codec;
import lamportkv.core.ViewCodec;
import lamportkv.core.ViewMessage;
import lamportkv.core.Node;
import lamportkv.core.PeerMessage;
import lamportkv.rmi.Ack;
import lamportkv.rmi.Batch;
import lamportkv.rmi.SerialFilters;
import lamportkv.security.PeerAuth;
import org.tinylog.TaggedLogger;

/**
 * Batches from the peers, on their way in: checked in order of cost and trust — size, the cluster
 * secret, this replica's health, the configuration both replicas must share, the sender's place
 * in the cluster, the encoding — and only then handed to the node on the event loop. A refusal
 * is one line naming what is wrong; it changes nothing. Runs on RMI handler threads.
 */
final class PeerIntake {
    /** Source addresses and disagreeing configurations logged so far (bounded: a hostile caller cannot fill the log). */
    private static final int MAX_LOGGED = 1_000;

    private final int self;
    private final Node node;
    private final EventLoop loop;
    private final Set<Integer> peers;
    private final Map<Integer, PeerLink> links;
    private final PeerAuth auth;
    private final byte[] agreement;
    private final String agreementText;
    private final String secretFileName;
    private final FailStop failStop;
    private final Listeners listeners;
    private final TaggedLogger log;
    private final Function<java.util.concurrent.CompletableFuture<Ack>, Ack> await;
    private final Heard heard;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();
    /**
     * Whether a peer's batch may be answered with this replica's messages for it ({@link Ack#back}):
     * on by default; {@code -Dlamportkv.carryBack=false} sends every message in a call of its own
     * (to measure what it does).
     */
    static final boolean CARRY_BACK = !"false".equals(System.getProperty("lamportkv.carryBack"));

    /**
     * The largest batch whose round this thread runs through its force, so that the answer carries
     * the OKs back: the sender's link waits for the answer before it sends more, which costs
     * nothing when little is coming (one client: the next REQUEST waits for these OKs) and holds
     * up a busy link. A larger batch is answered as soon as it is taken in, carrying back only
     * what was already waiting.
     */
    static final int ROUND_HERE_MAX_MESSAGES = Integer.getInteger("lamportkv.roundHereMaxMessages", 4);

    /** Slow motion, for teaching: every batch of peer messages waits this long before it is taken in; 0 is off. */
    private volatile long deliveryDelayMillis;

    PeerIntake(int self, Node node, EventLoop loop, Map<Integer, PeerLink> links, PeerAuth auth, String agreement,
               String secretFileName, FailStop failStop, Listeners listeners, TaggedLogger log,
               Function<java.util.concurrent.CompletableFuture<Ack>, Ack> await, Heard heard) {
        this.heard = heard;
        this.self = self;
        this.node = node;
        this.loop = loop;
        this.peers = Set.copyOf(links.keySet());
        this.links = links;
        this.auth = auth;
        this.agreementText = agreement;
        this.agreement = agreement.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        this.secretFileName = secretFileName;
        this.failStop = failStop;
        this.listeners = listeners;
        this.log = log;
        this.await = await;
    }

    void setDeliveryDelay(long millis) {
        deliveryDelayMillis = millis;
    }

    long deliveryDelayMillis() {
        return deliveryDelayMillis;
    }

    Ack deliver(Batch batch) {
        int from = check(batch);
        heard.callStarted(from);
        Trace.PeerBatch traced = new Trace.PeerBatch();
        traced.start(self);
        try {
            return take(batch, from);
        } finally {
            heard.callEnded(from);
            if (traced.shouldCommit()) {
                traced.from = from;
                traced.bytes = batch.bytes();
                traced.commit();
            }
        }
    }

    /** The checks every batch passes, in order of cost and trust; its sender, or an exception naming what is wrong. */
    private int check(Batch batch) {
        if (batch.bytes() > SerialFilters.MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("refused: a batch of " + batch.bytes()
                    + " bytes is over the limit of " + SerialFilters.MAX_BATCH_BYTES);
        }
        // Before anything else: only holders of the cluster secret reach the ordering core.
        if (!auth.verify(batch, self)) {
            String source = callerAddress();
            if (logOnce("secret " + source)) {
                log.warn("refused a peer call from {} without a valid cluster secret (claiming to be replica {});"
                        + " further refusals from there are not logged", source, batch.from());
            }
            throw new SecurityException("refused: replica " + self + " accepts peer calls only with the"
                    + " cluster secret (" + secretFileName + "); is this replica's copy the same?");
        }
        String failure = failStop.failure();
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        int from = batch.from();
        if (!java.util.Arrays.equals(batch.agreement(), agreement)) {    // bytes: no decoding on every heartbeat
            if (logOnce("agreement " + from + " " + batch.agreementText())) {
                log.error("refused batches from replica {}: it is configured with {}, this replica with {};"
                        + " start every replica with the same replicas.properties", from, batch.agreementText(),
                        agreementText);
            }
            throw new IllegalArgumentException("refused: replica " + self + " is configured with " + agreementText
                    + ", but replica " + from + " with " + batch.agreementText()
                    + "; start every replica with the same replicas.properties");
        }
        if (!peers.contains(from)) {
            if (logOnce("peer " + from)) {
                log.warn("refused a batch claiming to come from replica {}, which is not a peer", from);
            }
            throw new IllegalArgumentException("replica " + from + " is not a peer of replica " + self);
        }
        return from;
    }

    private Ack take(Batch batch, int from) {
        delayIfSlowMotion(batch);       // only a peer's batch: a refused caller is never kept waiting
        List<PeerMessage> messages;
        List<ViewMessage> views;
        try {
            messages = Codec.decode(batch.messages());
            views = ViewCodec.decode(batch.control());
        } catch (Codec.MalformedMessage e) {
            log.warn("refused a malformed batch from replica {}: {}", from, e.getMessage());
            throw new IllegalArgumentException("malformed batch: " + e.getMessage());
        }
        // Answered once taken in, with what this replica's link to the sender has waiting carried
        // back: a large batch (or one the loop's thread takes in) before its round's force (the
        // Ack says how much is durable); a small one after the round this thread ran, so its OKs,
        // sent once forced, go back with the answer. Only what a committed round queued on the
        // link is ever carried: nothing leaves before its force.
        Supplier<Ack> takeIn = () -> {
            long held = takeIn(from, batch, messages, views);
            return new Ack(node.membership().view().number(), held, node.durableFrom(from));
        };
        if (!CARRY_BACK || deliveryDelayMillis > 0) {     // slow motion shows every hop, OKs too
            return await.apply(loop.callBeforeCommit(takeIn));
        }
        PeerLink back = links.get(from);
        back.answerComing();
        Ack ack = null;
        try {
            ack = await.apply(messages.size() <= ROUND_HERE_MAX_MESSAGES
                    ? loop.callHere(takeIn) : loop.callBeforeCommit(takeIn));
        } finally {
            if (ack == null) {
                back.noAnswer();        // the call fails: its link sends what waits itself
            }
        }
        Batch carried = back.takeForAnswer();
        return carried == null ? ack : ack.withBack(carried);
    }

    /**
     * A batch of {@code peer}'s link to this replica that came back on its answer to one of this
     * replica's calls ({@link Ack#back}): checked like any batch, then taken in, a small one on the
     * calling link's thread if no round is running, else on the loop. A refusal is logged, never
     * thrown at the link: the peer's link sends again whatever this replica does not report holding.
     */
    void takeCarriedBack(int peer, Batch batch) {
        if (deliveryDelayMillis > 0) {
            // Slow motion shows every hop: the peer's link, not hearing that this replica holds
            // them, sends them again in a call of their own, which waits like any batch.
            return;
        }
        List<PeerMessage> messages;
        try {
            if (batch.from() != peer) {
                throw new IllegalArgumentException("replica " + peer + " answered with a batch of replica " + batch.from());
            }
            check(batch);
            messages = Codec.decode(batch.messages());
        } catch (IllegalArgumentException | IllegalStateException | SecurityException | Codec.MalformedMessage e) {
            if (logOnce("carried back " + peer + " " + e.getMessage())) {
                log.warn("refused messages carried back from replica {}: {}", peer, e.getMessage());
            }
            return;
        }
        Runnable takeIn = () -> takeIn(peer, batch, messages, List.of());
        // A few OKs (one client's): taken in here, saving the hand-off. More: the loop's thread
        // takes them, so that a round that forces never holds up the link's next call.
        if (messages.size() <= ROUND_HERE_MAX_MESSAGES) {
            loop.executeHere(takeIn, why -> { });
        } else {
            loop.execute(takeIn);
        }
    }

    /** On the loop: a checked batch of {@code from}'s link, decoded, taken in; the highest number held from it. */
    private long takeIn(int from, Batch batch, List<PeerMessage> messages, List<ViewMessage> views) {
        listeners.batchReceived(from, (int) batch.bytes());
        node.peerTime(from, batch.sentMillis(), System.nanoTime() / 1_000_000);
        long held = node.receive(from, batch.view(), batch.firstSeq(), messages);
        for (ViewMessage m : views) {
            node.viewMessage(from, m);
        }
        return held;
    }

    private boolean logOnce(String what) {
        return logged.size() < MAX_LOGGED && logged.add(what);
    }

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

    private static String callerAddress() {
        try {
            return RemoteServer.getClientHost();
        } catch (ServerNotActiveException e) {
            return "this process";
        }
    }
}
