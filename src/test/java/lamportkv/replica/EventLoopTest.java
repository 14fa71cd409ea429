package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Group commit: one commit per round, and nobody hears of a task before its round committed. */
class EventLoopTest {
    /** What the loops under test reported as bugs (fail-stop). */
    private final List<Throwable> bugs = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A commit that waits for the test's permission, and counts. */
    private static final class GatedCommit implements EventLoop.RoundEnd {
        final Semaphore permits = new Semaphore(0);
        final CountDownLatch firstCommitStarted = new CountDownLatch(1);
        final AtomicInteger commits = new AtomicInteger();
        final AtomicBoolean fail = new AtomicBoolean();

        @Override
        public boolean commit(boolean forceAnyway) {
            firstCommitStarted.countDown();
            permits.acquireUninterruptibly();
            commits.incrementAndGet();
            return !fail.get();
        }

        @Override
        public boolean unforced() {
            return false;
        }
    }

    /** A commit that notes what it was told, and how long records stay unforced (set by the test). */
    private static final class RecordingCommit implements EventLoop.RoundEnd {
        EventLoop loop;
        final java.util.concurrent.BlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
        volatile boolean unforced;

        @Override
        public boolean commit(boolean forceAnyway) {
            boolean force = forceAnyway || loop.answersWaiting();
            seen.add(forceAnyway ? "quiet" : loop.answersWaiting() ? "answers wait" : "nothing waits");
            if (force) {
                unforced = false;
            }
            return true;
        }

        @Override
        public boolean unforced() {
            return unforced;
        }
    }

    /** A commit that notes every round it commits, and whether the loop has stopped. */
    private static final class NotingEnd implements EventLoop.RoundEnd {
        final List<String> committed = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicBoolean stopped = new AtomicBoolean();

        @Override
        public boolean commit(boolean forceAnyway) {
            committed.add("round");
            return true;
        }

        @Override
        public boolean unforced() {
            return false;
        }

        @Override
        public void stopped() {
            stopped.set(true);
        }
    }

    @Test
    void aTaskIsAnsweredOnlyAfterItsRoundCommitted() throws Exception {
        GatedCommit commit = new GatedCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            loop.start();
            CompletableFuture<String> answer = loop.call(() -> "done");
            assertThat(commit.firstCommitStarted.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(50);
            assertThat(answer).isNotDone();          // the task ran; its commit has not finished
            commit.permits.release();
            assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo("done");
            assertThat(commit.commits).hasValue(1);
            commit.permits.release(100);
        }
    }

    @Test
    void everyTaskThatArrivesDuringACommitSharesTheNextOne() throws Exception {
        GatedCommit commit = new GatedCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            loop.start();
            CompletableFuture<Integer> first = loop.call(() -> 0);
            assertThat(commit.firstCommitStarted.await(5, TimeUnit.SECONDS)).isTrue();
            List<Integer> ran = new ArrayList<>();        // touched only on the loop
            List<CompletableFuture<Integer>> answers = new ArrayList<>();
            for (int i = 1; i <= 100; i++) {
                int n = i;
                answers.add(loop.call(() -> {
                    ran.add(n);
                    return n;
                }));
            }
            commit.permits.release();                      // the first round ends
            assertThat(first.get(5, TimeUnit.SECONDS)).isZero();
            commit.permits.release();                      // the second: all 100 tasks
            for (int i = 0; i < 100; i++) {
                assertThat(answers.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(i + 1);
            }
            assertThat(commit.commits).hasValue(2);
            commit.permits.release();                      // a third round, to read what ran
            assertThat(loop.call(() -> List.copyOf(ran)).get(5, TimeUnit.SECONDS))
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 100).boxed().toList());
            commit.permits.release(100);
        }
    }

    @Test
    void aFailedCommitFailsItsRoundsAnswersAndLaterRoundsGoOn() throws Exception {
        GatedCommit commit = new GatedCommit();
        commit.fail.set(true);
        commit.permits.release(100);
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            loop.start();
            CompletableFuture<String> lost = loop.call(() -> "not durable");
            assertThatThrownBy(() -> lost.get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("could not commit");
            commit.fail.set(false);
            assertThat(loop.call(() -> "durable").get(5, TimeUnit.SECONDS)).isEqualTo("durable");
        }
    }

    @Test
    void theCommitHearsWhetherAnswersWaitAndABeforeCommitCallIsAnsweredWithoutThem() throws Exception {
        RecordingCommit commit = new RecordingCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            commit.loop = loop;
            loop.start();
            assertThat(loop.call(() -> 1).get(5, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(commit.seen.poll(5, TimeUnit.SECONDS)).isEqualTo("answers wait");
            assertThat(loop.callBeforeCommit(() -> 2).get(5, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(commit.seen.poll(5, TimeUnit.SECONDS)).isEqualTo("nothing waits");
        }
    }

    @Test
    void unforcedRecordsAreForcedWithinTheLimitWhenNoWorkComesAndThenTheLoopWaits() throws Exception {
        RecordingCommit commit = new RecordingCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            commit.loop = loop;
            loop.start();
            long started = System.nanoTime();
            loop.execute(() -> commit.unforced = true);         // a round that appended and sent nothing
            assertThat(commit.seen.poll(5, TimeUnit.SECONDS)).isEqualTo("nothing waits");
            assertThat(commit.seen.poll(5, TimeUnit.SECONDS)).isEqualTo("quiet");
            assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(
                    TimeUnit.MILLISECONDS.toNanos(EventLoop.MAX_UNFORCED_MILLIS));
            assertThat(commit.seen.poll(200, TimeUnit.MILLISECONDS)).as("nothing unforced: no more commits").isNull();
        }
    }

    @Test
    void unforcedRecordsAreForcedWithinTheLimitEvenWhileWorkKeepsComing() throws Exception {
        RecordingCommit commit = new RecordingCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            commit.loop = loop;
            loop.start();
            loop.execute(() -> commit.unforced = true);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            String seen = "";
            while (!seen.equals("quiet") && System.nanoTime() < deadline) {
                loop.execute(() -> { });        // a round every millisecond, none of them needing a force
                Thread.sleep(1);
                for (String s; (s = commit.seen.poll()) != null; ) {
                    seen = s.equals("quiet") ? s : seen;
                }
            }
            assertThat(seen).as("a forced commit while rounds keep coming").isEqualTo("quiet");
        }
    }

    @Test
    void aClosedLoopRefusesWork() {
        EventLoop loop = new EventLoop("test-loop", new EventLoop.RoundEnd() {
            @Override
            public boolean commit(boolean forceAnyway) {
                return true;
            }

            @Override
            public boolean unforced() {
                return false;
            }
        }, bugs::add);
        loop.start();
        loop.close();
        assertThat(loop.call(() -> 1)).isCompletedExceptionally();
        assertThat(loop.execute(() -> { })).as("execute says the task will not run").isFalse();
    }

    @Test
    void aTaskThatThrowsStopsTheLoopAndItsRoundIsNeverCommitted() throws Exception {
        NotingEnd end = new NotingEnd();
        List<String> committed = end.committed;
        AtomicBoolean stopped = end.stopped;
        try (EventLoop loop = new EventLoop("test-loop", end, bugs::add)) {
            // Handed in before the loop starts, the good task, the bad one and a later one share one round.
            CompletableFuture<String> before = loop.call(() -> "before the bug");
            loop.execute(() -> {
                throw new IllegalStateException("a bug");
            });
            CompletableFuture<String> after = loop.call(() -> "after the bug");
            loop.start();
            assertThatThrownBy(() -> before.get(5, TimeUnit.SECONDS)).as("its round never committed")
                    .isInstanceOf(ExecutionException.class);
            assertThatThrownBy(() -> after.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("stopped after a bug");
            waitUntil(() -> stopped.get() && !bugs.isEmpty());
            assertThat(committed).as("no round committed").isEmpty();
            assertThat(bugs).singleElement().satisfies(e -> assertThat(e).hasMessage("a bug"));
            bugs.clear();
            // A task handed in afterwards is refused at once, not left to wait for an answer that never comes.
            assertThat(loop.execute(() -> { })).isFalse();
            assertThat(loop.call(() -> 1)).isCompletedExceptionally();
        }
    }

    @Test
    void anErrorInACommitStopsTheLoopToo() throws Exception {
        EventLoop.RoundEnd end = new EventLoop.RoundEnd() {
            @Override
            public boolean commit(boolean forceAnyway) {
                throw new AssertionError("a broken invariant");
            }

            @Override
            public boolean unforced() {
                return false;
            }
        };
        try (EventLoop loop = new EventLoop("test-loop", end, bugs::add)) {
            loop.start();
            CompletableFuture<Integer> answer = loop.call(() -> 1);
            assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
            waitUntil(() -> !loop.running() && !bugs.isEmpty());
            assertThat(bugs).singleElement().isInstanceOf(AssertionError.class);
            bugs.clear();
        }
    }

    @Test
    void tasksLeftWhenTheLoopStopsAreFailedNotForgotten() throws Exception {
        CountDownLatch blocker = new CountDownLatch(1);
        RecordingCommit commit = new RecordingCommit();
        EventLoop started = new EventLoop("test-loop", commit, bugs::add);
        commit.loop = started;
        started.execute(() -> {
            awaitQuietly(blocker);
            throw new IllegalStateException("a bug while others wait");
        });
        started.start();
        List<CompletableFuture<Integer>> waiting = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            waiting.add(started.call(() -> 1));
        }
        blocker.countDown();
        for (CompletableFuture<Integer> w : waiting) {
            assertThatThrownBy(() -> w.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        }
        started.close();
        assertThat(bugs).hasSize(1);
        bugs.clear();
    }

    // ---- rounds run by the caller (executeHere) --------------------------------------------------

    @Test
    void anIdleLoopLetsTheCallerRunTheRoundAndCommitItBeforeItReturns() throws Exception {
        RecordingCommit commit = new RecordingCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            commit.loop = loop;
            loop.start();
            Thread caller = Thread.currentThread();
            List<Thread> ranOn = new ArrayList<>();
            assertThat(loop.executeHere(() -> {
                ranOn.add(Thread.currentThread());
                loop.afterRound(() -> ranOn.add(null), () -> { });
            }, why -> { })).isTrue();
            assertThat(ranOn).as("ran here, and committed before executeHere returned").containsExactly(caller, null);
            assertThat(commit.seen.poll()).isEqualTo("answers wait");
        }
    }

    @Test
    void aCallRunHereIsAnsweredOnceItsRoundCommittedWithoutMakingItForce() throws Exception {
        RecordingCommit commit = new RecordingCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            commit.loop = loop;
            loop.start();
            CompletableFuture<Thread> call = loop.callHere(Thread::currentThread);
            assertThat(call).as("committed before callHere returned").isDone();
            assertThat(call.get()).as("on the caller's thread").isEqualTo(Thread.currentThread());
            assertThat(commit.seen.poll()).as("its answer claims nothing about the disk").isEqualTo("nothing waits");
            assertThat(commit.seen).isEmpty();
        }
    }

    @Test
    void whileARoundRunsACallHereIsQueuedAndAnsweredBeforeItsRoundsCommit() throws Exception {
        GatedCommit commit = new GatedCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            loop.start();
            loop.execute(() -> { });
            assertThat(commit.firstCommitStarted.await(5, TimeUnit.SECONDS)).isTrue();   // the loop's round is committing
            CompletableFuture<Thread> answer = loop.callHere(Thread::currentThread);
            assertThat(answer).as("queued: the caller did not wait for the running round").isNotDone();
            commit.permits.release();           // the first round commits; the next one runs the call
            assertThat(answer.get(5, TimeUnit.SECONDS)).as("run by the loop's thread").isNotEqualTo(Thread.currentThread());
            assertThat(commit.commits).as("answered before its own round committed").hasValue(1);
            commit.permits.release(100);
        }
    }

    @Test
    void whileARoundRunsTheCallerQueuesItsTaskInsteadOfWaiting() throws Exception {
        GatedCommit commit = new GatedCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            loop.start();
            loop.execute(() -> { });
            assertThat(commit.firstCommitStarted.await(5, TimeUnit.SECONDS)).isTrue();   // the loop's round is committing
            Thread caller = Thread.currentThread();
            CompletableFuture<Thread> answer = new CompletableFuture<>();
            assertThat(loop.executeHere(() -> answer.complete(Thread.currentThread()), why -> { })).isTrue();
            assertThat(answer).as("queued: the caller did not wait for the running round").isNotDone();
            commit.permits.release(100);
            assertThat(answer.get(5, TimeUnit.SECONDS)).as("run by the loop's thread").isNotEqualTo(caller);
        }
    }

    @Test
    void aCallerFindingARoundThatDoesNotForceWaitsForItAndRunsItsOwnHere() throws Exception {
        GatedCommit commit = new GatedCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add, TimeUnit.SECONDS.toNanos(10))) {
            loop.start();
            loop.execute(() -> { });
            assertThat(commit.firstCommitStarted.await(5, TimeUnit.SECONDS)).isTrue();   // a short round, committing
            CompletableFuture<Thread> ranOn = new CompletableFuture<>();
            Thread caller = new Thread(() -> loop.executeHere(() -> ranOn.complete(Thread.currentThread()), why -> { }));
            caller.start();
            Thread.sleep(100);
            assertThat(ranOn).as("still waiting for the running round, not queued for the loop's thread").isNotDone();
            commit.permits.release(100);
            assertThat(ranOn.get(5, TimeUnit.SECONDS)).as("run on the caller's thread").isEqualTo(caller);
            caller.join(5_000);
        }
    }

    @Test
    void aCallerFindingARoundForcingQueuesItsTaskAtOnce() throws Exception {
        GatedCommit commit = new GatedCommit();
        EventLoop[] self = new EventLoop[1];
        EventLoop.RoundEnd forcing = new EventLoop.RoundEnd() {
            @Override
            public boolean commit(boolean forceAnyway) {
                self[0].forcing(true);
                try {
                    return commit.commit(forceAnyway);
                } finally {
                    self[0].forcing(false);
                }
            }

            @Override
            public boolean unforced() {
                return false;
            }
        };
        try (EventLoop loop = new EventLoop("test-loop", forcing, bugs::add, TimeUnit.SECONDS.toNanos(10))) {
            self[0] = loop;
            loop.start();
            loop.execute(() -> { });
            assertThat(commit.firstCommitStarted.await(5, TimeUnit.SECONDS)).isTrue();   // the loop's round is forcing
            CompletableFuture<Thread> ranOn = new CompletableFuture<>();
            long before = System.nanoTime();
            assertThat(loop.executeHere(() -> ranOn.complete(Thread.currentThread()), why -> { })).isTrue();
            assertThat(System.nanoTime() - before).as("no wait for a force").isLessThan(TimeUnit.SECONDS.toNanos(5));
            assertThat(ranOn).as("queued").isNotDone();
            commit.permits.release(100);
            assertThat(ranOn.get(5, TimeUnit.SECONDS)).as("run by the loop's thread").isNotEqualTo(Thread.currentThread());
        }
    }

    @Test
    void aTaskRunHereFromInsideARoundIsQueuedForTheNextRound() throws Exception {
        RecordingCommit commit = new RecordingCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            commit.loop = loop;
            loop.start();
            List<String> ran = new ArrayList<>();      // touched only by the round's owner
            CompletableFuture<Void> inner = new CompletableFuture<>();
            loop.executeHere(() -> {
                ran.add("outer");
                loop.executeHere(() -> {
                    ran.add("inner");
                    inner.complete(null);
                }, why -> { });
                ran.add("outer done");
            }, why -> { });
            inner.get(5, TimeUnit.SECONDS);
            assertThat(loop.call(() -> List.copyOf(ran)).get(5, TimeUnit.SECONDS))
                    .containsExactly("outer", "outer done", "inner");
            assertThat(commit.seen).hasSizeGreaterThanOrEqualTo(2);     // two rounds, not one inside the other
        }
    }

    @Test
    void recordsARoundRunHereLeftUnforcedAreForcedByTheLoopsThreadWithinTheLimit() throws Exception {
        RecordingCommit commit = new RecordingCommit();
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add)) {
            commit.loop = loop;
            loop.start();
            Thread.sleep(20);                       // the loop's thread is parked, with no deadline
            long started = System.nanoTime();
            loop.executeHere(() -> commit.unforced = true, why -> { });
            assertThat(commit.seen.poll()).isEqualTo("nothing waits");
            assertThat(commit.seen.poll(5, TimeUnit.SECONDS)).as("forced by the loop's thread").isEqualTo("quiet");
            assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(
                    TimeUnit.MILLISECONDS.toNanos(EventLoop.MAX_UNFORCED_MILLIS));
            assertThat(commit.seen.poll(200, TimeUnit.MILLISECONDS)).as("nothing unforced: no more commits").isNull();
        }
    }

    @Test
    void whileRoundsRunHereKeepLeavingRecordsUnforcedTheLoopsThreadTicksAndNoCallerWakesIt() throws Exception {
        RecordingCommit commit = new RecordingCommit();
        // Ticking for a second, not 50 ms: a test thread held up between rounds must not make it stop.
        long warmNanos = TimeUnit.SECONDS.toNanos(1);
        try (EventLoop loop = new EventLoop("test-loop", commit, bugs::add, EventLoop.SPIN_NANOS, warmNanos)) {
            commit.loop = loop;
            loop.start();
            waitFor(() -> loop.thread().getState() == Thread.State.WAITING);    // idle: sleeps until woken
            loop.executeHere(() -> commit.unforced = true, why -> { });
            assertThat(loop.callerWakeUps()).as("the first deadline wakes the sleeping loop").isEqualTo(1);
            assertThat(commit.seen.poll()).isEqualTo("nothing waits");
            assertThat(commit.seen.poll(5, TimeUnit.SECONDS)).as("forced within the limit").isEqualTo("quiet");
            for (int i = 0; i < 3; i++) {           // rounds a client's calls run one after another
                long started = System.nanoTime();
                loop.executeHere(() -> commit.unforced = true, why -> { });
                assertThat(commit.seen.poll()).isEqualTo("nothing waits");
                assertThat(commit.seen.poll(5, TimeUnit.SECONDS)).as("still forced within the limit").isEqualTo("quiet");
                assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(
                        TimeUnit.MILLISECONDS.toNanos(EventLoop.MAX_UNFORCED_MILLIS));
            }
            assertThat(loop.callerWakeUps()).as("the loop's thread was ticking: nobody woke it").isEqualTo(1);
            waitFor(() -> loop.thread().getState() == Thread.State.WAITING);    // and when they stop, it stops ticking
            assertThat(commit.seen.poll(50, TimeUnit.MILLISECONDS)).isNull();
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("waited 5 s").isNegative();
            Thread.sleep(1);
        }
    }

    @Test
    void aBugInARoundRunHereStopsTheLoopAndNothingMoreIsCommitted() throws Exception {
        NotingEnd end = new NotingEnd();
        List<String> committed = end.committed;
        AtomicBoolean stopped = end.stopped;
        try (EventLoop loop = new EventLoop("test-loop", end, bugs::add)) {
            loop.start();
            assertThat(loop.executeHere(() -> {
                throw new IllegalStateException("a bug here");
            }, why -> { })).as("taken: it ran, here").isTrue();
            assertThat(loop.running()).as("stopped before executeHere returned").isFalse();
            waitUntil(() -> stopped.get() && !loop.running());
            assertThat(committed).as("the round with the bug never committed").isEmpty();
            assertThat(bugs).singleElement().satisfies(e -> assertThat(e).hasMessage("a bug here"));
            bugs.clear();
            assertThat(loop.executeHere(() -> { }, why -> { })).as("refused from now on").isFalse();
            assertThat(loop.call(() -> 1)).isCompletedExceptionally();
            assertThat(committed).isEmpty();
        }
    }

    @org.junit.jupiter.api.AfterEach
    void noUnexpectedBugs() {
        assertThat(bugs).as("bugs reported by the loops").isEmpty();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("within 5 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
