package lamportkv.replica;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import lamportkv.core.ApplyHold;
import lamportkv.core.Node;
import lamportkv.core.ReplicaCore.Outgoing;
import lamportkv.core.Ready;
import lamportkv.core.ViewMessage;
import lamportkv.core.Result;
import lamportkv.storage.StorageException;
import org.tinylog.TaggedLogger;

/**
 * The end of every event-loop round: does what the node's {@link Ready} says, in its order —
 * append, give the early answers, force, commit, hand the messages to the links (when
 * {@link ApplyHold} says), answer the clients — then takes a
 * snapshot when one is due. The decisions are the node's; this class only does the I/O.
 *
 * <p>Owned by the event loop, like the node: every method runs in a round (on the loop's thread or
 * on the thread of a client's call, a peer's call or a link taking in what an answer carried back,
 * one at a time), but {@link #confirmed}, which any link calls.
 */
final class Rounds implements EventLoop.RoundEnd {
    private final Node node;
    private final DiskJournal journal;
    private final Map<Integer, PeerLink> links;
    private final FailStop failStop;
    private final long snapshotEvery;
    private final TaggedLogger log;
    private EventLoop loop;
    /** Client calls waiting for their operation's answer, by the node's token. */
    private final Map<Long, CompletableFuture<Result>> waiting = new HashMap<>();
    private long appliedAtSnapshot;
    /** The view the links are in (their incarnation). */
    private long linkView;
    private final ViewEvents views;
    /** When each round's messages leave (APPLYs may wait for the next round: {@link ApplyHold}). */
    private final ApplyHold applyHold = new ApplyHold(HOLD_APPLIES);

    /** {@link ApplyHold} on (the default) or off: {@code -Dlamportkv.holdApplies=false} (to measure what it does). */
    static final boolean HOLD_APPLIES = !"false".equals(System.getProperty("lamportkv.holdApplies"));

    Rounds(Node node, DiskJournal journal, Map<Integer, PeerLink> links, FailStop failStop, long snapshotEvery,
           TaggedLogger log, ViewEvents views) {
        this.views = views;
        this.linkView = node.membership().view().number();
        this.node = node;
        this.journal = journal;
        this.links = links;
        this.failStop = failStop;
        this.snapshotEvery = snapshotEvery;
        this.log = log;
        this.appliedAtSnapshot = node.core().state().appliedCount();
    }

    void runOn(EventLoop loop) {
        this.loop = loop;
    }

    /** Hears the applied count after every committed round (on the loop): the long polls wake on it. */
    void onRound(java.util.function.LongConsumer appliedCount) {
        this.afterRound = appliedCount;
    }

    private java.util.function.LongConsumer afterRound = applied -> { };

    /** A peer's latest confirmation: it holds the link of view {@code view} durably up to {@code durable}. */
    private record Confirmation(long view, long durable) {
    }

    /** Per peer, the latest confirmation its link heard and no round has taken yet. */
    private final Map<Integer, AtomicReference<Confirmation>> confirmations = new ConcurrentHashMap<>();

    /**
     * From a link's thread: {@code peer} holds this replica's messages of view {@code view} durably up
     * to {@code durable}. The next round lets the node drop them. Nothing waits for that (the node
     * keeps them only to re-send), so a confirmation does not wake the loop: two wake-ups fewer per
     * operation at one client.
     */
    void confirmed(int peer, long view, long durable) {
        confirmations.computeIfAbsent(peer, p -> new AtomicReference<>()).set(new Confirmation(view, durable));
    }

    /** Hands the node the confirmations heard since the last round (on the loop). */
    private void takeConfirmations() {
        for (Map.Entry<Integer, AtomicReference<Confirmation>> e : confirmations.entrySet()) {
            Confirmation c = e.getValue().getAndSet(null);
            if (c != null) {
                node.confirmed(e.getKey(), c.view(), c.durable());
            }
        }
    }

    /** A client waits for the operation {@code token} names: answered when its round has committed. */
    void await(long token, CompletableFuture<Result> answer) {
        waiting.put(token, answer);
    }

    /** The client gave up on {@code token} (its operation was taken back). */
    void forget(long token) {
        waiting.remove(token);
    }

    @Override
    public boolean commit(boolean forceAnyway) {
        if (failStop.failed()) {
            return false;
        }
        takeConfirmations();
        Trace.Round traced = new Trace.Round();
        traced.start(node.self());
        Ready ready = node.ready(System.currentTimeMillis(), System.nanoTime() / 1_000_000,
                forceAnyway || loop.answersWaiting());
        try {
            for (byte[] record : ready.records()) {
                journal.append(record);
            }
            answer(ready.earlyAnswers());       // PROTOCOL.md's one permitted early answer
            if (ready.force()) {
                Trace.Force force = new Trace.Force();
                force.start(node.self());
                loop.forcing(true);
                try {
                    journal.force();
                } finally {
                    loop.forcing(false);
                }
                force.commit();
            }
        } catch (StorageException e) {
            // Nothing of this round leaves: the replica refuses work from now on.
            failStop.diskFailed(e.getMessage());
            failWaiting();
            return false;
        }
        node.committed(ready);
        if (ready.viewNumber() != linkView) {
            linkView = ready.viewNumber();      // a new view: every link starts a new incarnation
            applyHold.drop();
            links.values().forEach(link -> link.restart(linkView));
        }
        Map<Integer, List<Outgoing>> leaving = applyHold.leaving(ready.messages(), loop.workWaiting());
        for (Map.Entry<Integer, List<Outgoing>> e : leaving.entrySet()) {
            links.get(e.getKey()).send(e.getValue());
        }
        for (Map.Entry<Integer, List<ViewMessage>> e : ready.viewMessages().entrySet()) {
            links.get(e.getKey()).sendView(e.getValue());
        }
        answer(ready.answers());
        for (Node.Refusal r : ready.refusals()) {
            CompletableFuture<Result> answer = waiting.remove(r.token());
            if (answer != null) {
                answer.completeExceptionally(r.mayBeApplied() ? new ClientCalls.Abandoned(r.why())
                        : new ClientCalls.NotTaken(r.why()));
            }
        }
        views.afterRound();
        afterRound.accept(node.core().state().appliedCount());
        if (traced.shouldCommit() && ready.leaves()) {      // rounds that only took something in are left out
            traced.records = ready.records().size();
            traced.forced = ready.force();
            traced.earlyAnswers = ready.earlyAnswers().size();
            traced.answers = ready.answers().size();
            traced.messages = ready.messages().values().stream().mapToInt(List::size).sum();
            traced.commit();
        }
        snapshotIfDue();
        return true;
    }

    private void answer(List<Node.Answer> answers) {
        for (Node.Answer a : answers) {
            CompletableFuture<Result> answer = waiting.remove(a.token());
            if (answer != null) {
                answer.complete(a.result());
            }
        }
    }

    @Override
    public boolean unforced() {
        return !failStop.failed() && node.unforced();
    }

    @Override
    public boolean holding() {
        return node.holdsMessages();
    }

    /** The loop has stopped: close the log on its owner's thread (it forces what is appended). */
    @Override
    public void stopped() {
        failWaiting();
        try {
            journal.close();
        } catch (StorageException e) {
            log.error("closing the log: {}", e.getMessage());
        }
    }

    private void failWaiting() {
        String why = failStop.failed() ? failStop.failure() : "the replica is stopping";
        for (CompletableFuture<Result> w : waiting.values()) {
            w.completeExceptionally(new ClientCalls.Abandoned(why));
        }
        waiting.clear();
    }

    /** Every {@code snapshot.every} applied operations, right after a force: store the state, drop the log it covers. */
    private void snapshotIfDue() {
        long applied = node.core().state().appliedCount();
        if (applied - appliedAtSnapshot < snapshotEvery || node.unforced()) {
            return;
        }
        try {
            long started = System.nanoTime();
            journal.snapshot(node.snapshot());
            appliedAtSnapshot = applied;
            log.debug("snapshot at {} applied operations in {} ms", applied, (System.nanoTime() - started) / 1_000_000);
        } catch (StorageException e) {
            failStop.diskFailed(e.getMessage());
            failWaiting();
        }
    }
}
