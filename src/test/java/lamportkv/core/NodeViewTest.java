package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Views on three {@link Node}s wired by hand: each rule seen in the Ready that carries it out. */
class NodeViewTest {
    private static final Agreement AGREEMENT = new Agreement(List.of(1, 2, 3), 3_600_000);

    /** Three nodes; messages go only between the live ones, round by round, FIFO per link. */
    private static final class Wire {
        final Map<Integer, Node> nodes = new TreeMap<>();
        final Set<Integer> live = new java.util.TreeSet<>(Set.of(1, 2, 3));
        final Map<Long, Node.Answer> answers = new TreeMap<>();
        final List<Node.Refusal> refusals = new ArrayList<>();
        final List<Ready> readies = new ArrayList<>();
        long now = 1;

        Wire(boolean emptyDisks) {
            for (int id = 1; id <= 3; id++) {
                nodes.put(id, emptyDisks ? Node.empty(id, AGREEMENT, 100 + id, Set.of(), Node.Observer.NONE)
                        : Node.fresh(id, AGREEMENT, Set.of(), Node.Observer.NONE));
            }
        }

        /** Every live node ends a round; what leaves is delivered to the live ones; until quiet. */
        void settle() {
            for (int pass = 0; pass < 50; pass++) {
                boolean any = false;
                for (int id : List.copyOf(live)) {
                    Node n = nodes.get(id);
                    Ready r = n.ready(now, now, false);
                    n.committed(r);
                    readies.add(r);
                    r.allAnswers().forEach(a -> answers.put(a.token(), a));
                    refusals.addAll(r.refusals());
                    for (var e : r.messages().entrySet()) {
                        if (live.contains(e.getKey()) && !e.getValue().isEmpty()) {
                            Node to = nodes.get(e.getKey());
                            to.receive(id, r.viewNumber(), e.getValue().get(0).seq(),
                                    e.getValue().stream().map(ReplicaCore.Outgoing::message).toList());
                            to.confirmed(id, to.durableFrom(id));
                            any = true;
                        }
                    }
                    for (var e : r.viewMessages().entrySet()) {
                        if (live.contains(e.getKey())) {
                            e.getValue().forEach(m -> nodes.get(e.getKey()).viewMessage(id, m));
                            any = true;
                        }
                    }
                }
                if (!any) {
                    return;
                }
            }
        }

        void timers() {
            for (int id : live) {
                Set<Integer> heard = new java.util.TreeSet<>(live);
                heard.remove(id);
                nodes.get(id).viewTimer(heard, 7);
            }
            settle();
        }
    }

    @Test
    @DisplayName("a replica stops hearing from one: the other two install a view without it, and the operation that waited for it completes")
    void aSilentMemberIsExcluded() {
        Wire w = new Wire(false);
        long token = w.nodes.get(1).submit(new Operation.Set("x", new Value.Num(BigDecimal.ONE)), 9, 1);
        w.live.remove(3);                       // replica 3 dies before it answers
        w.settle();
        assertThat(w.answers).as("waits for replica 3's OK").isEmpty();
        w.timers();
        assertThat(w.nodes.get(1).membership().view()).isEqualTo(new View(1, List.of(1, 2)));
        assertThat(w.nodes.get(2).membership().view()).isEqualTo(new View(1, List.of(1, 2)));
        assertThat(w.answers.get(token).result()).isEqualTo(Result.ok("OK"));
        assertThat(w.nodes.get(2).core().state().data()).containsKey("x");
        // Every round whose view messages left had forced first (acceptor state is durable before it answers).
        assertThat(w.readies).filteredOn(r -> !r.viewMessages().isEmpty()).allMatch(Ready::force);
    }

    @Test
    @DisplayName("while a view changes, a replica takes no operation: it refuses it, certainly not applied, to be retried elsewhere")
    void changingReplicasRefuse() {
        Wire w = new Wire(false);
        w.live.remove(3);
        w.nodes.get(1).viewTimer(Set.of(2), 7);         // replica 1 proposes: it stops, promising itself
        assertThat(w.nodes.get(1).membership().condition()).isEqualTo(Membership.Condition.CHANGING);
        long token = w.nodes.get(1).submit(new Operation.Get("x"), 9, 1);
        Ready r = w.nodes.get(1).ready(1, 1, false);
        w.nodes.get(1).committed(r);
        assertThat(r.refusals()).singleElement().satisfies(refusal -> {
            assertThat(refusal.token()).isEqualTo(token);
            assertThat(refusal.mayBeApplied()).isFalse();
            assertThat(refusal.why()).contains("replica 1 is changing views");
        });
    }

    @Test
    @DisplayName("a brand-new cluster of empty disks proves itself new and serves; one of them on an empty disk again does not vote until it is added back with the state")
    void emptyDisks() {
        Wire w = new Wire(true);
        assertThat(w.nodes.get(1).membership().condition()).isEqualTo(Membership.Condition.UNPROVEN);
        w.timers();
        for (Node n : w.nodes.values()) {
            assertThat(n.membership().condition()).isEqualTo(Membership.Condition.MEMBER);
        }
        long token = w.nodes.get(2).submit(new Operation.Set("k", new Value.Text("v")), 9, 1);
        w.settle();
        assertThat(w.answers).containsKey(token);
        // Replica 3 loses its disk and starts again, empty, with a new incarnation.
        w.nodes.put(3, Node.empty(3, AGREEMENT, 999, Set.of(), Node.Observer.NONE));
        w.timers();
        assertThat(w.nodes.get(3).membership().voter()).as("its promises are gone: no vote").isFalse();
        for (int i = 0; i < 6 && w.nodes.get(3).membership().condition() != Membership.Condition.MEMBER; i++) {
            w.timers();
        }
        Node three = w.nodes.get(3);
        assertThat(three.membership().condition()).isEqualTo(Membership.Condition.MEMBER);
        assertThat(three.membership().voter()).as("added again, with the state").isTrue();
        assertThat(three.core().state().data()).containsEntry("k", new Value.Text("v"));
        assertThat(three.core().state().digest()).isEqualTo(w.nodes.get(1).core().state().digest());
    }
}
