package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.PeerMessage;
import lamportkv.core.Request;
import lamportkv.core.Result;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit on real replicas, with real disks and RMI: a message reaches its peer only after
 * the force of the round that made it, and a client hears of its operation only after it executed
 * and after the force of the round that stamped it (PROTOCOL.md's one permitted early answer: not
 * necessarily after the force of the round that executed it). Each replica counts its forces;
 * every send and every execution notes the count at the time, and the receiver and the client
 * check that it has grown since.
 */
class GroupCommitTest {
    private static final int REPLICAS = 3;
    private static final int CLIENTS_PER_REPLICA = 3;
    private static final int OPS_PER_CLIENT = 40;

    @TempDir
    Path dir;

    private final Map<Integer, AtomicLong> forces = new ConcurrentHashMap<>();
    /** "from>to#seq" to the sender's force count when it sent that message. */
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    /** A key written by one client operation to its origin's force count when it executed. */
    private final Map<String, Long> executedAt = new ConcurrentHashMap<>();
    /** The same key to its origin's force count when its REQUEST was first numbered (the stamping round). */
    private final Map<String, Long> stampedAt = new ConcurrentHashMap<>();
    private final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private final AtomicLong messagesChecked = new AtomicLong();

    private ReplicaListener watcher(int self) {
        AtomicLong mine = forces.computeIfAbsent(self, id -> new AtomicLong());
        return new ReplicaListener() {
            @Override
            public void forced(long nanos) {
                mine.incrementAndGet();
            }

            @Override
            public void sent(int to, long linkSeq, PeerMessage message) {
                sentAt.put(self + ">" + to + "#" + linkSeq, mine.get());
                if (message instanceof PeerMessage.RequestMsg r && r.request().op().key().isPresent()) {
                    stampedAt.putIfAbsent(r.request().op().key().get(), mine.get());
                }
            }

            @Override
            public void received(int from, long linkSeq, PeerMessage message, long clock) {
                Long before = sentAt.get(from + ">" + self + "#" + linkSeq);
                long now = forces.get(from).get();
                if (before == null || now <= before) {
                    violations.add("message " + linkSeq + " from " + from + " to " + self + " arrived before "
                            + from + "'s force (forces then " + before + ", now " + now + ")");
                }
                messagesChecked.incrementAndGet();
            }

            @Override
            public void applied(Request request, Result result) {
                if (request.id().origin() == self && request.op().key().isPresent()) {
                    executedAt.put(request.op().key().get(), mine.get());
                }
            }
        };
    }

    @Test
    void messagesLeaveAfterTheirForceAndClientsHearOnlyAfterTheStampingForce() throws Exception {
        try (LocalCluster cluster = LocalCluster.create(REPLICAS, dir)) {
            for (int id = 1; id <= REPLICAS; id++) {
                forces.put(id, new AtomicLong());
            }
            for (int id = 1; id <= REPLICAS; id++) {
                cluster.start(id).addListener(watcher(id));
            }
            cluster.awaitWorking();
            ExecutorService pool = Executors.newFixedThreadPool(REPLICAS * CLIENTS_PER_REPLICA);
            List<Future<?>> clients = new ArrayList<>();
            for (int id = 1; id <= REPLICAS; id++) {
                for (int c = 0; c < CLIENTS_PER_REPLICA; c++) {
                    int replica = id;
                    int client = id * 10 + c;
                    clients.add(pool.submit(() -> {
                        ReplicaService service = service(cluster, replica);
                        for (int i = 1; i <= OPS_PER_CLIENT; i++) {
                            String key = "c" + client + "-" + i;
                            Reply reply = service.execute(Command.of(client, i, List.of("set", key, "1"), 10_000));
                            long now = forces.get(replica).get();
                            Long stamped = stampedAt.get(key);
                            if (!reply.ok() || executedAt.get(key) == null || stamped == null || now <= stamped) {
                                violations.add("client " + client + " heard of " + key + " (" + reply + ") before "
                                        + replica + "'s stamping force (forces at stamping " + stamped + ", now " + now
                                        + "), or before it executed there");
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : clients) {
                f.get();
            }
            pool.shutdown();
            assertThat(violations).isEmpty();
            assertThat(executedAt).hasSize(REPLICAS * CLIENTS_PER_REPLICA * OPS_PER_CLIENT);
            assertThat(messagesChecked.get()).as("messages checked").isGreaterThan(REPLICAS * CLIENTS_PER_REPLICA * OPS_PER_CLIENT);
        }
    }

    private static ReplicaService service(LocalCluster cluster, int id) throws Exception {
        ReplicaAddress a = cluster.config().replica(id);
        return Rmi.replicaService(a.host(), a.port());
    }
}
