package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.rmi.ConnectException;
import java.rmi.RemoteException;
import java.rmi.ServerException;
import java.rmi.UnmarshalException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.StateHash;
import lamportkv.rmi.WatchReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The combining rule, against a replica stand-in that records each call and can hold it. */
@Timeout(30)
class CallCombinerTest {
    private final ExecutorService callers = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        callers.shutdownNow();
    }

    /** Answers each command with its sequence number; records every call's commands; may hold calls. */
    static final class Recorder implements ReplicaService {
        final List<List<Long>> calls = Collections.synchronizedList(new ArrayList<>());
        final List<String> threads = Collections.synchronizedList(new ArrayList<>());
        final List<Thread> callers = Collections.synchronizedList(new ArrayList<>());
        volatile CountDownLatch hold = new CountDownLatch(0);
        final CountDownLatch firstCallIn = new CountDownLatch(1);
        volatile RemoteException failAll;
        volatile UnaryOperator<Reply[]> tamper = UnaryOperator.identity();

        @Override
        public Reply execute(Command command) throws RemoteException {
            return answer(new Command[] {command})[0];
        }

        /** A replica of an earlier version: no {@link #executeAllEncoded}. */
        volatile boolean earlierVersion;
        final AtomicInteger encodedCalls = new AtomicInteger();

        @Override
        public Reply[] executeAll(byte[] commands) throws RemoteException {
            return tamper.apply(answer(lamportkv.rmi.Payloads.decodeCommands(commands)));
        }

        @Override
        public byte[][] executeAllEncoded(byte[] commands) throws RemoteException {
            if (earlierVersion) {       // what RMI answers for a method the remote object does not have
                throw new ServerException("RemoteException occurred in server thread",
                        new UnmarshalException("unrecognized method hash: method not supported by remote object"));
            }
            encodedCalls.incrementAndGet();
            return lamportkv.rmi.Payloads.encodeReplies(executeAll(commands));
        }

        private Reply[] answer(Command[] commands) throws RemoteException {
            List<Long> seqs = new ArrayList<>();
            for (Command c : commands) {
                seqs.add(c.seq());
            }
            calls.add(seqs);
            threads.add(Thread.currentThread().getName());
            callers.add(Thread.currentThread());
            firstCallIn.countDown();
            try {
                hold.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (failAll != null) {
                throw failAll;
            }
            Reply[] replies = new Reply[commands.length];
            for (int i = 0; i < commands.length; i++) {
                replies[i] = new Reply(Reply.Status.OK, "seq " + commands[i].seq());
            }
            return replies;
        }

        @Override
        public WatchReply watch(Command query) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Reply lockStanding(Command query) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long tick() {
            throw new UnsupportedOperationException();
        }

        @Override
        public StateHash hash() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ReplicaStatus status() {
            throw new UnsupportedOperationException();
        }
    }

    private static Command command(long seq, String... words) {
        return Command.of(7, seq, words.length == 0 ? List.of("get", "k") : List.of(words), 5_000);
    }

    /** Starts {@code count} callers after the first, which is held in its call; returns their futures in order. */
    private List<Future<Reply>> queueBehindAHeldCall(CallCombiner combiner, Recorder replica, int count)
            throws Exception {
        List<Future<Reply>> futures = new ArrayList<>();
        futures.add(holdFirstCall(combiner, replica, 0));
        for (int i = 1; i <= count; i++) {
            long seq = i;
            futures.add(callers.submit(() -> combiner.execute(replica, command(seq))));
            awaitQueued(combiner, i);
        }
        return futures;
    }

    /** A call of {@code seq} that the replica holds until {@code replica.hold} is counted down. */
    private Future<Reply> holdFirstCall(CallCombiner combiner, Recorder replica, long seq) throws Exception {
        replica.hold = new CountDownLatch(1);
        Future<Reply> first = callers.submit(() -> combiner.execute(replica, command(seq)));
        assertThat(replica.firstCallIn.await(10, TimeUnit.SECONDS)).isTrue();
        return first;
    }

    private static void awaitCalls(Recorder replica, int n, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (replica.calls.size() < n) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    /** The i-th future answers "seq i". */
    private static void assertEachAnsweredItsOwn(List<Future<Reply>> futures) throws Exception {
        for (int i = 0; i < futures.size(); i++) {
            assertThat(futures.get(i).get(10, TimeUnit.SECONDS).text()).isEqualTo("seq " + i);
        }
    }

    private static void awaitQueued(CallCombiner combiner, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (combiner.queued() < n) {
            assertThat(System.nanoTime()).as("%d callers queued", n).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    @Test
    @DisplayName("alone, an operation goes at once on its caller's thread, in a call of its own")
    void aloneItGoesAtOnce() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        for (long seq = 1; seq <= 3; seq++) {
            assertThat(combiner.execute(replica, command(seq)).text()).isEqualTo("seq " + seq);
        }
        assertThat(replica.calls).containsExactly(List.of(1L), List.of(2L), List.of(3L));
        assertThat(replica.threads).containsOnly(Thread.currentThread().getName());
    }

    @Test
    @DisplayName("callers that find every call busy go together in the next call, each with its own reply")
    void queuedCallersShareTheNextCall() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        long combinedBefore = CallCombiner.combinedOperations();
        List<Future<Reply>> futures = queueBehindAHeldCall(combiner, replica, 5);
        replica.hold.countDown();
        assertEachAnsweredItsOwn(futures);
        assertThat(replica.calls).containsExactly(List.of(0L), List.of(1L, 2L, 3L, 4L, 5L));
        assertThat(CallCombiner.combinedOperations() - combinedBefore).isEqualTo(5);
    }

    @Test
    @DisplayName("two calls in flight: the second caller does not wait for the first")
    void aSecondCallIsFree() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(2);
        Future<Reply> first = holdFirstCall(combiner, replica, 1);
        Future<Reply> second = callers.submit(() -> combiner.execute(replica, command(2)));
        awaitCalls(replica, 2, "the second call made while the first is held");
        assertThat(combiner.queued()).isZero();
        replica.hold.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).text()).isEqualTo("seq 1");
        assertThat(second.get(10, TimeUnit.SECONDS).text()).isEqualTo("seq 2");
    }

    @Test
    @DisplayName("a combined call carries at most MAX_CALL_COMMANDS; the rest go in the next")
    void atMostMaxCallCommandsPerCall() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        int queued = ReplicaService.MAX_CALL_COMMANDS + 10;
        List<Future<Reply>> futures = queueBehindAHeldCall(combiner, replica, queued);
        replica.hold.countDown();
        assertEachAnsweredItsOwn(futures);
        assertThat(replica.calls).extracting(List::size).containsExactly(1, ReplicaService.MAX_CALL_COMMANDS, 10);
    }

    @Test
    @DisplayName("a large command goes in a call of its own")
    void aLargeCommandGoesAlone() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        Future<Reply> first = holdFirstCall(combiner, replica, 0);
        Future<Reply> small = callers.submit(() -> combiner.execute(replica, command(1)));
        awaitQueued(combiner, 1);
        String big = "v".repeat(CallCombiner.MAX_CALL_CHARS);
        Future<Reply> large = callers.submit(() -> combiner.execute(replica, command(2, "set", "k", big)));
        awaitQueued(combiner, 2);
        Future<Reply> after = callers.submit(() -> combiner.execute(replica, command(3)));
        awaitQueued(combiner, 3);
        replica.hold.countDown();
        for (Future<Reply> f : List.of(first, small, large, after)) {
            assertThat(f.get(10, TimeUnit.SECONDS).ok()).isTrue();
        }
        assertThat(replica.calls).containsExactly(List.of(0L), List.of(1L), List.of(2L), List.of(3L));
    }

    @Test
    @DisplayName("a call that loses the replica: what waits behind it is not sent there, and told so (not reached)")
    void aLostCallSendsNothingAfterIt() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        List<Future<Reply>> futures = queueBehindAHeldCall(combiner, replica, 3);
        ConnectException refused = new ConnectException("Connection refused");
        replica.failAll = refused;
        replica.hold.countDown();
        assertThat(catchThrowable(() -> futures.get(0).get(10, TimeUnit.SECONDS))).hasCause(refused);
        for (Future<Reply> f : futures.subList(1, futures.size())) {
            Throwable thrown = catchThrowable(() -> f.get(10, TimeUnit.SECONDS));
            assertThat(thrown.getCause()).isInstanceOf(CallCombiner.NotSent.class)
                    .hasMessage("not sent: the call before it to this replica failed (Connection refused)");
            assertThat(RemoteCalls.certainlyNotReached((RemoteException) thrown.getCause())).isTrue();
        }
        assertThat(replica.calls).hasSize(1);
        // And the combiner is free again.
        replica.failAll = null;
        assertThat(combiner.execute(replica, command(9)).text()).isEqualTo("seq 9");
    }

    @Test
    @DisplayName("a combined call that fails fails every operation in it with the same exception")
    void aFailedCombinedCallFailsEveryoneInIt() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        List<Future<Reply>> futures = queueBehindAHeldCall(combiner, replica, 3);
        // The replica answers with an error (it refused the arguments): its queue is not its fault.
        ServerException refusal = new ServerException("refused", new UnmarshalException("filter status: REJECTED"));
        replica.failAll = refusal;
        replica.hold.countDown();
        for (Future<Reply> f : futures) {
            assertThat(catchThrowable(() -> f.get(10, TimeUnit.SECONDS))).hasCause(refusal);
        }
        assertThat(replica.calls).containsExactly(List.of(0L), List.of(1L, 2L, 3L));
    }

    @Test
    @DisplayName("a reply that does not match the call's commands fails them all (nothing is guessed)")
    void aShortReplyFailsEveryone() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        // Short only for the combined call: the held first call, alone, is answered in full.
        replica.tamper = replies -> replies.length == 1 ? replies : java.util.Arrays.copyOf(replies, replies.length - 1);
        List<Future<Reply>> futures = queueBehindAHeldCall(combiner, replica, 3);
        replica.hold.countDown();
        assertThat(futures.get(0).get(10, TimeUnit.SECONDS).text()).isEqualTo("seq 0");   // its own call
        for (Future<Reply> f : futures.subList(1, futures.size())) {
            assertThat(catchThrowable(() -> f.get(10, TimeUnit.SECONDS))).hasCauseInstanceOf(UnmarshalException.class)
                    .hasRootCauseMessage("the replica answered 2 of 3 operations");
        }
    }

    @Test
    @DisplayName("replies come as bytes; a replica of an earlier version gets executeAll, each operation once")
    void aReplicaOfAnEarlierVersionGetsTheOldCall() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(2);
        assertThat(combiner.execute(replica, command(1)).text()).isEqualTo("seq 1");
        assertThat(replica.encodedCalls.get()).as("the replies came as bytes").isEqualTo(1);
        replica.earlierVersion = true;
        CallCombiner older = new CallCombiner(2);
        assertThat(older.execute(replica, command(2)).text()).isEqualTo("seq 2");
        assertThat(older.execute(replica, command(3)).text()).isEqualTo("seq 3");
        assertThat(replica.calls).as("each operation ran once").containsExactly(List.of(1L), List.of(2L), List.of(3L));
        assertThat(replica.encodedCalls.get()).isEqualTo(1);
    }

    @Test
    @DisplayName("combining off (0 calls): every operation in a call of its own, however many at once")
    void offMeansEveryCallAlone() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(0);
        replica.hold = new CountDownLatch(1);
        List<Future<Reply>> futures = new ArrayList<>();
        for (long seq = 0; seq < 4; seq++) {
            long s = seq;
            futures.add(callers.submit(() -> combiner.execute(replica, command(s))));
        }
        awaitCalls(replica, 4, "four calls at once");
        replica.hold.countDown();
        for (Future<Reply> f : futures) {
            assertThat(f.get(10, TimeUnit.SECONDS).ok()).isTrue();
        }
        assertThat(replica.calls).extracting(List::size).containsOnly(1);
    }

    /** What submitted operations heard, in the order they heard it, and on which thread. */
    private static final class Heard {
        final List<String> ends = Collections.synchronizedList(new ArrayList<>());
        final List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch all;

        Heard(int count) {
            all = new CountDownLatch(count);
        }

        CallCombiner.Callback callback(long seq) {
            return (reply, failure) -> {
                ends.add(seq + ": " + (failure == null ? reply.text() : failure.getClass().getSimpleName()));
                threads.add(Thread.currentThread());
                all.countDown();
            };
        }

        void await() throws InterruptedException {
            assertThat(all.await(10, TimeUnit.SECONDS)).as("every submitted operation heard its end").isTrue();
        }
    }

    @Test
    @DisplayName("submitted: an operation started from a callback goes in the next call, on the same thread (no hand-off)")
    void aChainOfSubmittedOperationsStaysOnOneThread() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(2);     // a call is free at every step: still no second sender
        Heard heard = new Heard(5);
        long handedOffBefore = CallCombiner.handedOff();
        class Chain {
            void submit(long seq) {
                combiner.submit(replica, command(seq), (reply, failure) -> {
                    heard.callback(seq).done(reply, failure);
                    if (seq < 5) {
                        submit(seq + 1);
                    }
                });
            }
        }
        new Chain().submit(1);
        heard.await();
        assertThat(heard.ends).containsExactly("1: seq 1", "2: seq 2", "3: seq 3", "4: seq 4", "5: seq 5");
        assertThat(replica.calls).containsExactly(List.of(1L), List.of(2L), List.of(3L), List.of(4L), List.of(5L));
        Thread sender = replica.callers.get(0);
        assertThat(replica.callers).as("every call made by the thread that heard the one before").containsOnly(sender);
        assertThat(heard.threads).containsOnly(sender);
        assertThat(sender).isNotSameAs(Thread.currentThread());
        assertThat(CallCombiner.handedOff() - handedOffBefore).as("only the first, submitted from the test's thread, woke a sender")
                .isEqualTo(1);
    }

    @Test
    @DisplayName("submitted behind a busy call: they go together in the next call, each hearing its own reply")
    void submittedOperationsShareTheNextCall() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        Future<Reply> first = holdFirstCall(combiner, replica, 0);
        Heard heard = new Heard(3);
        for (long seq = 1; seq <= 3; seq++) {
            combiner.submit(replica, command(seq), heard.callback(seq));
        }
        assertThat(combiner.queued()).isEqualTo(3);
        replica.hold.countDown();
        heard.await();
        assertThat(first.get(10, TimeUnit.SECONDS).text()).isEqualTo("seq 0");
        assertThat(heard.ends).containsExactly("1: seq 1", "2: seq 2", "3: seq 3");
        assertThat(replica.calls).containsExactly(List.of(0L), List.of(1L, 2L, 3L));
    }

    @Test
    @DisplayName("submitted: a failed call tells each of its operations, and what waits behind it is not sent")
    void aFailedCallTellsEverySubmittedOperation() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        replica.hold = new CountDownLatch(1);
        Heard heard = new Heard(3);
        combiner.submit(replica, command(1), heard.callback(1));
        assertThat(replica.firstCallIn.await(10, TimeUnit.SECONDS)).isTrue();
        combiner.submit(replica, command(2), heard.callback(2));
        combiner.submit(replica, command(3), heard.callback(3));
        replica.failAll = new ConnectException("Connection refused");
        replica.hold.countDown();
        heard.await();
        assertThat(heard.ends).containsExactly("1: ConnectException", "2: NotSent", "3: NotSent");
        assertThat(replica.calls).hasSize(1);
    }

    @Test
    @DisplayName("submitted: a callback that throws is reported, and the others of its call still hear their end")
    void aThrowingCallbackDoesNotStopTheCall() throws Exception {
        Recorder replica = new Recorder();
        CallCombiner combiner = new CallCombiner(1);
        Future<Reply> first = holdFirstCall(combiner, replica, 0);
        Heard heard = new Heard(2);
        List<Throwable> reported = Collections.synchronizedList(new ArrayList<>());
        combiner.submit(replica, command(1), (reply, failure) -> {
            Thread.currentThread().setUncaughtExceptionHandler((t, e) -> reported.add(e));
            throw new IllegalStateException("a bug in a callback");
        });
        combiner.submit(replica, command(2), heard.callback(2));
        combiner.submit(replica, command(3), heard.callback(3));
        replica.hold.countDown();
        heard.await();
        first.get(10, TimeUnit.SECONDS);
        assertThat(heard.ends).containsExactly("2: seq 2", "3: seq 3");
        assertThat(reported).extracting(Throwable::getMessage).containsExactly("a bug in a callback");
        assertThat(combiner.execute(replica, command(9)).text()).as("the combiner goes on").isEqualTo("seq 9");
    }
}
