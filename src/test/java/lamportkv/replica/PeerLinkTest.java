package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.rmi.ConnectException;
import java.rmi.RemoteException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.Codec;
import lamportkv.core.PeerMessage;
import lamportkv.core.ReplicaCore.Outgoing;
import lamportkv.core.RequestId;
import lamportkv.rmi.Ack;
import lamportkv.rmi.Batch;
import lamportkv.rmi.Observation;
import lamportkv.rmi.PeerService;
import lamportkv.security.PeerAuth;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tinylog.Logger;

/**
 * Batching on one link, against an in-process stand-in for the peer's {@link PeerService} (the
 * RMI transport itself is exercised by the cluster tests): whatever waits goes in one call, in
 * order, numbered without gaps; what the peer does not confirm is sent again.
 */
class PeerLinkTest {
    private static final ReplicaAddress PEER = new ReplicaAddress(2, "127.0.0.1", 1);
    private final PeerAuth auth = new PeerAuth(new SecureRandom().generateSeed(32));
    private static final String AGREEMENT = "replicas 1,2 and client.expiry.seconds 3600";
    private final List<PeerLink> links = new ArrayList<>();
    /** What the links' threads threw: must stay empty. */
    private final List<Throwable> bugs = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The peer's side: records each batch, answers with {@code answer} (what it holds, and durably). */
    private final class FakePeer implements PeerService {
        final BlockingQueue<Received> batches = new LinkedBlockingQueue<>();
        volatile Function<Received, Ack> answer = r -> both(r.lastSeq());

        @Override
        public byte[] deliver(byte[] encoded) throws RemoteException {
            Batch batch = lamportkv.rmi.Payloads.decodeBatch(encoded);
            assertThat(auth.verify(batch.from(), 2, batch.firstSeq(), batch.messages(), batch.sentMillis(),
                    batch.agreement(), batch.auth())).isTrue();
            assertThat(batch.agreementText()).isEqualTo(AGREEMENT);
            List<PeerMessage> messages;
            try {
                messages = Codec.decode(batch.messages());
            } catch (Codec.MalformedMessage e) {
                throw new AssertionError(e);
            }
            Received r = new Received(batch.firstSeq(), messages);
            batches.add(r);
            return lamportkv.rmi.Payloads.encodeAck(answer.apply(r));
        }

        @Override
        public Observation observe(long afterEvent) {
            throw new UnsupportedOperationException();
        }

        /** The next batch with messages in it (heartbeats skipped). */
        Received next() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                Received r = batches.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                assertThat(r).as("a batch with messages within 10 s").isNotNull();
                if (!r.messages().isEmpty()) {
                    return r;
                }
            }
        }
    }

    private record Received(long firstSeq, List<PeerMessage> messages) {
        long lastSeq() {
            return firstSeq + messages.size() - 1;
        }

        /** The message numbers, read back from the test messages' stamps. */
        List<Long> stamps() {
            return messages.stream().map(m -> m.requestId().ts()).toList();
        }
    }

    /** The peer holds up to {@code seq}, all of it on its disk. */
    private static Ack both(long seq) {
        return new Ack(seq, seq);
    }

    private static Outgoing message(long seq) {
        return new Outgoing(seq, new PeerMessage.OkMsg(new RequestId(seq, 2), seq));
    }

    private static List<Outgoing> messages(long from, long to) {
        List<Outgoing> list = new ArrayList<>();
        for (long seq = from; seq <= to; seq++) {
            list.add(message(seq));
        }
        return list;
    }

    private PeerLink link(PeerLink.Connector connector, AtomicLong confirmed) {
        return link(connector, confirmed, batch -> { });
    }

    private PeerLink link(PeerLink.Connector connector, AtomicLong confirmed,
                          java.util.function.Consumer<Batch> carriedBack) {
        PeerLink link = new PeerLink(1, PEER, Logger.tag("test"), auth, 1,
                AGREEMENT.getBytes(java.nio.charset.StandardCharsets.UTF_8), confirmed::set, (t, e) -> bugs.add(e),
                connector);
        link.onCarriedBack(carriedBack);
        links.add(link);
        link.start();
        return link;
    }

    @org.junit.jupiter.api.BeforeEach
    void plainTransport() {
        lamportkv.rmi.Transport.usePlain();     // a client's call reserves links only where its wait can be bounded
    }

    @AfterEach
    void close() {
        links.forEach(PeerLink::close);
        assertThat(bugs).as("exceptions in the links' threads").isEmpty();
    }

    @Test
    void whatWaitsDuringACallGoesInTheNextOneInOrder() throws Exception {
        FakePeer peer = new FakePeer();
        CountDownLatch release = new CountDownLatch(1);
        peer.answer = r -> {
            try {
                release.await(10, TimeUnit.SECONDS);      // the first call is slow to answer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return both(r.lastSeq());
        };
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.send(List.of(message(1)));
        assertThat(peer.next().stamps()).containsExactly(1L);
        for (long seq = 2; seq <= 61; seq += 10) {            // six sends while the call is out
            link.send(messages(seq, seq + 9));
        }
        release.countDown();
        Received second = peer.next();
        assertThat(second.firstSeq()).isEqualTo(2);
        assertThat(second.stamps()).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(2, 61).boxed().toList());
        waitFor(() -> confirmed.get() == 61);
        assertThat(link.backlog()).isZero();
    }

    @Test
    void aMessageOutOfNumberOrderIsABugNotARenumbering() throws Exception {
        FakePeer peer = new FakePeer();
        PeerLink link = link(() -> peer, new AtomicLong());
        link.send(messages(1, 3));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> link.send(List.of(message(5)))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("link 1→2: message 5 queued where 4 was due: link numbers must have no gaps");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> link.send(List.of(message(3)))))
                .isInstanceOf(IllegalStateException.class);
        assertThat(peer.next().stamps()).as("what was queued in order still goes out").containsExactly(1L, 2L, 3L);
    }

    @Test
    void anErrorInTheLinksThreadReachesItsHandler() throws Exception {
        PeerLink link = link(() -> {
            throw new OutOfMemoryError("pretend");
        }, new AtomicLong());
        link.send(messages(1, 1));
        waitFor(() -> !bugs.isEmpty());
        assertThat(bugs).singleElement().isInstanceOf(OutOfMemoryError.class);
        bugs.clear();
    }

    @Test
    void aPeerThatClaimsMoreThanWasSentIsNotBelieved() throws Exception {
        FakePeer peer = new FakePeer();
        peer.answer = r -> both(r.lastSeq() + 100);      // a peer that lost track (or this replica lost its state)
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.send(messages(1, 2));
        peer.next();
        Thread.sleep(200);
        assertThat(confirmed.get()).as("nothing confirmed beyond what was sent").isZero();
        assertThat(link.backlog()).as("nothing dropped").isEqualTo(2);
    }

    @Test
    void anAnswerThatIsNoAcknowledgementConfirmsNothingAndTheLinkGoesOn() throws Exception {
        FakePeer peer = new FakePeer();
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        PeerService garbling = new PeerService() {
            @Override
            public byte[] deliver(byte[] batch) throws RemoteException {
                byte[] ack = peer.deliver(batch);
                // The first answer cut short, the second of another version: neither is believed.
                return switch (calls.incrementAndGet()) {
                    case 1 -> java.util.Arrays.copyOf(ack, ack.length - 1);
                    case 2 -> new byte[] {9};
                    default -> ack;
                };
            }

            @Override
            public Observation observe(long afterEvent) {
                throw new UnsupportedOperationException();
            }
        };
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> garbling, confirmed);
        link.send(messages(1, 3));
        peer.next();
        assertThat(confirmed.get()).as("nothing confirmed on a garbled answer").isZero();
        assertThat(link.backlog()).isEqualTo(3);
        assertThat(peer.next().stamps()).as("sent again, whole").containsExactly(1L, 2L, 3L);
        waitFor(() -> confirmed.get() == 3);
        assertThat(calls.get()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aFailedCallIsSentAgainWholeAndThePeerDropsNothingItNeeds() throws Exception {
        FakePeer peer = new FakePeer();
        List<Integer> connects = new ArrayList<>();
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> {
            synchronized (connects) {
                connects.add(1);
                if (connects.size() == 1) {
                    throw new ConnectException("connection refused");
                }
            }
            return peer;
        }, confirmed);
        link.send(messages(1, 5));
        Received r = peer.next();
        assertThat(r.firstSeq()).isEqualTo(1);
        assertThat(r.stamps()).containsExactly(1L, 2L, 3L, 4L, 5L);
        waitFor(() -> confirmed.get() == 5);
        assertThat(link.reachable()).isTrue();
    }

    @Test
    void thePeerHoldingOnlyPartOfABatchGetsTheRestAgain() throws Exception {
        FakePeer peer = new FakePeer();
        peer.answer = r -> both(r.firstSeq() == 1 ? 3 : r.lastSeq());   // it took 1..3 of the first batch
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.send(messages(1, 5));
        assertThat(peer.next().stamps()).containsExactly(1L, 2L, 3L, 4L, 5L);
        Received again = peer.next();
        assertThat(again.firstSeq()).isEqualTo(4);
        assertThat(again.stamps()).containsExactly(4L, 5L);
        waitFor(() -> confirmed.get() == 5);
    }

    @Test
    void messagesThePeerHoldsButHasNotForcedAreKeptNotSentAgainAndDroppedOnceDurable() throws Exception {
        FakePeer peer = new FakePeer();
        AtomicLong durable = new AtomicLong();
        peer.answer = r -> new Ack(r.lastSeq(), Math.min(durable.get(), r.lastSeq()));
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.send(messages(1, 5));
        assertThat(peer.next().stamps()).containsExactly(1L, 2L, 3L, 4L, 5L);
        link.send(messages(6, 7));
        Received next = peer.next();
        assertThat(next.firstSeq()).as("sent on after what the peer holds").isEqualTo(6);
        assertThat(next.stamps()).containsExactly(6L, 7L);
        assertThat(link.backlog()).as("kept until durable").isEqualTo(7);
        assertThat(confirmed).hasValue(0);
        durable.set(7);                     // the peer forced: the next call (a heartbeat) says so
        waitFor(() -> confirmed.get() == 7 && link.backlog() == 0);
    }

    @Test
    void aPeerThatRestartedHoldingLessGetsWhatItLostAgain() throws Exception {
        FakePeer peer = new FakePeer();
        peer.answer = r -> r.firstSeq() == 1 ? new Ack(5, 3)    // took 1..5, forced 1..3
                : r.firstSeq() == 6 ? both(3)                   // restarted: 4 and 5 were never forced
                : both(r.lastSeq());
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.send(messages(1, 5));
        assertThat(peer.next().stamps()).containsExactly(1L, 2L, 3L, 4L, 5L);
        link.send(messages(6, 6));
        assertThat(peer.next().firstSeq()).isEqualTo(6);
        Received again = peer.next();
        assertThat(again.firstSeq()).isEqualTo(4);
        assertThat(again.stamps()).containsExactly(4L, 5L, 6L);
        waitFor(() -> confirmed.get() == 6 && link.backlog() == 0);
    }

    @Test
    void whileAnAnswerToThePeerIsComingTheLinkLeavesItsMessagesToIt() throws Exception {
        FakePeer peer = new FakePeer();
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.answerComing();
        link.send(messages(1, 2));
        Thread.sleep(200);
        assertThat(peer.batches).as("no call of its own while an answer may carry them")
                .allSatisfy(r -> assertThat(r.messages()).isEmpty());
        link.noAnswer();                    // the answer carries nothing: the link sends them itself
        assertThat(peer.next().stamps()).containsExactly(1L, 2L);
        waitFor(() -> confirmed.get() == 2);
    }

    @Test
    void messagesCarriedBackOnAnAnswerAreNotSentAgainOnceThePeerHoldsThem() throws Exception {
        FakePeer peer = new FakePeer();     // answers every call with what it holds: up to the last number it was sent
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.answerComing();
        link.send(messages(1, 3));
        Batch carried = link.takeForAnswer();
        assertThat(carried.firstSeq()).isEqualTo(1);
        assertThat(decodedStamps(carried.messages())).containsExactly(1L, 2L, 3L);
        assertThat(auth.verify(carried, 2)).as("signed for the peer like any batch").isTrue();
        assertThat(link.takeForAnswer()).as("taken once").isNull();
        // Within HAND_OFF_MILLIS the link asks what the peer holds (an empty batch numbered from 4),
        // hears 3, and forgets them, never having sent them in a call of its own.
        waitFor(() -> confirmed.get() == 3);
        assertThat(link.backlog()).isZero();
        link.send(messages(4, 4));
        assertThat(peer.next().stamps()).containsExactly(4L);
        assertThat(peer.batches).allSatisfy(r -> assertThat(r.messages()).isEmpty());
    }

    @Test
    void aMessageTooLargeForAnAnswerGoesInACallOfItsOwn() throws Exception {
        FakePeer peer = new FakePeer();
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        String large = "v".repeat(lamportkv.rmi.Payloads.MAX_BACK_BYTES);
        PeerMessage request = new PeerMessage.RequestMsg(new lamportkv.core.Request(new RequestId(1, 1),
                lamportkv.core.Operation.parse(List.of("set", "k", large)), new lamportkv.core.ClientTag(7, 1, 0)));
        link.answerComing();
        link.send(List.of(new Outgoing(1, request)));
        assertThat(link.takeForAnswer()).as("not on an answer the caller's filter would refuse").isNull();
        assertThat(peer.next().stamps()).containsExactly(1L);
        waitFor(() -> confirmed.get() == 1);
    }

    @Test
    void messagesOnAnAnswerThatNeverArrivedAreSentAgain() throws Exception {
        FakePeer peer = new FakePeer();
        peer.answer = r -> both(r.messages().isEmpty() ? 0 : r.lastSeq());   // the answer with 1..2 was lost
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.answerComing();
        link.send(messages(1, 2));
        assertThat(link.takeForAnswer()).isNotNull();
        long handedOff = System.nanoTime();
        Received again = peer.next();
        assertThat(System.nanoTime() - handedOff).as("not before the answer had its time")
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(PeerLink.HAND_OFF_MILLIS));
        assertThat(again.firstSeq()).isEqualTo(1);
        assertThat(again.stamps()).containsExactly(1L, 2L);
        waitFor(() -> confirmed.get() == 2);
    }

    @Test
    void aBatchCarriedBackOnThePeersAnswerIsHandedOn() throws Exception {
        FakePeer peer = new FakePeer();
        Batch back = auth.batch(2, 1, 0, 7, Codec.encode(List.of(message(7).message())), lamportkv.core.ViewCodec.encode(List.of()), 1L,
                AGREEMENT.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        peer.answer = r -> both(r.lastSeq()).withBack(back);
        List<Batch> handedOn = new java.util.concurrent.CopyOnWriteArrayList<>();
        PeerLink link = link(() -> peer, new AtomicLong(), handedOn::add);
        link.send(messages(1, 1));
        peer.next();
        waitFor(() -> !handedOn.isEmpty());
        assertThat(handedOn.get(0)).isEqualTo(back);
    }

    @Test
    void aPeerThatLostItsDiskIsNotFloodedWithResends() throws Exception {
        FakePeer peer = new FakePeer();
        AtomicBoolean lostDisk = new AtomicBoolean();
        peer.answer = r -> lostDisk.get() ? both(0) : both(r.lastSeq());
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.send(messages(1, 5));
        peer.next();
        waitFor(() -> confirmed.get() == 5);
        lostDisk.set(true);                 // it comes back empty: holds nothing of what it confirmed
        peer.batches.clear();
        link.send(messages(6, 6));
        Thread.sleep(500);
        assertThat(peer.batches.size()).as("calls in 500 ms, backing off").isLessThan(10);
        assertThat(link.backlog()).as("nothing dropped").isEqualTo(1);
    }

    /** A link the peer has answered once (so reachable, its stub found), holding nothing. */
    private PeerLink answeredOnce(FakePeer peer, AtomicLong confirmed) throws Exception {
        PeerLink link = link(() -> peer, confirmed);
        link.send(messages(1, 1));
        peer.next();
        waitFor(() -> confirmed.get() == 1 && link.backlog() == 0);
        return link;
    }

    @Test
    void aReservedCallGoesOnTheCallersThreadAndTheLinksThreadLeavesItsMessagesToIt() throws Exception {
        FakePeer peer = new FakePeer();
        List<String> callers = new java.util.concurrent.CopyOnWriteArrayList<>();
        peer.answer = r -> {
            callers.add(Thread.currentThread().getName());
            return both(r.lastSeq());
        };
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = answeredOnce(peer, confirmed);
        assertThat(link.reserve()).isTrue();
        assertThat(link.reserve()).as("one reservation at a time").isFalse();
        callers.clear();
        link.send(messages(2, 3));          // the round's REQUESTs, queued while the caller runs the round
        Thread.sleep(PeerLink.HEARTBEAT_MILLIS + 200);  // past a heartbeat: the link's thread wakes, and still leaves them
        assertThat(peer.batches).as("the link's thread leaves them to the reserved call")
                .allSatisfy(r -> assertThat(r.messages()).isEmpty());
        link.callReserved();
        assertThat(callers).containsExactly(Thread.currentThread().getName());
        assertThat(peer.next().stamps()).containsExactly(2L, 3L);
        assertThat(confirmed.get()).as("confirmed before callReserved returns").isEqualTo(3);
        link.send(messages(4, 4));          // and the link's thread sends on by itself
        assertThat(peer.next().stamps()).containsExactly(4L);
    }

    @Test
    void aLinkIsReservedOnlyWhenIdleAndItsPeerAnswers() throws Exception {
        FakePeer peer = new FakePeer();
        AtomicLong confirmed = new AtomicLong();
        PeerLink fresh = link(() -> peer, confirmed);
        assertThat(fresh.reserve()).as("never reached yet: the link's thread finds the peer").isFalse();
        fresh.close();

        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean slow = new AtomicBoolean();
        peer.answer = r -> {
            if (slow.get()) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return both(r.lastSeq());
        };
        PeerLink link = answeredOnce(peer, confirmed);
        slow.set(true);
        link.send(messages(2, 2));
        assertThat(peer.next().stamps()).containsExactly(2L);
        assertThat(link.reserve()).as("a call is out").isFalse();
        link.send(messages(3, 3));
        assertThat(link.reserve()).as("messages wait for the link's thread").isFalse();
        slow.set(false);
        release.countDown();
        waitFor(() -> confirmed.get() == 3 && link.backlog() == 0);
        assertThat(link.reserve()).as("idle again").isTrue();
        link.callReserved();

        peer.answer = r -> {
            throw new IllegalStateException("refused: another cluster secret");
        };
        link.send(messages(4, 4));
        waitFor(() -> peer.batches.stream().anyMatch(r -> r.firstSeq() == 4));
        Thread.sleep(50);
        assertThat(link.reserve()).as("the peer refuses: the link's thread retries at its pace").isFalse();
    }

    @Test
    void aReservedCallThatFailsLeavesItsMessagesToTheLinksThread() throws Exception {
        FakePeer peer = new FakePeer();
        AtomicBoolean fail = new AtomicBoolean();
        PeerService flaky = new PeerService() {
            @Override
            public byte[] deliver(byte[] batch) throws RemoteException {
                if (fail.getAndSet(false)) {
                    throw new ConnectException("connection refused");
                }
                return peer.deliver(batch);
            }

            @Override
            public Observation observe(long afterEvent) {
                throw new UnsupportedOperationException();
            }
        };
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> flaky, confirmed);
        link.send(messages(1, 1));
        peer.next();
        waitFor(() -> confirmed.get() == 1 && link.backlog() == 0);
        assertThat(link.reserve()).isTrue();
        link.send(messages(2, 2));
        fail.set(true);
        link.callReserved();                // fails, and returns: no exception for the client's call
        assertThat(peer.next().stamps()).as("sent again by the link's thread").containsExactly(2L);
        waitFor(() -> confirmed.get() == 2);
    }

    @Test
    void aReservedCallThatLeavesNothingDoesNotWakeTheLinksThreadAndItsHeartbeatCountsFromThatCall() throws Exception {
        FakePeer peer = new FakePeer();
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = answeredOnce(peer, confirmed);
        Thread.sleep(50);                               // the link's thread waits for work
        long wakeUps = link.wakeUps();
        for (int i = 0; i < 5; i++) {                   // one client's operations, one after another
            assertThat(link.reserve()).isTrue();
            link.send(messages(2 + i, 2 + i));
            link.callReserved();
            assertThat(peer.next().stamps()).containsExactly(2L + i);
        }
        Thread.sleep(50);
        assertThat(link.wakeUps()).as("nothing left for the link's thread: it slept on").isEqualTo(wakeUps);
        peer.batches.clear();
        Thread.sleep(PeerLink.HEARTBEAT_MILLIS / 2);
        assertThat(peer.batches).as("no heartbeat half a heartbeat after the last call").isEmpty();
        waitFor(() -> !peer.batches.isEmpty());         // then one, from the link's thread
        assertThat(peer.batches.peek().messages()).isEmpty();

        peer.answer = r -> {                            // a message queued while the reserved call is out
            if (r.stamps().contains(7L)) {
                link.send(messages(8, 8));
            }
            return both(r.lastSeq());
        };
        assertThat(link.reserve()).isTrue();
        link.send(messages(7, 7));
        long started = System.nanoTime();
        link.callReserved();
        assertThat(peer.next().stamps()).containsExactly(7L);
        assertThat(peer.next().stamps()).as("the call's end woke the link's thread for it").containsExactly(8L);
        assertThat(System.nanoTime() - started).as("not at the next heartbeat")
                .isLessThan(TimeUnit.MILLISECONDS.toNanos(PeerLink.HEARTBEAT_MILLIS / 2));
        waitFor(() -> confirmed.get() == 8);
    }

    @Test
    void aReservationWithNothingToSendLeavesTheLinkAwake() throws Exception {
        FakePeer peer = new FakePeer();
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = answeredOnce(peer, confirmed);
        assertThat(link.reserve()).isTrue();
        link.callReserved();                // the round ran on the loop's thread: nothing here yet
        link.send(messages(2, 2));
        assertThat(peer.next().stamps()).containsExactly(2L);
        waitFor(() -> confirmed.get() == 2);
    }

    @Test
    void aReservedCallToAPeerFrozenMidCallGivesUpWithinItsBoundAndTheLinksThreadSendsAgain() throws Exception {
        FakePeer peer = new FakePeer();
        CountDownLatch thawed = new CountDownLatch(1);
        AtomicBoolean frozen = new AtomicBoolean();
        PeerService impl = new PeerService() {
            @Override
            public byte[] deliver(byte[] batch) throws RemoteException {
                if (frozen.get()) {
                    try {
                        thawed.await(20, TimeUnit.SECONDS);     // SIGSTOP: the call is taken and never answered
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return peer.deliver(batch);
            }

            @Override
            public Observation observe(long afterEvent) {
                throw new UnsupportedOperationException();
            }
        };
        PeerService stub = (PeerService) java.rmi.server.UnicastRemoteObject.exportObject(impl, 0,
                new lamportkv.rmi.ClientSockets(), new lamportkv.rmi.ServerSockets(java.net.InetAddress.getLoopbackAddress()));
        try {
            AtomicLong confirmed = new AtomicLong();
            PeerLink link = new PeerLink(1, PEER, Logger.tag("test"), auth, 0, 1,
                    AGREEMENT.getBytes(java.nio.charset.StandardCharsets.UTF_8), 50,
                    (view, durable) -> confirmed.set(durable), (t, e) -> bugs.add(e), () -> stub);
            links.add(link);
            link.start();
            link.send(messages(1, 1));
            waitFor(() -> confirmed.get() == 1 && link.backlog() == 0);
            frozen.set(true);
            assertThat(link.reserve()).isTrue();
            link.send(messages(2, 2));
            long start = System.nanoTime();
            link.callReserved();
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(tookMillis).as("the client's thread waited twice the heartbeat, not RMI's limit")
                    .isBetween(90L, 5_000L);
            assertThat(link.reachable()).isFalse();
            frozen.set(false);
            thawed.countDown();
            waitFor(() -> confirmed.get() == 2);        // the link's thread sent it again
        } finally {
            thawed.countDown();
            java.rmi.server.UnicastRemoteObject.unexportObject(impl, true);
        }
    }

    @Test
    void reservedCallsAndTheLinksThreadNeverCallAtOnceAndKeepTheOrder() throws Exception {
        java.util.concurrent.atomic.AtomicInteger out = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger mostAtOnce = new java.util.concurrent.atomic.AtomicInteger();
        List<Long> arrived = new java.util.concurrent.CopyOnWriteArrayList<>();
        FakePeer peer = new FakePeer();
        peer.answer = r -> {
            mostAtOnce.accumulateAndGet(out.incrementAndGet(), Math::max);
            try {
                Thread.sleep(0, 200_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            long held = arrived.isEmpty() ? 0 : arrived.get(arrived.size() - 1);
            for (long seq : r.stamps()) {
                if (seq == held + 1) {      // the peer takes only the next number (FIFO), drops repeats
                    arrived.add(seq);
                    held = seq;
                }
            }
            out.decrementAndGet();
            return both(held);
        };
        AtomicLong confirmed = new AtomicLong();
        PeerLink link = link(() -> peer, confirmed);
        link.send(messages(1, 1));
        waitFor(() -> confirmed.get() == 1);
        int last = 400;
        Thread[] callers = new Thread[3];
        AtomicLong nextSeq = new AtomicLong(2);
        Object rounds = new Object();           // one round at a time queues messages, as the loop does
        for (int c = 0; c < callers.length; c++) {
            callers[c] = new Thread(() -> {
                while (true) {
                    boolean reserved = link.reserve();
                    synchronized (rounds) {
                        long seq = nextSeq.get();
                        if (seq > last) {
                            if (reserved) {
                                link.callReserved();
                            }
                            return;
                        }
                        link.send(messages(seq, seq));
                        nextSeq.set(seq + 1);
                    }
                    if (reserved) {
                        link.callReserved();
                    }
                }
            });
            callers[c].start();
        }
        for (Thread t : callers) {
            t.join(30_000);
        }
        waitFor(() -> confirmed.get() == last);
        assertThat(mostAtOnce.get()).as("calls out at once on the link").isEqualTo(1);
        assertThat(arrived).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, last).boxed().toList());
    }

    @Test
    void aBatchStopsAtTheMessageOrByteLimitButNeverEmpty() {
        List<Outgoing> queue = messages(1, 100);
        PeerLink.Encoded byCount = PeerLink.encode(queue, 10, 1 << 20);
        assertThat(byCount.count()).isEqualTo(10);
        int one = PeerLink.encode(queue, 1, 1 << 20).bytes().length;
        PeerLink.Encoded byBytes = PeerLink.encode(queue, 100, one + 3 * (one - 4));
        assertThat(byBytes.count()).isEqualTo(4);
        assertThat(byBytes.bytes().length).isLessThanOrEqualTo(one + 3 * (one - 4));
        PeerLink.Encoded tiny = PeerLink.encode(queue, 100, 1);
        assertThat(tiny.count()).isEqualTo(1);
        assertThat(decodedStamps(byBytes.bytes())).containsExactly(1L, 2L, 3L, 4L);
    }

    private static List<Long> decodedStamps(byte[] bytes) {
        try {
            return Codec.decode(bytes).stream().map(m -> m.requestId().ts()).toList();
        } catch (Codec.MalformedMessage e) {
            throw new AssertionError(e);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
