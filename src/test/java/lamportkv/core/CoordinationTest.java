package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Revisions, cas, the history watches read, and the lock table, in the pure state machine. */
class CoordinationTest {
    private static final long T0 = 1_700_000_000_000L;
    private long nextTs = 1;
    private long seq = 1;

    /** Applies {@code line} as the next request, stamped with the order time {@code wallMillis}. */
    private Result apply(StateMachine sm, long wallMillis, String line) {
        Operation op = Operation.parse(Arrays.asList(line.split(" ")));
        ClientTag tag = new ClientTag(42, seq++, wallMillis);
        sm.enqueue(new PendingRequest(new Request(new RequestId(nextTs++, 1), op, tag), -1));
        return sm.applyHead();
    }

    private String ok(StateMachine sm, long wallMillis, String line) {
        Result r = apply(sm, wallMillis, line);
        assertThat(r.ok()).as(line + " -> " + r.text()).isTrue();
        return r.text();
    }

    private String ok(StateMachine sm, String line) {
        return ok(sm, T0, line);
    }

    private static long token(String result) {
        return Long.parseLong(result.split(" ")[1]);
    }

    @Nested
    @DisplayName("revisions")
    class Revisions {
        @Test
        @DisplayName("every applied operation has the next revision; a key remembers its last change, deletions too")
        void positions() {
            StateMachine sm = new StateMachine();
            ok(sm, "set a 1");                                 // 1
            ok(sm, "get a");                                   // 2: reads have revisions too
            assertThat(ok(sm, "rev")).isEqualTo("3");
            assertThat(ok(sm, "rev a")).isEqualTo("1");
            assertThat(ok(sm, "rev never")).isEqualTo("0");
            ok(sm, "add a 2");                                 // 6
            assertThat(ok(sm, "rev a")).isEqualTo("6");
            ok(sm, "del a");                                   // 8
            assertThat(ok(sm, "rev a")).isEqualTo("8");
            ok(sm, "del a");                                   // 10: nothing to delete, no change
            assertThat(ok(sm, "rev a")).isEqualTo("8");
        }

        @Test
        @DisplayName("a failed operation changes no revision")
        void failedChangesNothing() {
            StateMachine sm = new StateMachine();
            ok(sm, "set t text");
            assertThat(apply(sm, T0, "add t 1").ok()).isFalse();
            assertThat(ok(sm, "rev t")).isEqualTo("1");
            assertThat(sm.changes().size()).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("cas")
    class CompareAndSet {
        @Test
        @DisplayName("stores only if the key holds EXPECTED as get prints it; (nil) is absent")
        void compares() {
            StateMachine sm = new StateMachine();
            assertThat(ok(sm, "cas leader (nil) w7")).isEqualTo("1");
            assertThat(ok(sm, "cas leader (nil) w8")).isEqualTo("0");
            assertThat(ok(sm, "get leader")).isEqualTo("w7");
            assertThat(ok(sm, "cas leader w7 w8")).isEqualTo("1");
            ok(sm, "set n 2.50");
            assertThat(ok(sm, "cas n 2.50 3")).as("as get prints it: 2.5").isEqualTo("0");
            assertThat(ok(sm, "cas n 2.5 3")).isEqualTo("1");
            assertThat(sm.data().get("n")).isEqualTo(new Value.Num(new java.math.BigDecimal(3)));
        }

        @Test
        @DisplayName("a cas that fails to compare is no change: no revision, no history")
        void noChange() {
            StateMachine sm = new StateMachine();
            ok(sm, "set k v");
            ok(sm, "cas k other w");
            assertThat(ok(sm, "rev k")).isEqualTo("1");
            assertThat(sm.changes().size()).isEqualTo(1);
        }

        @Test
        @DisplayName("bad input is refused before ordering")
        void badInput() {
            assertThatThrownBy(() -> Operation.parse(List.of("cas", "k", "v"))).hasMessageContaining("usage: cas KEY EXPECTED NEW");
            assertThatThrownBy(() -> Operation.parse(List.of("cas", "bad key", "a", "b"))).hasMessageContaining("bad key");
        }
    }

    @Nested
    @DisplayName("history")
    class History {
        @Test
        @DisplayName("a watch reads every change at or after its revision, in order, matching its pattern")
        void reads() {
            StateMachine sm = new StateMachine();
            ok(sm, "set k1 a");         // 1
            ok(sm, "set other b");      // 2
            ok(sm, "set k2 c");         // 3
            ok(sm, "del k1");           // 4
            ok(sm, "get k2");           // 5
            Changes.Page page = sm.changes().read(2, k -> k.startsWith("k"), 100, sm.appliedCount());
            assertThat(page.changes()).containsExactly(
                    new Changes.Change(3, "k2", Optional.of(new Value.Text("c"))),
                    new Changes.Change(4, "k1", Optional.empty()));
            assertThat(page.next()).as("everything up to the applied position was looked at").isEqualTo(6);
            Changes.Page first = sm.changes().read(1, k -> true, 2, sm.appliedCount());
            assertThat(first.changes()).extracting(Changes.Change::revision).containsExactly(1L, 2L);
            assertThat(first.next()).as("a full page goes on after its last change").isEqualTo(3);
        }

        @Test
        @DisplayName("is bounded: older revisions fail with the oldest kept")
        void bounded() {
            StateMachine sm = new StateMachine();
            for (int i = 0; i < Changes.MAX_CHANGES + 5; i++) {
                ok(sm, "set k" + i + " v");
            }
            assertThat(sm.changes().size()).isEqualTo(Changes.MAX_CHANGES);
            assertThat(sm.changes().oldestKept()).isEqualTo(6);
            assertThatThrownBy(() -> sm.changes().read(5, k -> true, 10, sm.appliedCount()))
                    .hasMessage("revision 5 is no longer kept: the oldest kept is 6");
            assertThat(sm.changes().read(6, k -> true, 1, sm.appliedCount()).changes().get(0).key()).isEqualTo("k5");
        }
    }

    @Nested
    @DisplayName("locks")
    class LockTable {
        @Test
        @DisplayName("first requested, first granted; each grant's token is larger than the earlier ones")
        void fifoAndFencing() {
            StateMachine sm = new StateMachine();
            String a = ok(sm, "lock L 10");
            String b = ok(sm, "lock L 10");
            String c = ok(sm, "lock L 10");
            assertThat(a).startsWith("granted ");
            assertThat(b).startsWith("queued ");
            assertThat(c).startsWith("queued ");
            assertThat(token(a)).isLessThan(token(b));
            assertThat(ok(sm, "unlock L " + token(b))).as("a waiter may leave the queue").isEqualTo("1");
            assertThat(ok(sm, "unlock L " + token(a))).isEqualTo("1");
            assertThat(sm.locks().holder("L")).map(Locks.Claim::token).contains(token(c));
            assertThat(ok(sm, "unlock L " + token(a))).as("no longer holds it").isEqualTo("0");
            assertThat(ok(sm, "renew L " + token(a))).isEqualTo("0");
            String d = ok(sm, "lock L 10");
            assertThat(ok(sm, "unlock L " + token(c))).isEqualTo("1");
            assertThat(sm.locks().holder("L")).map(Locks.Claim::token).contains(token(d));
            assertThat(token(d)).isGreaterThan(token(c));
        }

        @Test
        @DisplayName("a lease ends TTL after its grant or last renew, in the order's time; the next in line holds")
        void leases() {
            StateMachine sm = new StateMachine();
            long a = token(ok(sm, T0, "lock L 10"));
            long b = token(ok(sm, T0 + 1_000, "lock L 10"));
            assertThat(ok(sm, T0 + 9_000, "renew L " + a)).isEqualTo("1");        // a now lasts to T0 + 19 s
            assertThat(ok(sm, T0 + 9_000, "renew L " + b)).isEqualTo("1");        // b waits to T0 + 19 s
            assertThat(ok(sm, T0 + 18_000, "renew L " + b)).isEqualTo("1");       // and then to T0 + 28 s
            ok(sm, T0 + 18_999, "get x");
            assertThat(sm.locks().holder("L")).map(Locks.Claim::token).contains(a);
            ok(sm, T0 + 19_001, "get x");
            assertThat(sm.locks().standing("L", a)).isEqualTo(Locks.Standing.NONE);
            assertThat(sm.locks().holder("L")).map(Locks.Claim::token).contains(b);
            assertThat(sm.locks().holder("L").get().renewBy()).isEqualTo(T0 + 29_001);
        }

        @Test
        @DisplayName("a waiter that stops renewing leaves the queue after its TTL; one that renews gets the lock")
        void waitersRenew() {
            StateMachine sm = new StateMachine();
            long a = token(ok(sm, T0, "lock L 10"));
            long dead = token(ok(sm, T0, "lock L 5"));
            long alive = token(ok(sm, T0, "lock L 5"));
            assertThat(ok(sm, T0 + 4_000, "renew L " + alive)).isEqualTo("1");
            assertThat(ok(sm, T0 + 8_000, "renew L " + alive)).isEqualTo("1");
            assertThat(ok(sm, T0 + 8_000, "renew L " + a)).isEqualTo("1");
            assertThat(sm.locks().standing("L", dead)).as("not renewed within 5 s").isEqualTo(Locks.Standing.NONE);
            assertThat(ok(sm, T0 + 8_000, "unlock L " + a)).isEqualTo("1");
            assertThat(sm.locks().holder("L")).map(Locks.Claim::token).contains(alive);
            assertThat(sm.locks().holder("L").get().renewBy()).as("its lease starts at the grant").isEqualTo(T0 + 13_000);
        }

        @Test
        @DisplayName("a waiter leaves when its wait runs out, even while it renews")
        void waitRunsOut() {
            StateMachine sm = new StateMachine();
            ok(sm, T0, "lock L 60");
            long w = token(ok(sm, T0, "lock L 10 3"));
            ok(sm, T0 + 2_000, "renew L " + w);
            ok(sm, T0 + 3_001, "get x");
            assertThat(sm.locks().standing("L", w)).isEqualTo(Locks.Standing.NONE);
        }

        @Test
        @DisplayName("an Expire carries only its time: it ends leases when nothing else is written")
        void expire() {
            StateMachine sm = new StateMachine();
            ok(sm, T0, "lock L 1");
            assertThat(sm.locks().nextDeadline()).isEqualTo(T0 + 1_000);
            sm.enqueue(new PendingRequest(new Request(new RequestId(nextTs++, 1), new Operation.Expire(),
                    new ClientTag(0, 0, T0 + 1_001)), -1));
            assertThat(sm.applyHead().ok()).isTrue();
            assertThat(sm.locks().held()).isEmpty();
            assertThat(sm.locks().nextDeadline()).isEqualTo(Long.MAX_VALUE);
        }

        @Test
        @DisplayName("an unlock takes its deadline along: no Expire is due for a lease that is gone")
        void unlockClearsTheDeadline() {
            StateMachine sm = new StateMachine();
            long a = token(ok(sm, T0, "lock A 1"));
            ok(sm, T0, "lock B 5");
            assertThat(sm.locks().nextDeadline()).isEqualTo(T0 + 1_000);
            ok(sm, T0, "unlock A " + a);
            assertThat(sm.locks().nextDeadline()).isEqualTo(T0 + 5_000);
            assertThat(sm.locks().heldCount()).isEqualTo(1);
            assertThat(sm.locks().held(0)).isEmpty();
        }

        @Test
        @DisplayName("a retried lock is queued once and answered with its first token")
        void retriedOnce() {
            StateMachine sm = new StateMachine();
            Operation lock = Operation.parse(List.of("lock", "L", "10"));
            ClientTag tag = new ClientTag(7, 1, T0);
            sm.enqueue(new PendingRequest(new Request(new RequestId(nextTs++, 1), lock, tag), -1));
            Result first = sm.applyHead();
            sm.enqueue(new PendingRequest(new Request(new RequestId(nextTs++, 2), lock, tag), -1));
            assertThat(sm.applyHead()).isEqualTo(first);
            assertThat(sm.locks().size()).isEqualTo(1);
        }

        @Test
        @DisplayName("without the cluster's time a lock fails, the same way everywhere")
        void noTimeYet() {
            StateMachine sm = new StateMachine();
            Result r = apply(sm, ClusterTime.UNKNOWN, "lock L 10");
            assertThat(r.ok()).isFalse();
            assertThat(r.text()).contains("cluster's time is not known yet");
        }

        @Test
        @DisplayName("bad TTLs, waits and tokens are refused with the usage")
        void badInput() {
            assertThatThrownBy(() -> Operation.parse(List.of("lock", "L", "0"))).hasMessageContaining("bad TTL: 0");
            assertThatThrownBy(() -> Operation.parse(List.of("lock", "L", "86401"))).hasMessageContaining("at most 86400");
            assertThatThrownBy(() -> Operation.parse(List.of("lock", "L", "1.0001"))).hasMessageContaining("millisecond");
            assertThatThrownBy(() -> Operation.parse(List.of("lock", "L", "x"))).hasMessageContaining("bad TTL: x");
            assertThatThrownBy(() -> Operation.parse(List.of("lock", "L"))).hasMessageContaining("usage: lock NAME TTL");
            assertThatThrownBy(() -> Operation.parse(List.of("unlock", "L", "-3"))).hasMessageContaining("bad token");
            assertThatThrownBy(() -> Operation.parse(List.of("renew", "L", "x"))).hasMessageContaining("bad token: x");
            assertThat(Operation.parse(List.of("lock", "L", "0.5", "2"))).isEqualTo(new Operation.Lock("L", 500, 2_000));
        }
    }

    @Test
    @DisplayName("snapshots and state transfer carry revisions, history and locks")
    void carried() throws IOException {
        StateMachine sm = new StateMachine();
        ok(sm, "set a 1");
        ok(sm, "del a");
        ok(sm, "set b 2");
        long t = token(ok(sm, "lock L 10"));
        ok(sm, "lock L 10");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        sm.writeTo(new DataOutputStream(bytes), false);
        StateMachine copy = new StateMachine();
        copy.replaceWith(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(copy.digest()).isEqualTo(sm.digest());
        assertThat(copy.revisionOf("a")).isEqualTo(2);
        assertThat(copy.changes().read(1, k -> true, 10, copy.appliedCount()).changes()).hasSize(3);
        assertThat(copy.locks().holder("L")).map(Locks.Claim::token).contains(t);
        assertThat(copy.locks().size()).isEqualTo(2);

        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        sm.writeTo(new DataOutputStream(whole));
        StateMachine restored = new StateMachine();
        restored.readFrom(new DataInputStream(new ByteArrayInputStream(whole.toByteArray())));
        assertThat(restored.digest()).isEqualTo(sm.digest());
        assertThat(restored.locks().nextDeadline()).isEqualTo(sm.locks().nextDeadline());
    }

    @Test
    @DisplayName("the codec carries every new operation")
    void codec() throws IOException {
        for (String line : List.of("cas k (nil) 5", "cas k a b", "rev", "rev k", "lock L 1.5", "lock L 2 30",
                "renew L 7", "unlock L 9")) {
            Operation op = Operation.parse(Arrays.asList(line.split(" ")));
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            Codec.writeOperation(new DataOutputStream(bytes), op);
            assertThat(Codec.readOperation(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))))
                    .as(line).isEqualTo(op);
            assertThat(Operation.parse(op.words())).as("words round trip: " + op.words()).isEqualTo(op);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Codec.writeOperation(new DataOutputStream(bytes), new Operation.Expire());
        assertThat(Codec.readOperation(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))))
                .isEqualTo(new Operation.Expire());
    }
}
