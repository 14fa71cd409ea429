package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import lamportkv.core.ReplicaCore.Outgoing;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The rules of a round, one by one, on two nodes wired by hand: what is forced, what leaves, what
 * is durable, what a restart does first, and what a withdrawn operation becomes. The crash
 * simulation drives the same object under faults; these pin each rule down.
 */
class NodeTest {
    private static final Agreement TWO = new Agreement(List.of(1, 2), StateMachine.DEFAULT_CLIENT_EXPIRY_MILLIS);
    private static final long T = 1_700_000_000_000L;

    /** A node and its disk: every record of every committed round, and how many of them are forced. */
    private static final class Disk {
        final List<byte[]> records = new ArrayList<>();
        int forced;
    }

    private static Ready round(Node node, Disk disk, boolean forceRequested) {
        Ready ready = node.ready(T, 0, forceRequested);
        disk.records.addAll(ready.records());
        if (ready.force()) {
            disk.forced = disk.records.size();
        }
        node.committed(ready);
        return ready;
    }

    private static Operation op(String line) {
        return Operation.parse(List.of(line.split(" ")));
    }

    /** Hands every message of {@code ready} for {@code to} to it. */
    private static void deliver(Ready ready, Node to) {
        for (Outgoing m : ready.messages().getOrDefault(to.self(), List.of())) {
            to.receive(otherOf(to.self()), m.seq(), m.message());
        }
    }

    private static int otherOf(int id) {
        return id == 1 ? 2 : 1;
    }

    /** Two replicas and their disks, wired by hand. */
    private record Pair(Node one, Node two, Disk d1, Disk d2) {
    }

    /** Replica 1 has stamped {@code command} (forced, its REQUEST delivered) and holds replica 2's OK. */
    private static Pair stampedAndAnswered(String command) {
        Pair p = new Pair(Node.fresh(1, TWO, Set.of(), Node.Observer.NONE),
                Node.fresh(2, TWO, Set.of(), Node.Observer.NONE), new Disk(), new Disk());
        round(p.two(), p.d2(), false);
        p.one().submit(op(command), 7, 1);
        deliver(round(p.one(), p.d1(), false), p.two());     // stamped, forced: the REQUEST
        deliver(round(p.two(), p.d2(), false), p.one());     // the OK
        return p;
    }

    @Test
    @DisplayName("durable before it leaves: a round that sends forces, and only then are its messages handed out")
    void aRoundThatSendsForces() {
        Node one = Node.fresh(1, TWO, Set.of(), Node.Observer.NONE);
        Disk disk = new Disk();
        long token = one.submit(op("set x 1"), 7, 1);
        Ready ready = round(one, disk, false);
        assertThat(ready.records()).as("its agreement, then the client operation").hasSize(2);
        assertThat(ready.force()).isTrue();
        assertThat(ready.messages().get(2)).singleElement()
                .satisfies(m -> assertThat(m.message()).isInstanceOf(PeerMessage.RequestMsg.class));
        assertThat(one.withdraw(token)).as("stamped: it may still apply").isEqualTo(Node.Withdrawal.STAMPED);
    }

    @Test
    @DisplayName("force only when something leaves: taking in an APPLY forces nothing unless asked")
    void aRoundThatOnlyTakesInForcesNothing() {
        Pair p = stampedAndAnswered("set x 1");
        Node one = p.one();
        Node two = p.two();
        Disk d1 = p.d1();
        Disk d2 = p.d2();
        Ready executed = round(one, d1, true);               // executes: APPLY to 2, answer (forced: not deferred)
        assertThat(executed.earlyAnswers()).singleElement()
                .satisfies(a -> assertThat(a.result()).isEqualTo(Result.ok("OK")));
        deliver(executed, two);
        assertThat(two.heldFrom(1)).isEqualTo(2);
        assertThat(two.durableFrom(1)).as("the APPLY's receipt is not forced yet").isEqualTo(1);
        Ready quiet = round(two, d2, false);
        assertThat(quiet.force()).as("nothing leaves").isFalse();
        assertThat(quiet.leaves()).isFalse();
        assertThat(two.unforced()).isTrue();
        assertThat(two.durableFrom(1)).isEqualTo(1);
        Ready timer = round(two, d2, true);                  // the owner's time limit for unforced records
        assertThat(timer.force()).isTrue();
        assertThat(two.durableFrom(1)).isEqualTo(2);
        assertThat(two.unforced()).isFalse();
    }

    @Test
    @DisplayName("a round of early answers and APPLYs alone defers its force: answered now, the APPLYs leave after the next force")
    void aRoundOfEarlyAnswersDefersItsForce() {
        Pair p = stampedAndAnswered("set n 5");
        Node one = p.one();
        Node two = p.two();
        Disk d1 = p.d1();
        Disk d2 = p.d2();
        int forcedBefore = d1.forced;
        Ready executed = round(one, d1, false);
        assertThat(executed.force()).isFalse();
        assertThat(d1.forced).isEqualTo(forcedBefore);
        assertThat(executed.allAnswers()).as("answered at once: its stamping record was forced")
                .extracting(a -> a.result().text()).containsExactly("OK");
        assertThat(executed.messages()).as("the APPLY waits for a force").isEmpty();
        assertThat(one.holdsMessages()).isTrue();
        assertThat(one.unforced()).isTrue();
        assertThat(one.durableFrom(2)).as("the OK's receipt is not durable yet").isZero();

        // The next operation's round forces it all; the APPLY leaves first, with the REQUEST.
        one.submit(op("set n 6"), 7, 2);
        Ready next = round(one, d1, false);
        assertThat(next.force()).isTrue();
        assertThat(next.messages().get(2)).extracting(m -> m.message().getClass().getSimpleName())
                .containsExactly("ApplyMsg", "RequestMsg");
        assertThat(next.messages().get(2)).extracting(Outgoing::seq).isSorted();
        assertThat(one.holdsMessages()).isFalse();
        assertThat(one.durableFrom(2)).isEqualTo(1);

        // When nothing comes, the owner's time limit asks for the force, and the APPLY leaves then.
        deliver(next, two);
        deliver(round(two, d2, false), one);                 // the OK of n 6
        assertThat(round(one, d1, false).force()).isFalse();
        Ready timer = round(one, d1, true);
        assertThat(timer.force()).isTrue();
        assertThat(timer.messages().get(2)).extracting(m -> m.message().getClass().getSimpleName())
                .containsExactly("ApplyMsg");

        // Alone a replica answers in the round that stamps: never deferred. The flaw defers it anyway.
        Agreement alone = new Agreement(List.of(1), StateMachine.DEFAULT_CLIENT_EXPIRY_MILLIS);
        Node single = Node.fresh(1, alone, Set.of(), Node.Observer.NONE);
        single.submit(op("add n 5"), 7, 1);
        Ready own = round(single, new Disk(), false);
        assertThat(own.force()).isTrue();
        assertThat(own.answers()).hasSize(1);
        Node flawed = Node.fresh(1, alone, Set.of(Flaw.DEFER_ANY_ANSWER), Node.Observer.NONE);
        flawed.submit(op("add n 5"), 7, 1);
        Ready unforced = round(flawed, new Disk(), false);
        assertThat(unforced.force()).isFalse();
        assertThat(unforced.answers()).hasSize(1);
    }

    @Test
    @DisplayName("one permitted early answer: on the last OK, before the force, only if the stamping record was forced")
    void earlyAnswerOnlyAfterTheStampWasForced() {
        Node one = Node.fresh(1, TWO, Set.of(), Node.Observer.NONE);
        Node two = Node.fresh(2, TWO, Set.of(), Node.Observer.NONE);
        Disk d1 = new Disk();
        Disk d2 = new Disk();
        round(two, d2, false);
        one.submit(op("set n 5"), 7, 1);
        Ready stamping = round(one, d1, false);
        assertThat(stamping.force()).as("the stamping record is forced before the REQUEST leaves").isTrue();
        assertThat(stamping.allAnswers()).isEmpty();
        deliver(stamping, two);
        deliver(round(two, d2, false), one);                 // the OK
        Ready executed = round(one, d1, true);               // a force asked for: not deferred (see the test below)
        assertThat(executed.force()).as("the round's APPLY and the OK's receipt still wait for the force").isTrue();
        assertThat(executed.earlyAnswers()).extracting(a -> a.result().text()).containsExactly("OK");
        assertThat(executed.answers()).isEmpty();
        assertThat(executed.messages().get(2)).as("the APPLY").hasSize(1);
        assertThat(one.durableFrom(2)).as("the OK's receipt is forced by that round").isEqualTo(1);

        // A replica alone executes in the round that stamps: its stamping record is not forced
        // yet, so its client hears only after the force. The flaw answers it early.
        Agreement alone = new Agreement(List.of(1), StateMachine.DEFAULT_CLIENT_EXPIRY_MILLIS);
        Node single = Node.fresh(1, alone, Set.of(), Node.Observer.NONE);
        single.submit(op("add n 5"), 7, 1);
        Ready own = round(single, new Disk(), false);
        assertThat(own.force()).isTrue();
        assertThat(own.earlyAnswers()).isEmpty();
        assertThat(own.answers()).hasSize(1);
        Node flawed = Node.fresh(1, alone, Set.of(Flaw.EARLY_ANSWER_UNFORCED_STAMP), Node.Observer.NONE);
        flawed.submit(op("add n 5"), 7, 1);
        assertThat(round(flawed, new Disk(), true).earlyAnswers()).hasSize(1);
    }

    @Test
    @DisplayName("leases end in the order: once a deadline passed, the lowest member writes one Expire, and only then")
    void expiryTimerWritesOneExpire() {
        Agreement alone = new Agreement(List.of(1), StateMachine.DEFAULT_CLIENT_EXPIRY_MILLIS);
        Node single = Node.fresh(1, alone, Set.of(), Node.Observer.NONE);
        long t0 = 1_700_000_000_000L;
        assertThat(single.expiryTimer(t0, 0)).as("no lock: nothing to end").isFalse();
        single.submit(op("lock L 1"), 7, 1);
        Ready granted = single.ready(t0, 0, false);
        single.committed(granted);
        assertThat(granted.answers()).extracting(a -> a.result().text()).containsExactly("granted 1");
        assertThat(single.expiryTimer(t0 + 1_000, 1_000)).as("the lease has not ended yet").isFalse();
        assertThat(single.expiryTimer(t0 + 1_001, 1_001)).isTrue();
        assertThat(single.expiryTimer(t0 + 1_002, 1_002)).as("one at a time").isFalse();
        single.committed(single.ready(t0 + 1_002, 1_002, false));
        assertThat(single.core().state().locks().held()).as("the Expire ended the lease").isEmpty();
        assertThat(single.expiryTimer(t0 + 5_000, 5_000)).isFalse();
    }

    @Test
    @DisplayName("restart forces first: records read back are not durable, and the backlog waits for the first force")
    void aRecoveredNodeForcesBeforeAnythingLeaves() {
        Node one = Node.fresh(1, TWO, Set.of(), Node.Observer.NONE);
        Node two = Node.fresh(2, TWO, Set.of(), Node.Observer.NONE);
        Disk d1 = new Disk();
        Disk d2 = new Disk();
        round(two, d2, false);
        one.submit(op("set x 1"), 7, 1);
        deliver(round(one, d1, false), two);                 // REQUEST taken in: its OK leaves with a force
        round(two, d2, false);
        assertThat(two.durableFrom(1)).isEqualTo(1);

        // Replica 2 is killed; its disk (here: everything it ever appended) is read back, page cache included.
        Node.Recovery recovery = Node.recover(2, TWO, Optional.empty(), Set.of(), Node.Observer.NONE);
        d2.records.forEach(recovery::replay);
        Node restarted = recovery.finish();
        assertThat(restarted.heldFrom(1)).isEqualTo(1);
        assertThat(restarted.durableFrom(1)).as("not durable until this life forces it").isZero();
        assertThat(restarted.unforced()).isTrue();
        Ready first = restarted.ready(T, 0, false);
        assertThat(first.force()).as("the first round forces, though it has no new record").isTrue();
        assertThat(first.records()).isEmpty();
        assertThat(first.messages().get(1)).as("the OK it had sent, again, after the force").singleElement()
                .satisfies(m -> assertThat(m.message()).isInstanceOf(PeerMessage.OkMsg.class));
        restarted.committed(first);
        assertThat(restarted.durableFrom(1)).isEqualTo(1);
    }

    @Test
    @DisplayName("bug 1 put back (Flaw.RESTART_WITHOUT_FORCE): the backlog leaves unforced and is reported durable")
    void theFlawRestartWithoutForce() {
        Node two = Node.fresh(2, TWO, Set.of(), Node.Observer.NONE);
        Disk d2 = new Disk();
        round(two, d2, false);
        RequestId id = new RequestId(5, 1);
        two.receive(1, 1, new PeerMessage.RequestMsg(new Request(id, op("set x 1"), new ClientTag(7, 1, T))));
        d2.records.addAll(two.ready(T, 0, false).records());   // appended; killed before the force returned
        Node.Recovery recovery = Node.recover(2, TWO, Optional.empty(), EnumSet.of(Flaw.RESTART_WITHOUT_FORCE),
                Node.Observer.NONE);
        d2.records.forEach(recovery::replay);
        Node restarted = recovery.finish();
        assertThat(restarted.durableFrom(1)).as("the bug: held is taken for durable").isEqualTo(1);
        Ready first = restarted.ready(T, 0, false);
        assertThat(first.force()).as("the bug: nothing forced").isFalse();
        assertThat(first.messages()).as("the bug: the OK leaves anyway").containsKey(1);
    }

    @Test
    @DisplayName("an operation still unstamped when its client gives up is taken back and never applied")
    void withdrawnBeforeStampingNeverApplies() {
        Node one = Node.fresh(1, TWO, Set.of(), Node.Observer.NONE);
        Disk d1 = new Disk();
        one.submit(op("set x 1"), 7, 1);
        round(one, d1, false);                               // stamped; waits for replica 2's OK
        long second = one.submit(op("set x 2"), 8, 1);
        Ready held = round(one, d1, false);
        assertThat(held.messages()).as("Admission: it waits for the node's own pending request").isEmpty();
        assertThat(one.unstampedCount()).isEqualTo(1);
        assertThat(one.withdraw(second)).isEqualTo(Node.Withdrawal.NOT_STAMPED);
        assertThat(one.unstampedCount()).isZero();
        assertThat(one.withdraw(second)).as("gone").isEqualTo(Node.Withdrawal.UNKNOWN);
    }

    @Test
    @DisplayName("requests carry the cluster's time: the lower median of the clocks, not the origin's own")
    void requestsCarryTheClusterTime() {
        Node one = Node.fresh(1, new Agreement(List.of(1, 2, 3), 3_600_000), Set.of(), Node.Observer.NONE);
        assertThat(one.clusterTime(T + 7_200_000, 0)).as("alone it knows no majority of clocks")
                .isEqualTo(ClusterTime.UNKNOWN);
        one.peerTime(2, T, 0);
        one.peerTime(3, T + 5, 0);
        assertThat(one.clusterTime(T + 7_200_000, 100)).as("its own clock two hours ahead does not count")
                .isEqualTo(T + 105);
        for (Set<Flaw> flaws : List.of(Set.<Flaw>of(), EnumSet.of(Flaw.EXPIRY_BY_ORIGIN_CLOCK))) {
            Node two = Node.fresh(1, TWO, flaws, Node.Observer.NONE);
            two.peerTime(2, T, 0);
            two.submit(op("set x 1"), 7, 1);
            Ready ready = two.ready(T + 7_200_000, 0, false);
            PeerMessage.RequestMsg request = (PeerMessage.RequestMsg) ready.messages().get(2).get(0).message();
            assertThat(request.request().client().wallMillis()).as("stamped with flaws %s", flaws)
                    .isEqualTo(flaws.isEmpty() ? T : T + 7_200_000);     // the bug: the origin's own clock
            two.committed(ready);
        }
    }

    @Test
    @DisplayName("the owner must commit a round before the next ends, and snapshot only a forced state")
    void roundsAreHandedOutOneAtATime() {
        Node one = Node.fresh(1, TWO, Set.of(), Node.Observer.NONE);
        Ready first = one.ready(T, 0, false);
        assertThatThrownBy(() -> one.ready(T, 0, false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not committed");
        assertThatThrownBy(one::snapshot).isInstanceOf(IllegalStateException.class);
        one.committed(first);
        round(one, new Disk(), true);
        assertThat(one.snapshot()).isNotEmpty();
    }
}
