package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** One replica's state: data, buffer, clock, applied count, digest and client table. */
class StateMachineTest {
    private long nextTs = 1;

    private static Operation op(String line) {
        return Operation.parse(Arrays.asList(line.split(" ")));
    }

    private static PendingRequest pending(long ts, int origin, Operation op) {
        return new PendingRequest(new Request(new RequestId(ts, origin), op), -1);
    }

    /** Buffers {@code op} as the next request and applies it from the head. */
    private Result apply(StateMachine sm, Operation op, ClientTag client) {
        sm.enqueue(new PendingRequest(new Request(new RequestId(nextTs++, 1), op, client), -1));
        return sm.applyHead();
    }

    private Result apply(StateMachine sm, String line) {
        return apply(sm, op(line), ClientTag.NONE);
    }

    private StateMachine withData(String... lines) {
        StateMachine sm = new StateMachine();
        for (String line : lines) {
            apply(sm, line);
        }
        return sm;
    }

    @Nested
    @DisplayName("buffer and applying")
    class BufferAndApplying {
        @Test
        @DisplayName("the buffer is ordered by (ts, origin) whatever the arrival order")
        void bufferOrder() {
            StateMachine sm = new StateMachine();
            sm.enqueue(pending(5, 1, op("get a")));
            sm.enqueue(pending(3, 2, op("get b")));
            sm.enqueue(pending(3, 1, op("get c")));
            sm.enqueue(pending(4, 3, op("get d")));
            assertThat(sm.bufferInOrder()).extracting(PendingRequest::id).containsExactly(
                    new RequestId(3, 1), new RequestId(3, 2), new RequestId(4, 3), new RequestId(5, 1));
            assertThat(sm.head()).map(PendingRequest::id).contains(new RequestId(3, 1));
            assertThat(sm.bufferLength()).isEqualTo(4);
        }

        @Test
        @DisplayName("applyHead removes and applies the head, in order, and counts it")
        void applyHeadInOrder() {
            StateMachine sm = new StateMachine();
            sm.enqueue(pending(2, 1, op("add x 5")));
            sm.enqueue(pending(1, 2, op("set x 1")));
            assertThat(sm.applyHead()).isEqualTo(Result.ok("OK"));
            assertThat(sm.pending(new RequestId(1, 2))).isEmpty();
            assertThat(sm.pending(new RequestId(2, 1))).isPresent();
            assertThat(sm.applyHead()).isEqualTo(Result.ok("6"));
            assertThat(sm.appliedCount()).isEqualTo(2);
            assertThat(sm.bufferLength()).isZero();
            assertThat(sm.data()).containsEntry("x", new Value.Num(BigDecimal.valueOf(6)));
        }

        @Test
        @DisplayName("failed operations are counted as applied and change nothing")
        void failedOperationsCount() {
            StateMachine sm = withData("set t text");
            String before = sm.digest();
            assertThat(apply(sm, "add t 1")).isEqualTo(Result.error("not a number: t"));
            assertThat(apply(sm, "mult nope 1")).isEqualTo(Result.error("no such key: nope"));
            assertThat(sm.appliedCount()).isEqualTo(3);
            assertThat(sm.digest()).isEqualTo(before);
        }

        @Test
        @DisplayName("applyHead on an empty buffer is an error")
        void applyHeadOnEmpty() {
            assertThatThrownBy(() -> new StateMachine().applyHead()).isInstanceOf(IllegalStateException.class);
        }

        @Test
        @DisplayName("data() is a read-only view")
        void dataIsReadOnly() {
            StateMachine sm = withData("set x 1");
            assertThatThrownBy(() -> sm.data().put("y", new Value.Text("z")))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThat(sm.data()).containsOnlyKeys("x");
        }

        @Test
        @DisplayName("bufferInOrder is a copy")
        void bufferInOrderIsACopy() {
            StateMachine sm = new StateMachine();
            sm.enqueue(pending(1, 1, op("keys")));
            List<PendingRequest> copy = sm.bufferInOrder();
            copy.clear();
            assertThat(sm.bufferLength()).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("digest")
    class Digest {
        @Test
        @DisplayName("is 16 hex digits and stable for the empty dictionary")
        void format() {
            assertThat(new StateMachine().digest()).matches("[0-9a-f]{16}").isEqualTo(new StateMachine().digest());
        }

        @Test
        @DisplayName("is equal for equal data and revisions, and covers the revisions")
        void equalForEqualState() {
            StateMachine a = withData("set x 1", "set y two", "set z 3");
            StateMachine b = withData("set x 1", "set y two", "set z 3");
            StateMachine c = withData("set z 3", "set y two", "set x 1");   // the same data, other revisions
            assertThat(a.digest()).isEqualTo(b.digest());
            assertThat(c.data()).isEqualTo(a.data());
            assertThat(c.digest()).isNotEqualTo(a.digest());
        }

        @Test
        @DisplayName("2.50 and 2.5 are the same number, so the same digest")
        void sameNumberDifferentSpelling() {
            assertThat(withData("set x 2.50").digest()).isEqualTo(withData("set x 2.5").digest());
        }

        @Test
        @DisplayName("differs for a different value, key, or key set")
        void differsForDifferentData() {
            String base = withData("set x 1", "set y 2").digest();
            assertThat(withData("set x 1", "set y 3").digest()).isNotEqualTo(base);
            assertThat(withData("set x 1", "set z 2").digest()).isNotEqualTo(base);
            assertThat(withData("set x 1").digest()).isNotEqualTo(base);
            assertThat(withData("set x 1", "set y 2", "set w 0").digest()).isNotEqualTo(base);
            assertThat(new StateMachine().digest()).isNotEqualTo(base);
            assertThat(withData("set x 2", "set y 1").digest()).isNotEqualTo(base);
        }

        @Test
        @DisplayName("the number 5 and the text \"5\" differ")
        void numberVersusText() {
            StateMachine number = withData("set k 5");
            StateMachine text = new StateMachine();
            apply(text, new Operation.Set("k", new Value.Text("5")), ClientTag.NONE);
            assertThat(number.data().get("k").render()).isEqualTo(text.data().get("k").render());
            assertThat(number.digest()).isNotEqualTo(text.digest());
        }

        @Test
        @DisplayName("key/value boundaries are unambiguous, even with NUL bytes inside text values")
        void noBoundaryAmbiguity() {
            StateMachine two = new StateMachine();
            apply(two, new Operation.Set("a", new Value.Text("x")), ClientTag.NONE);
            apply(two, new Operation.Set("b", new Value.Num(BigDecimal.valueOf(5))), ClientTag.NONE);
            StateMachine one = new StateMachine();
            apply(one, new Operation.Set("a", new Value.Text("x\u0000b\u0000n5")), ClientTag.NONE);
            assertThat(one.data()).isNotEqualTo(two.data());
            assertThat(one.digest()).isNotEqualTo(two.digest());

            StateMachine ab = new StateMachine();
            apply(ab, new Operation.Set("ab", new Value.Text("c")), ClientTag.NONE);
            StateMachine a = new StateMachine();
            apply(a, new Operation.Set("a", new Value.Text("bc")), ClientTag.NONE);
            assertThat(ab.digest()).isNotEqualTo(a.digest());
        }
    }

    @Nested
    @DisplayName("client table: a retried write takes effect once")
    class ClientTable {
        @Test
        @DisplayName("the same client and sequence number applied twice returns the first result and changes nothing")
        void retryAppliesOnce() {
            StateMachine sm = withData("set x 1");
            ClientTag tag = new ClientTag(42, 1, 1000);
            assertThat(apply(sm, op("add x 10"), tag)).isEqualTo(Result.ok("11"));
            assertThat(apply(sm, op("add x 10"), tag)).isEqualTo(Result.ok("11"));
            assertThat(sm.data().get("x").render()).isEqualTo("11");
            assertThat(sm.appliedCount()).isEqualTo(3);
            assertThat(sm.clientCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("an older sequence number than the last one is a stale retry")
        void staleRetry() {
            StateMachine sm = withData("set x 1");
            apply(sm, op("add x 1"), new ClientTag(0xab, 5, 0));
            Result stale = apply(sm, op("add x 1"), new ClientTag(0xab, 4, 0));
            assertThat(stale).isEqualTo(Result.error("stale retry: client ab has since sent operation 5"));
            assertThat(sm.data().get("x").render()).isEqualTo("2");
        }

        @Test
        @DisplayName("anonymous operations are never deduplicated")
        void anonymousNotDeduplicated() {
            StateMachine sm = withData("set x 1", "add x 1", "add x 1");
            assertThat(sm.data().get("x").render()).isEqualTo("3");
            assertThat(sm.clientCount()).isZero();
        }

        @Test
        @DisplayName("reads are not remembered")
        void readsNotRemembered() {
            StateMachine sm = withData("set x 1");
            apply(sm, op("get x"), new ClientTag(7, 1, 0));
            assertThat(sm.clientCount()).isZero();
            apply(sm, op("set x 2"), new ClientTag(7, 2, 0));
            assertThat(sm.clientCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("clients idle longer than the expiry (in the order's time) are forgotten")
        void idleClientsExpire() {
            StateMachine sm = new StateMachine(1000);
            apply(sm, op("set a 1"), new ClientTag(1, 1, 100));
            apply(sm, op("set b 1"), new ClientTag(2, 1, 500));
            assertThat(sm.clientCount()).isEqualTo(2);
            apply(sm, op("set c 1"), new ClientTag(3, 1, 1200));
            assertThat(sm.clientCount()).isEqualTo(2);          // client 1 idle 1100 ms > 1000
            apply(sm, op("set c 2"), new ClientTag(3, 2, 5000));
            assertThat(sm.clientCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("a record's idle time counts from the order's time at its write, not from its own stamp")
        void idleTimeCountsFromTheOrdersTime() {
            StateMachine sm = new StateMachine(1000);
            apply(sm, op("set n 0"), new ClientTag(1, 1, 5000));
            // Stamped earlier (a slow origin, or a request that waited in a queue), ordered later.
            apply(sm, op("add n 1"), new ClientTag(2, 1, 3000));
            apply(sm, op("set c 1"), new ClientTag(3, 1, 5900));
            assertThat(sm.clientCount()).as("the add was written at order time 5000: idle 900 ms").isEqualTo(3);
            apply(sm, op("add n 1"), new ClientTag(2, 1, 5950));
            assertThat(sm.data().get("n").render()).as("the retry is recognised").isEqualTo("1");
            assertThat(sm.orderMillis()).isEqualTo(5950);
        }

        @Test
        @DisplayName("records written before the order's time is known count from the first time known")
        void recordsBeforeTheFirstTimeCountFromIt() {
            StateMachine sm = new StateMachine(1000);
            apply(sm, op("set a 1"), new ClientTag(1, 1, ClusterTime.UNKNOWN));
            apply(sm, op("set b 1"), new ClientTag(2, 1, 1_700_000_000_000L));
            assertThat(sm.clientCount()).as("a was not idle for 54 years").isEqualTo(2);
            apply(sm, op("set c 1"), new ClientTag(3, 1, 1_700_000_001_500L));
            assertThat(sm.clientCount()).isEqualTo(1);
            assertThat(sm.expiredClients()).isEqualTo(2);
        }

        @Test
        @DisplayName("bug 3 of the review: the example of the issue, with each request stamped by the cluster's time")
        void aClockTwoHoursAheadCannotExpireARetry() {
            // The history: set x 0 (client 9); add x 1 (client 7, seq 5); a get stamped by an
            // origin two hours ahead; the retry of the add. With the origin's own clock as stamp the
            // get's 2 h expire the add's record and the retry applies again (x = 2). Stamped with the
            // cluster's time (ClusterTime: the lower median of the three clocks) the get says T.
            long t = 1_700_000_000_000L;
            long twoHours = 2 * 3_600_000L;
            java.util.List<ClusterTime.Reading> honestPeers = java.util.List.of(
                    new ClusterTime.Reading(t + 2, 0), new ClusterTime.Reading(t + 3, 0));
            long getStamp = ClusterTime.estimate(t + 2 + twoHours, 0, honestPeers, 3);
            assertThat(getStamp).isBetween(t, t + 10);
            StateMachine sm = new StateMachine(StateMachine.DEFAULT_CLIENT_EXPIRY_MILLIS);
            apply(sm, op("set x 0"), new ClientTag(9, 1, t));
            apply(sm, op("add x 1"), new ClientTag(7, 5, t + 1));
            apply(sm, op("get x"), new ClientTag(8, 1, getStamp));
            apply(sm, op("add x 1"), new ClientTag(7, 5, t + 5_000));
            assertThat(sm.data().get("x").render()).isEqualTo("1");
            // And the same history stamped with the origins' own clocks: the bug, reproduced.
            StateMachine broken = new StateMachine(StateMachine.DEFAULT_CLIENT_EXPIRY_MILLIS);
            apply(broken, op("set x 0"), new ClientTag(9, 1, t));
            apply(broken, op("add x 1"), new ClientTag(7, 5, t + 1));
            apply(broken, op("get x"), new ClientTag(8, 1, t + twoHours));
            apply(broken, op("add x 1"), new ClientTag(7, 5, t + 5_000));
            assertThat(broken.data().get("x").render()).isEqualTo("2");
        }

        @Test
        @DisplayName("the client expiry must be positive")
        void expiryPositive() {
            assertThatThrownBy(() -> new StateMachine(0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    @DisplayName("a snapshot read back gives the same clock, data, digest, buffer and client table")
    void snapshotRoundTrip() throws IOException {
        StateMachine sm = withData("set x 2.5", "set t hello", "set u ключ");
        apply(sm, op("add x 1"), new ClientTag(9, 3, 77));
        sm.clock().onReceive(40);
        PendingRequest mine = pending(50, 1, op("mult x 2"));
        mine.recordOk(2);
        sm.enqueue(mine);
        PendingRequest theirs = pending(45, 3, op("del t"));
        theirs.release(Result.ok("1"));
        sm.enqueue(theirs);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        sm.writeTo(new DataOutputStream(bytes));
        StateMachine copy = new StateMachine();
        copy.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

        assertThat(copy.clock().time()).isEqualTo(41);
        assertThat(copy.appliedCount()).isEqualTo(4);
        assertThat(copy.data()).isEqualTo(sm.data());
        assertThat(copy.digest()).isEqualTo(sm.digest());
        assertThat(copy.clientCount()).isEqualTo(1);
        assertThat(copy.bufferInOrder()).extracting(PendingRequest::toString)
                .containsExactly("(45,3) del t released", "(50,1) mult x 2 oks=[2]");
        assertThat(copy.pending(new RequestId(45, 3)).orElseThrow().originResult()).contains(Result.ok("1"));
        // The restored client table still deduplicates.
        assertThat(apply(copy, op("add x 1"), new ClientTag(9, 3, 78))).isEqualTo(Result.ok("3.5"));
        assertThat(copy.data().get("x").render()).isEqualTo("3.5");
    }
}
