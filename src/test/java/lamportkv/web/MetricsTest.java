package lamportkv.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaView;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The metrics read from the replica when scraped: each scrape shows the state it was given. */
class MetricsTest {
    private static ReplicaView withView(ReplicaView.View view) {
        return new ReplicaView(3, "127.0.0.1:7103", 12, 0, 0, new ReplicaView.Pending[0], 4, "ab", 0, new String[0],
                new String[0], new PeerStatus[0], 0, view, 0, new ReplicaView.Lock[0]);
    }

    private static String scrape(Metrics metrics, ReplicaView now) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write(now, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("every replicated operation is counted under its own kind (cas, lock, ...), anything else as other")
    void everyOperationHasItsKind() throws Exception {
        Metrics metrics = new Metrics(List.of(1, 2));
        metrics.answered("lock", Reply.Status.OK, 2_000_000);
        metrics.answered("cas", Reply.Status.FAILED, 1_000_000);
        metrics.answered("watch", Reply.Status.OK, 1_000_000);
        String text = scrape(metrics, withView(new ReplicaView.View(0, new int[] {1, 2, 3}, "", 0)));
        assertThat(text).contains("lamportkv_operations_total{kind=\"lock\",result=\"ok\"} 1.0",
                "lamportkv_operations_total{kind=\"cas\",result=\"failed\"} 1.0",
                "lamportkv_operations_total{kind=\"other\",result=\"ok\"} 1.0",
                "lamportkv_operation_duration_seconds_count{kind=\"unlock\"} 0");
    }

    @Test
    void theViewIsTheOneTheReplicaReports() throws Exception {
        Metrics metrics = new Metrics(List.of(1, 2));
        String excluded = scrape(metrics, withView(new ReplicaView.View(4, new int[] {1, 2},
                "excluded since 14:02:11; rejoining", 3)));
        assertThat(excluded).contains("lamportkv_view_number 4.0", "lamportkv_view_members 2.0")
                .contains("lamportkv_view_changes_total 3.0");
        String member = scrape(metrics, withView(new ReplicaView.View(5, new int[] {1, 2, 3}, "", 4)));
        assertThat(member).contains("lamportkv_view_number 5.0", "lamportkv_view_members 3.0",
                "lamportkv_view_changes_total 4.0");
    }
}
