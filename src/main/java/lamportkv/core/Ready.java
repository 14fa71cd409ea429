package lamportkv.core;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import lamportkv.core.ReplicaCore.Outgoing;

/**
 * What one round of a {@link Node} asks its owner to do, in this order (etcd raft's {@code Ready}):
 *
 * <ol>
 *   <li>append {@link #records} to the log;</li>
 *   <li>give the {@link #earlyAnswers} to their clients (they need no force of this round);</li>
 *   <li>if {@link #force}, force the log — every record appended so far, this round's and earlier
 *       ones', becomes durable;</li>
 *   <li>tell the node {@link Node#committed} (only if the first two steps succeeded; otherwise
 *       stop: nothing of the round may leave);</li>
 *   <li>hand {@link #messages} to the links, each peer's in the order given;</li>
 *   <li>hand {@link #viewMessages} to the links too (they need no order);</li>
 *   <li>give the {@link #answers} and {@link #refusals} to the clients waiting for them.</li>
 * </ol>
 *
 * <p>When {@code force} is false, nothing leaves that depends on an unforced record: the round
 * only took messages in (an APPLY, a first OK) and its records wait for the next round that sends.
 *
 * @param records       journal records, to append in order
 * @param force         whether to force the log before anything below leaves
 * @param messages      per peer, numbered messages for its link (after a restart: first the backlog)
 * @param earlyAnswers  clients to answer before the force: operations that executed on an OK and
 *                      whose stamping record an earlier round forced (PROTOCOL.md, "one permitted
 *                      early answer"); only when {@code force} is true, else they are in {@code answers}
 * @param answers       clients to answer after the force, by the token {@link Node#submit} gave them
 * @param heldWhenReady per peer, the highest link number taken in by the end of this round: durable
 *                      once the force is done
 * @param viewNumber    the view the round ended in: its {@code messages} belong to that incarnation
 *                      of every link (a new view starts every link again, numbered from 1)
 * @param viewMessages  per replica, view messages (rules V2-V7), to send like the others: after the force
 * @param refusals      clients this replica cannot serve (rule V1), to answer like the others
 */
public record Ready(List<byte[]> records, boolean force, Map<Integer, List<Outgoing>> messages,
                    List<Node.Answer> earlyAnswers, List<Node.Answer> answers, Map<Integer, Long> heldWhenReady, long viewNumber,
                    Map<Integer, List<ViewMessage>> viewMessages, List<Node.Refusal> refusals) {

    public Ready {
        records = List.copyOf(records);
        // Sorted by peer, not Map.copyOf: its iteration order changes from run to run, and the
        // simulation must replay a seed exactly.
        messages = Collections.unmodifiableSortedMap(new TreeMap<>(messages));
        earlyAnswers = earlyAnswers.isEmpty() ? List.of() : List.copyOf(earlyAnswers);
        answers = List.copyOf(answers);
        heldWhenReady = Collections.unmodifiableSortedMap(new TreeMap<>(heldWhenReady));
        if (viewMessages.isEmpty()) {
            viewMessages = Collections.emptySortedMap();      // nearly every round: no view message
        } else {
            TreeMap<Integer, List<ViewMessage>> views = new TreeMap<>();
            viewMessages.forEach((to, list) -> views.put(to, List.copyOf(list)));
            viewMessages = Collections.unmodifiableSortedMap(views);
        }
        refusals = List.copyOf(refusals);
    }

    /** Every answer of the round, early ones first. */
    public List<Node.Answer> allAnswers() {
        if (earlyAnswers.isEmpty()) {
            return answers;
        }
        List<Node.Answer> all = new java.util.ArrayList<>(earlyAnswers);
        all.addAll(answers);
        return all;
    }

    /** Whether anything leaves the replica in this round (a message or an answer). */
    public boolean leaves() {
        return !messages.isEmpty() || !earlyAnswers.isEmpty() || !answers.isEmpty() || !viewMessages.isEmpty() || !refusals.isEmpty();
    }
}
