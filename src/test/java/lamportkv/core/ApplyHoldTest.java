package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lamportkv.core.ReplicaCore.Outgoing;
import org.junit.jupiter.api.Test;

class ApplyHoldTest {
    private static Outgoing apply(long seq) {
        return new Outgoing(seq, new PeerMessage.ApplyMsg(new RequestId(seq, 1), seq, Result.ok("OK")));
    }

    private static Outgoing ok(long seq) {
        return new Outgoing(seq, new PeerMessage.OkMsg(new RequestId(seq, 2), seq));
    }

    private static List<Long> seqs(List<Outgoing> messages) {
        return messages.stream().map(Outgoing::seq).toList();
    }

    @Test
    void appliesAloneWaitForTheRoundThatIsWaitingAndLeaveWithWhatItSends() {
        ApplyHold hold = new ApplyHold(true);
        assertThat(hold.leaving(Map.of(2, List.of(apply(1)), 3, List.of(apply(1))), true)).isEmpty();
        assertThat(hold.keeping()).isTrue();
        // The next round sends an OK to peer 2 only: the APPLYs go with it, and alone to peer 3.
        Map<Integer, List<Outgoing>> next = hold.leaving(Map.of(2, List.of(ok(2))), true);
        assertThat(next.keySet()).containsExactly(2, 3);
        assertThat(seqs(next.get(2))).as("kept first, in number order").containsExactly(1L, 2L);
        assertThat(seqs(next.get(3))).containsExactly(1L);
        assertThat(hold.keeping()).isFalse();
    }

    @Test
    void keptForOneRoundOnlyEvenIfThatRoundSendsOnlyAppliesToo() {
        ApplyHold hold = new ApplyHold(true);
        assertThat(hold.leaving(Map.of(2, List.of(apply(1))), true)).isEmpty();
        Map<Integer, List<Outgoing>> next = hold.leaving(Map.of(2, List.of(apply(2))), true);
        assertThat(seqs(next.get(2))).containsExactly(1L, 2L);
        assertThat(hold.keeping()).isFalse();
    }

    @Test
    void nothingIsKeptWhenNoRoundIsWaitingNorWhenARequestOrOkGoesToo() {
        ApplyHold hold = new ApplyHold(true);
        assertThat(seqs(hold.leaving(Map.of(2, List.of(apply(1))), false).get(2))).containsExactly(1L);
        assertThat(seqs(hold.leaving(Map.of(2, List.of(apply(2), ok(3))), true).get(2))).containsExactly(2L, 3L);
        assertThat(hold.keeping()).isFalse();
    }

    @Test
    void aRoundWithNothingForThePeerStillLetsWhatWasKeptGo() {
        ApplyHold hold = new ApplyHold(true);
        hold.leaving(Map.of(2, List.of(apply(1))), true);
        assertThat(seqs(hold.leaving(Map.of(), true).get(2))).containsExactly(1L);
        assertThat(hold.leaving(Map.of(), false)).isEmpty();
    }

    @Test
    void aViewChangeDropsWhatWasKept() {
        ApplyHold hold = new ApplyHold(true);
        hold.leaving(Map.of(2, List.of(apply(7))), true);
        hold.drop();
        assertThat(hold.keeping()).isFalse();
        assertThat(seqs(hold.leaving(Map.of(2, List.of(ok(1))), false).get(2))).containsExactly(1L);
    }

    @Test
    void offItHandsOnEveryRoundAsItIs() {
        ApplyHold hold = new ApplyHold(false);
        Map<Integer, List<Outgoing>> round = Map.of(2, List.of(apply(1)));
        assertThat(hold.leaving(round, true)).isSameAs(round);
        assertThat(hold.keeping()).isFalse();
    }

    @Test
    void theUnboundedVariantKeepsThemUntilSomethingElseGoes() {
        ApplyHold broken = new ApplyHold(true, EnumSet.of(Flaw.HOLD_APPLIES_UNBOUNDED));
        broken.leaving(Map.of(2, List.of(apply(1))), true);
        assertThat(broken.leaving(Map.of(), false)).as("no round waiting, and still kept").isEmpty();
        assertThat(broken.leaving(Map.of(2, List.of(apply(2))), false)).isEmpty();
        assertThat(seqs(broken.leaving(Map.of(2, List.of(ok(3))), false).get(2))).containsExactly(1L, 2L, 3L);
        assertThat(new ApplyHold(true, Set.of()).leaving(Map.of(2, List.of(apply(1))), false)).hasSize(1);
    }
}
