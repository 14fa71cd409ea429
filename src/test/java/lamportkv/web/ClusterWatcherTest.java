package lamportkv.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ReplicaAddress;
import lamportkv.web.JsonModel.ReplicaJson;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's view of the cluster: it asks the replicas only while someone watches. */
class ClusterWatcherTest {
    @TempDir
    Path dir;

    /** A loopback port nobody listens on (free when this returns). */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    @DisplayName("nothing is asked while nobody watches; once asked, every replica is tried: one answers, one is unreachable")
    void asksOnlyWhileWatched() throws Exception {
        ClusterConfig config = ClusterConfig.of(List.of(new ReplicaAddress(1, "127.0.0.1", closedPort()),
                new ReplicaAddress(2, "127.0.0.1", closedPort())), dir);
        try (ClusterWatcher watcher = new ClusterWatcher(config, 1, new EventRecorder(1, () -> EventRecorderTest.VIEW))) {
            watcher.start();
            Thread.sleep(3 * ClusterWatcher.POLL_MILLIS);
            assertThat(watcher.picture(-1, 10).replicas()).allSatisfy(r -> {
                assertThat(r.lastSeen()).isZero();
                assertThat(r.error()).isEqualTo("not asked yet");
            });

            long asked = System.currentTimeMillis();
            watcher.touch();
            watcher.awaitFresh(asked, 5_000);
            List<ReplicaJson> replicas = watcher.picture(-1, 10).replicas();
            assertThat(replicas.get(0).reachable()).isTrue();
            assertThat(replicas.get(0).lastSeen()).isGreaterThanOrEqualTo(asked);
            assertThat(replicas.get(1).reachable()).isFalse();
            assertThat(replicas.get(1).error()).isNotEmpty().isNotEqualTo("not asked yet");
            assertThat(replicas.get(1).unreachableSince()).isGreaterThanOrEqualTo(asked);
        }
    }
}
