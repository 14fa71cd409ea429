package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.ReplicaStatus;
import org.junit.jupiter.api.Test;

class StatusFormatTest {
    @Test
    void showsTheReplicaThenEachPeer() {
        Instant now = Instant.parse("2024-05-01T12:00:00Z");
        long since = now.minusSeconds(95).toEpochMilli();
        ReplicaStatus status = new ReplicaStatus(1, "127.0.0.1:7101", 42, 1, 5, 17, "ab12", 3, new PeerStatus[] {
            new PeerStatus(3, "127.0.0.1:7103", false, since, 2),
            new PeerStatus(2, "127.0.0.1:7102", true, 0, 0),
            new PeerStatus(4, "127.0.0.1:7104", false, 0, 0),
        }, 5, new int[] {1, 2, 3}, "", 2);
        assertThat(StatusFormat.lines(status, Clock.fixed(now, ZoneOffset.UTC))).containsExactly(
                "replica 1 at 127.0.0.1:7101",
                "view:    5 (members 1 2 3)",
                "clock:   42",
                "buffer:  1 request waiting to be applied; 5 operations queued to be stamped",
                "applied: 17 operations",
                "digest:  ab12",
                "clients: 3 remembered for retries",
                "peer 2 at 127.0.0.1:7102: reachable",
                "peer 3 at 127.0.0.1:7103: unreachable since 11:58:25 (for 1m35s), 2 operations waiting for it",
                "peer 4 at 127.0.0.1:7104: not contacted yet");
    }

    @Test
    void aReplicaOutsideAWorkingViewSaysWhy() {
        ReplicaStatus status = new ReplicaStatus(3, "127.0.0.1:7103", 42, 0, 0, 17, "ab12", 0, new PeerStatus[0],
                4, new int[] {1, 2}, "excluded since 14:02:11; rejoining", 3);
        assertThat(StatusFormat.lines(status, Clock.systemUTC())).containsExactly(
                "replica 3 at 127.0.0.1:7103",
                "view:    4 (members 1 2); excluded since 14:02:11; rejoining",
                "clock:   42",
                "buffer:  0 requests waiting to be applied",
                "applied: 17 operations",
                "digest:  ab12",
                "clients: 0 remembered for retries");
    }

    @Test
    void durationsAreAsPreciseAsAGlanceNeeds() {
        assertThat(StatusFormat.duration(0)).isEqualTo("0s");
        assertThat(StatusFormat.duration(59)).isEqualTo("59s");
        assertThat(StatusFormat.duration(3599)).isEqualTo("59m59s");
        assertThat(StatusFormat.duration(7325)).isEqualTo("2h02m");
    }
}
