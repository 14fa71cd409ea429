package lamportkv.replica;

import java.rmi.server.RemoteServer;
import java.rmi.server.ServerNotActiveException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
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
        int bytes = (int) batch.bytes();
        // Answered once taken in, before the round's force: the Ack says how much is durable.
        // View messages are answered by view messages of this replica's own, after its force.
        return await.apply(loop.callBeforeCommit(() -> {
            listeners.batchReceived(from, bytes);
            node.peerTime(from, batch.sentMillis(), System.nanoTime() / 1_000_000);
            long held = node.receive(from, batch.view(), batch.firstSeq(), messages);
            for (ViewMessage m : views) {
                node.viewMessage(from, m);
            }
            return new Ack(node.membership().view().number(), held, node.durableFrom(from));
        }));
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
