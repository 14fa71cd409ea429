package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The floor probe measures real forces of the replicas' log, and cleans up after itself. */
class FloorTest {
    @TempDir
    Path dir;

    @Test
    void forcesGoThroughTheWriteAheadLogAndLeaveNothingBehind() throws Exception {
        Histogram forces = Floor.forces(dir);
        assertThat(forces.getTotalCount()).isEqualTo(Floor.FORCES);
        assertThat(forces.getMinValue()).as("a force takes time: it reaches the disk").isPositive();
        try (var left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void forcesOfSeveralLogsAtOnceAreAllCounted() throws Exception {
        assertThat(Floor.forcesTogether(dir, 3).getTotalCount()).isEqualTo(3L * Floor.FORCES);
        try (var left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void theOneClientFloorIsTwoRoundTripsAndTwoForces() {
        assertThat(Floor.oneClientFloorMicros(150, 20)).isEqualTo(2 * 20 + 2 * 150);
    }
}
