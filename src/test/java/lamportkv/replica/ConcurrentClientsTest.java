package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import lamportkv.check.CheckResult;
import lamportkv.check.DistinctAdds;
import lamportkv.check.History;
import lamportkv.check.LinearizabilityChecker;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.Operation;
import lamportkv.core.RequestId;
import lamportkv.core.Result;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;
import lamportkv.rmi.StateHash;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real replicas over real RMI, several client threads on every replica issuing a random mix of
 * every operation at once. Afterwards every replica applied the same requests in the same order,
 * holds the same data, every {@code add} on the shared counter returned a distinct value, and the
 * history of invocations and results is linearizable.
 */
class ConcurrentClientsTest {
    private static final int THREADS_PER_REPLICA = 3;
    private static final int OPS_PER_THREAD = 120;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} replicas")
    @ValueSource(ints = {3, 5})
    void concurrentClientsOnEveryReplicaSeeOneLinearizableOrder(int replicas) throws Exception {
        try (LocalCluster cluster = LocalCluster.start(replicas, dir)) {
            Map<Integer, List<RequestId>> applyOrder = new TreeMap<>();
            for (int id : cluster.ids()) {
                List<RequestId> order = new CopyOnWriteArrayList<>();
                applyOrder.put(id, order);
                cluster.replica(id).addListener((request, result) -> order.add(request.id()));
            }
            History history = new History(System::nanoTime);
            ReplicaService first = service(cluster, 1);
            History.Call setup = history.invoke(0, Operation.parse(List.of("set", "counter", "0")));
            Reply created = first.execute(Command.of(1, 1, List.of("set", "counter", "0"), 30_000));
            assertThat(created.ok()).isTrue();
            setup.complete(Result.ok(created.text()));

            List<Throwable> failures = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            int process = 0;
            for (int id : cluster.ids()) {
                for (int t = 0; t < THREADS_PER_REPLICA; t++) {
                    int me = ++process;
                    ReplicaService service = service(cluster, id);
                    Thread thread = new Thread(() -> {
                        try {
                            runClient(me, service, history);
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    });
                    threads.add(thread);
                }
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(120_000);
            }
            assertThat(failures).isEmpty();

            // Every replica applied the same requests in the same order, and holds the same data.
            awaitAllApplied(cluster, applyOrder, replicas * THREADS_PER_REPLICA * OPS_PER_THREAD + 1);
            List<RequestId> reference = applyOrder.get(1);
            for (int id : cluster.ids()) {
                assertThat(applyOrder.get(id)).as("apply order at replica %d", id).isEqualTo(reference);
            }
            StateHash hash = first.hash();
            for (int id : cluster.ids()) {
                assertThat(service(cluster, id).hash()).as("replica %d", id).isEqualTo(hash);
            }

            CheckResult distinct = DistinctAdds.check(history.entries(), "counter");
            assertThat(distinct.ok()).as(distinct.toString()).isTrue();
            CheckResult linearizable = LinearizabilityChecker.check(history.entries());
            assertThat(linearizable.ok()).as(linearizable.toString()).isTrue();
        }
    }

    private static void runClient(int me, ReplicaService service, History history) throws Exception {
        Random random = new Random(me);
        for (int seq = 1; seq <= OPS_PER_THREAD; seq++) {
            List<String> words = randomCommand(random);
            History.Call call = history.invoke(me, Operation.parse(words));
            Reply reply = service.execute(Command.of(1000 + me, seq, words, 30_000));
            switch (reply.status()) {
                case OK -> call.complete(Result.ok(reply.text()));
                case FAILED -> call.complete(Result.error(reply.text()));
                default -> throw new AssertionError("unexpected reply to " + words + ": " + reply);
            }
        }
    }

    private static List<String> randomCommand(Random random) {
        String key = random.nextBoolean() ? "a" : "b";
        return switch (random.nextInt(12)) {
            case 0, 1, 2 -> List.of("add", "counter", String.valueOf(1 + random.nextInt(3)));
            case 3 -> List.of("get", "counter");
            case 4 -> List.of("set", key, String.valueOf(random.nextInt(10)));
            case 5 -> List.of("set", key, "text" + random.nextInt(3));
            case 6 -> List.of("add", key, String.valueOf(random.nextInt(5)));
            case 7 -> List.of("mult", key, random.nextBoolean() ? "2" : "0.5");
            case 8 -> List.of("del", key);
            case 9 -> List.of("keys");
            default -> List.of("get", key);
        };
    }

    private static void awaitAllApplied(LocalCluster cluster, Map<Integer, List<RequestId>> order, int expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        for (int id : cluster.ids()) {
            while (order.get(id).size() < expected && System.nanoTime() < deadline) {
                Thread.sleep(20);   // APPLY reaches the other replicas just after the origin answered
            }
            assertThat(order.get(id)).as("replica %d applied", id).hasSize(expected);
        }
    }

    private static ReplicaService service(LocalCluster cluster, int id) throws Exception {
        ReplicaAddress a = cluster.config().replica(id);
        return Rmi.replicaService(a.host(), a.port());
    }
}
