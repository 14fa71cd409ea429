package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Recovery by replay: a snapshot plus the journal records written after it must rebuild exactly
 * the state a replica had, down to the byte, and a restored replica must carry on the protocol.
 */
class ReplicaCoreRecoveryTest {
    private static final List<Integer> MEMBERS = List.of(1, 2, 3);
    private static final long EXPIRY = StateMachine.DEFAULT_CLIENT_EXPIRY_MILLIS;

    /** A replica under test with everything it journaled and sent. */
    private static final class Node implements ReplicaCore.Output {
        final List<byte[]> journal = new ArrayList<>();
        final Map<Integer, List<ReplicaCore.Outgoing>> sent = new TreeMap<>();
        final List<Result> answers = new ArrayList<>();
        ReplicaCore core;

        @Override
        public void record(byte[] record) {
            journal.add(record);
        }

        @Override
        public void send(int to, long seq, PeerMessage message) {
            sent.computeIfAbsent(to, k -> new ArrayList<>()).add(new ReplicaCore.Outgoing(seq, message));
        }

        @Override
        public void executed(long clientToken, Request request, Result result) {
            answers.add(result);
        }
    }

    @Test
    void snapshotPlusLaterRecordsRebuildTheExactState() {
        for (long seed = 1; seed <= 200; seed++) {
            Random random = new Random(seed);
            Map<Integer, Node> nodes = new TreeMap<>();
            for (int id : MEMBERS) {
                Node n = new Node();
                n.core = new ReplicaCore(id, MEMBERS, EXPIRY, n);
                nodes.put(id, n);
            }
            Map<Integer, byte[]> snapshots = new TreeMap<>();
            Map<Integer, Integer> journalAtSnapshot = new TreeMap<>();
            Map<String, Long> delivered = new TreeMap<>();
            for (int step = 0; step < 300; step++) {
                int id = 1 + random.nextInt(3);
                Node n = nodes.get(id);
                int choice = random.nextInt(10);
                if (choice < 3) {
                    n.core.clientOperation(randomOp(random), new ClientTag(id * 100L + random.nextInt(3), step, step), step);
                } else if (choice == 3) {
                    n.core.tick();
                } else if (choice == 4 && !snapshots.containsKey(id)) {
                    snapshots.put(id, n.core.snapshot());
                    journalAtSnapshot.put(id, n.journal.size());
                } else {
                    deliverOne(random, nodes, delivered);
                }
                if (random.nextInt(20) == 0) {
                    int check = 1 + random.nextInt(3);
                    assertRebuilds(nodes.get(check), snapshots.get(check), journalAtSnapshot.getOrDefault(check, 0), seed);
                }
            }
            for (int id : MEMBERS) {
                assertRebuilds(nodes.get(id), snapshots.get(id), journalAtSnapshot.getOrDefault(id, 0), seed);
            }
        }
    }

    @Test
    void aRestoredReplicaCarriesOnAndRetriesApplyOnce() {
        Map<Integer, Node> nodes = new TreeMap<>();
        for (int id : MEMBERS) {
            Node n = new Node();
            n.core = new ReplicaCore(id, MEMBERS, EXPIRY, n);
            nodes.put(id, n);
        }
        Map<String, Long> delivered = new TreeMap<>();
        nodes.get(1).core.clientOperation(new Operation.Set("c", new Value.Num(BigDecimal.ZERO)), new ClientTag(9, 1, 0), 1);
        drain(nodes, delivered);
        // Client 9's add reaches replica 2, which crashes after journaling it and before answering.
        nodes.get(2).core.clientOperation(new Operation.Add("c", BigDecimal.ONE), new ClientTag(9, 2, 5), 2);
        Node crashed = nodes.get(2);
        Node restarted = new Node();
        restarted.core = new ReplicaCore(2, MEMBERS, EXPIRY, restarted);
        for (byte[] record : crashed.journal) {
            restarted.core.replay(record);
        }
        // Its messages are re-sent from the unconfirmed queue; the client retries the same add at replica 3.
        restarted.sent.put(1, restarted.core.unconfirmed(1));
        restarted.sent.put(3, restarted.core.unconfirmed(3));
        nodes.put(2, restarted);
        nodes.get(3).core.clientOperation(new Operation.Add("c", BigDecimal.ONE), new ClientTag(9, 2, 6), 3);
        drain(nodes, delivered);

        for (Node n : nodes.values()) {
            assertThat(n.core.state().data()).containsEntry("c", new Value.Num(BigDecimal.ONE));
            assertThat(n.core.state().bufferLength()).isZero();
        }
        assertThat(nodes.get(3).answers).containsExactly(Result.ok("1"));
        assertThat(nodes.get(1).core.state().digest()).isEqualTo(nodes.get(2).core.state().digest());
    }

    private static void assertRebuilds(Node node, byte[] snapshot, int from, long seed) {
        ReplicaCore rebuilt = snapshot == null
                ? new ReplicaCore(node.core.self(), MEMBERS, EXPIRY, new Node())
                : ReplicaCore.restore(snapshot, EXPIRY, new Node());
        for (byte[] record : node.journal.subList(from, node.journal.size())) {
            rebuilt.replay(record);
        }
        assertThat(rebuilt.snapshot()).as("seed %d, replica %d", seed, node.core.self()).isEqualTo(node.core.snapshot());
    }

    /** Delivers the next message of a random link that has one (FIFO). */
    private static void deliverOne(Random random, Map<Integer, Node> nodes, Map<String, Long> delivered) {
        List<int[]> ready = new ArrayList<>();
        for (Node from : nodes.values()) {
            for (Map.Entry<Integer, List<ReplicaCore.Outgoing>> e : from.sent.entrySet()) {
                long next = delivered.getOrDefault(from.core.self() + ">" + e.getKey(), 0L);
                if (next < e.getValue().size()) {
                    ready.add(new int[] {from.core.self(), e.getKey()});
                }
            }
        }
        if (ready.isEmpty()) {
            return;
        }
        int[] link = ready.get(random.nextInt(ready.size()));
        deliver(nodes, delivered, link[0], link[1]);
    }

    private static void deliver(Map<Integer, Node> nodes, Map<String, Long> delivered, int from, int to) {
        String key = from + ">" + to;
        long index = delivered.getOrDefault(key, 0L);
        ReplicaCore.Outgoing m = nodes.get(from).sent.get(to).get((int) index);
        delivered.put(key, index + 1);
        ReplicaCore.Receipt receipt = nodes.get(to).core.received(from, m.seq(), m.message());
        assertThat(receipt).isIn(ReplicaCore.Receipt.ACCEPTED, ReplicaCore.Receipt.DUPLICATE);
    }

    private static void drain(Map<Integer, Node> nodes, Map<String, Long> delivered) {
        boolean any = true;
        while (any) {
            any = false;
            for (Node from : nodes.values()) {
                for (Map.Entry<Integer, List<ReplicaCore.Outgoing>> e : new TreeMap<>(from.sent).entrySet()) {
                    String key = from.core.self() + ">" + e.getKey();
                    while (delivered.getOrDefault(key, 0L) < e.getValue().size()) {
                        deliver(nodes, delivered, from.core.self(), e.getKey());
                        any = true;
                    }
                }
            }
        }
    }

    private static Operation randomOp(Random random) {
        String key = "k" + random.nextInt(3);
        return switch (random.nextInt(6)) {
            case 0 -> new Operation.Set(key, Value.parse(random.nextBoolean() ? String.valueOf(random.nextInt(9)) : "t"));
            case 1 -> new Operation.Add(key, BigDecimal.valueOf(random.nextInt(5)));
            case 2 -> new Operation.Mult(key, BigDecimal.valueOf(2));
            case 3 -> new Operation.Del(key);
            case 4 -> new Operation.Keys();
            default -> new Operation.Get(key);
        };
    }
}
