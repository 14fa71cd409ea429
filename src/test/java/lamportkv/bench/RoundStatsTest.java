package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import lamportkv.bench.RoundStats.Event;
import lamportkv.bench.RoundStats.Replica;
import org.junit.jupiter.api.Test;

class RoundStatsTest {
    private static final long MS = 1_000_000L;

    private static Event round(int replica, long atMillis, boolean forced, int answered, int messages) {
        return new Event(replica, "Round", atMillis * MS, MS / 2, forced, answered, messages);
    }

    private static Event span(int replica, String kind, long atMillis, long micros) {
        return new Event(replica, kind, atMillis * MS, micros * 1_000, false, 0, 0);
    }

    @Test
    void countsRoundsForcesAndTheLoopsTimeInForcesPerReplica() {
        List<Event> events = new ArrayList<>();
        // Replica 1, over 2 s: 100 rounds, every other one forced (500 us), each forced one answering 4 and sending 2.
        for (int i = 0; i < 100; i++) {
            boolean forced = i % 2 == 0;
            events.add(round(1, 20L * i, forced, forced ? 4 : 0, 2));
            if (forced) {
                events.add(span(1, "Force", 20L * i, 500));
            }
        }
        // Replica 2: peer batches that waited 100..1,000 us for its loop.
        for (int i = 1; i <= 10; i++) {
            events.add(span(2, "PeerBatch", 100L * i, 100L * i));
        }
        events.add(span(2, "ClientCall", 1_990, 1_000));

        List<Replica> replicas = RoundStats.summarize(events, 2);

        assertThat(replicas).extracting(Replica::replica).containsExactly(1, 2);
        Replica one = replicas.get(0);
        assertThat(one.roundsPerSecond()).isEqualTo(50);
        assertThat(one.forcesPerSecond()).isEqualTo(25);
        assertThat(one.answersPerForcedRound()).isEqualTo(4);
        assertThat(one.messagesPerRound()).isEqualTo(2);
        assertThat(one.forceP50()).isEqualTo(500);
        assertThat(one.loopInForce()).as("50 forces of 0.5 ms in 2 s").isEqualTo(0.0125);
        Replica two = replicas.get(1);
        assertThat(two.batchInP50()).isEqualTo(500);
        assertThat(two.batchInP99()).isEqualTo(1_000);
        assertThat(two.clientCallP50()).isEqualTo(1_000);
        assertThat(one.line()).contains("replica 1: 50 rounds/s", "25 forces/s", "force p50 500 us");
    }

    @Test
    void onlyTheLastSecondsCountSoTheWarmUpIsLeftOut() {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            events.add(span(1, "Force", 100L * i, 5_000));     // warm-up: slow forces, from 0 to 0.9 s
        }
        for (int i = 0; i < 10; i++) {
            events.add(span(1, "Force", 10_000 + 100L * i, 200));      // measured: from 10 s
        }
        events.add(span(1, "ClientCall", 10_990, 10_000));            // the last call ends at 11 s
        events.add(span(1, "PeerCall", 12_500, 100));                 // a heartbeat after the bench

        Replica r = RoundStats.summarize(events, 1).get(0);

        assertThat(r.forceP99()).isEqualTo(200);
        assertThat(r.forcesPerSecond()).isEqualTo(10);
    }

    @Test
    void quantilesAreNearestRankAndZeroWithoutEvents() {
        List<Event> forces = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            forces.add(span(1, "Force", i, i));
        }
        assertThat(RoundStats.micros(forces, 0.5)).isEqualTo(50);
        assertThat(RoundStats.micros(forces, 0.99)).isEqualTo(99);
        assertThat(RoundStats.micros(List.of(), 0.5)).isZero();
    }
}
