package lamportkv.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Views (PROTOCOL.md, "Views") across a real network partition: three replicas as real JVMs,
 * each in its own network namespace on one bridge ({@link NetnsTopology}, as {@link NetnsClusterIT}),
 * and one of them cut off by taking its link down, so that packets vanish rather than being
 * refused. The majority keeps serving, the cut-off replica answers no client (not even one in
 * its own namespace, which still reaches it), and after the link is back it rejoins with the
 * state; a client connected to the replica that is cut off fails over and completes. Every add
 * the clients were told about is in the counter exactly once.
 *
 * <p>Alone: {@code mvn verify -Dit.test=ViewPartitionIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false}
 */
class ViewPartitionIT {
    private static final int REPLICAS = 3;
    private static final int PORT = 7101;
    private static final int CLIENT_TIMEOUT_SECONDS = 30;
    private static final int PROGRESS = 30;
    private static final Duration WARM_UP_WITHIN = Duration.ofSeconds(60);

    @TempDir
    Path dir;


    @Test
    @Timeout(300)
    @DisplayName("one replica cut off under load: the majority goes on, the cut-off one answers nothing, healed it rejoins")
    void cutOffReplicaAnswersNothingThenRejoins() throws Exception {
        try (NetnsTopology net = NetnsTopology.create(REPLICAS);
             ProcessCluster cluster = started(net);
             CounterLoad load = CounterLoad.start(cluster, CounterLoad.spread(4, List.of(1, 2)), CLIENT_TIMEOUT_SECONDS)) {
            load.awaitProgress(PROGRESS, WARM_UP_WITHIN, "before the partition");
            cluster.note(load.acked() + " adds acknowledged; cutting replica 3 off");

            net.cut(3);
            ProcessCluster.ClientRun inside;
            ProcessCluster.ClientRun outside;
            ViewStatus.View without;
            Duration resumed;
            try {
                resumed = load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "after replica 3 was cut off");
                without = ViewStatus.awaitMembers(cluster, List.of(1, 2), Set.of(1, 2), ViewStatus.VIEW_CHANGE_WITHIN,
                        "replica 3 is cut off");
                cluster.note("view " + without + " on replicas 1 and 2");
                // A client beside replica 3, in its namespace, still reaches it: it must not be answered.
                inside = cluster.clientVia(net.exec(3), List.of("--connect", cluster.address(3), "--timeout", "6",
                        "get", CounterLoad.KEY), "", Duration.ofSeconds(60));
                outside = cluster.on(3, 6, "get", CounterLoad.KEY);
                cluster.note("replica 3 to a client in its namespace: " + inside + "; to one outside: " + outside);
            } finally {
                net.heal(3);
                cluster.note("healed replica 3's link");
            }
            assertThat(inside.exitCode()).as("a read on the cut-off replica 3, from its namespace: %s", inside).isEqualTo(1);
            assertThat(inside.out()).as("the cut-off replica 3 answered: %s", inside).isEmpty();
            assertThat(inside.err()).as("why the cut-off replica 3 did not answer").contains(ViewStatus.NO_WORKING_VIEW);
            assertThat(outside.exitCode()).as("a read on the cut-off replica 3, from outside: %s", outside).isEqualTo(1);
            assertThat(outside.out()).isEmpty();

            ViewStatus.View with = ViewStatus.awaitMembers(cluster, List.of(1, 2, 3), Set.of(1, 2, 3),
                    ViewStatus.REJOIN_WITHIN, "replica 3's link is back");
            cluster.note("view " + with + " on every replica");
            assertThat(with.number()).as("view numbers only grow").isGreaterThan(without.number());
            load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN, "after replica 3 rejoined");

            CounterLoad.Summary summary = load.finish(cluster, 1, List.of(1, 2, 3));
            summary.assertNoAddSlowerThan(ViewStatus.VIEW_CHANGE_WITHIN);
            System.out.printf("cut off: adds resumed %.1f s after the cut; views %s then %s; %s%n",
                    resumed.toMillis() / 1000.0, without, with, summary);
        }
    }

    @Test
    @Timeout(300)
    @DisplayName("the replica a client is connected to is cut off: the client fails over and completes")
    void clientOfCutReplicaFailsOver() throws Exception {
        try (NetnsTopology net = NetnsTopology.create(REPLICAS);
             ProcessCluster cluster = started(net);
             CounterLoad load = CounterLoad.start(cluster, CounterLoad.spread(2, List.of(3)), CLIENT_TIMEOUT_SECONDS)) {
            load.awaitProgress(PROGRESS, WARM_UP_WITHIN, "on replica 3 before the partition");
            cluster.note(load.acked() + " adds acknowledged by replica 3; cutting it off");

            net.cut(3);
            Duration resumed;
            try {
                resumed = load.awaitProgress(PROGRESS, ViewStatus.VIEW_CHANGE_WITHIN,
                        "by the clients of replica 3 after it was cut off");
                cluster.note("the clients of replica 3 go on elsewhere: " + load.acked() + " acknowledged");
                ViewStatus.awaitMembers(cluster, List.of(1, 2), Set.of(1, 2), ViewStatus.VIEW_CHANGE_WITHIN,
                        "replica 3 is cut off");
            } finally {
                net.heal(3);
                cluster.note("healed replica 3's link");
            }
            ViewStatus.View with = ViewStatus.awaitMembers(cluster, List.of(1, 2, 3), Set.of(1, 2, 3),
                    ViewStatus.REJOIN_WITHIN, "replica 3's link is back");
            cluster.note("view " + with + " on every replica");

            CounterLoad.Summary summary = load.finish(cluster, 1, List.of(1, 2, 3));
            summary.assertNoAddSlowerThan(ViewStatus.VIEW_CHANGE_WITHIN);
            assertThat(summary.retryNotices()).as("the clients moved off replica 3; %s", summary).isPositive();
            System.out.printf("failover: adds resumed %.1f s after the cut; %s%n", resumed.toMillis() / 1000.0, summary);
        }
    }

    /** Replicas 1..3, one per namespace, started with {@code run-replica.sh}, each answering, {@code counter} set to 0. */
    private ProcessCluster started(NetnsTopology net) throws Exception {
        ProcessCluster cluster = ProcessCluster.of(dir, NetnsTopology.writeConfig(dir, REPLICAS, PORT), REPLICAS,
                ProcessCluster.scriptsBesideThisBuild(dir), net::exec);
        try {
            for (int id = 1; id <= REPLICAS; id++) {
                cluster.start(id);
            }
            for (int id = 1; id <= REPLICAS; id++) {
                cluster.awaitAnswering(id, Duration.ofSeconds(60));
            }
            cluster.note(REPLICAS + " replicas answer, one per namespace");
            CounterLoad.prepare(cluster);
            return cluster;
        } catch (Throwable e) {
            cluster.close();
            throw e;
        }
    }
}
