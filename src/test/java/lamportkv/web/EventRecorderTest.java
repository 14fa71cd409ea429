package lamportkv.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.Operation;
import lamportkv.core.PeerMessage;
import lamportkv.core.Request;
import lamportkv.core.RequestId;
import lamportkv.core.Result;
import lamportkv.rmi.EventView;
import lamportkv.rmi.Observation;
import lamportkv.rmi.PeerStatus;
import lamportkv.replica.Replica;
import lamportkv.rmi.ReplicaView;
import lamportkv.rmi.Rmi;
import lamportkv.rmi.SerialFilters;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The event ring: what it records from the listener calls, cursors, overflow, what travels to peers, and when it records. */
class EventRecorderTest {
    static final ReplicaView VIEW = new ReplicaView(1, "127.0.0.1:7101", 0, 0, 0, new ReplicaView.Pending[0], 0, "00",
            0, new String[0], new String[0], new PeerStatus[0], 0, new ReplicaView.View(0, new int[] {1}, "", 0), 0,
            new ReplicaView.Lock[0]);

    static Request request(long ts, int origin, String... words) {
        return new Request(new RequestId(ts, origin), Operation.parse(List.of(words)));
    }

    @Test
    @DisplayName("one operation at its origin: REQUEST sends share the stamp, OKs in, executed, APPLY out")
    void anOperationAtItsOrigin() {
        EventRecorder r = new EventRecorder(1, () -> VIEW);
        Request add = request(7, 1, "add", "x", "5");
        r.sent(2, 14, new PeerMessage.RequestMsg(add));
        r.sent(3, 9, new PeerMessage.RequestMsg(add));
        r.received(2, 20, new PeerMessage.OkMsg(add.id(), 8), 9);
        r.received(3, 11, new PeerMessage.OkMsg(add.id(), 10), 11);
        r.applied(add, Result.ok("12"));
        r.sent(2, 15, new PeerMessage.ApplyMsg(add.id(), 12, Result.ok("12")));
        r.internalEvent(13);

        Observation o = r.observe(-1);
        assertThat(o.missed()).isZero();
        assertThat(o.executed()).isEqualTo(1);
        assertThat(Arrays.stream(o.events()).map(e -> e.seq() + " " + e.kind() + " L=" + e.clock() + " peer=" + e.peer()
                + " #" + e.linkSeq() + " " + e.requestTs() + "." + e.requestOrigin() + " [" + e.op() + "] [" + e.result() + "]"))
                .containsExactly(
                        "1 SEND_REQUEST L=7 peer=2 #14 7.1 [add x 5] []",
                        "2 SEND_REQUEST L=7 peer=3 #9 7.1 [add x 5] []",
                        "3 RECEIVE_OK L=9 peer=2 #20 7.1 [] []",
                        "4 RECEIVE_OK L=11 peer=3 #11 7.1 [] []",
                        "5 EXECUTE L=11 peer=0 #0 7.1 [add x 5] [12]",      // applies do not tick: the last clock
                        "6 SEND_APPLY L=12 peer=2 #15 7.1 [] [12]",
                        "7 TICK L=13 peer=0 #0 0.0 [] []");
        assertThat(o.next(-1)).isEqualTo(7);
        assertThat(r.observe(5).events()).extracting(EventView::seq).containsExactly(6L, 7L);
        assertThat(r.observe(7).events()).isEmpty();
    }

    @Test
    @DisplayName("another replica's request is applied, not executed; one executed alone sits at its own stamp")
    void appliedAndAlone() {
        EventRecorder r = new EventRecorder(2, () -> VIEW);
        r.received(1, 3, new PeerMessage.ApplyMsg(new RequestId(4, 1), 6, Result.error("not a number: x")), 9);
        r.applied(request(4, 1, "add", "x", "1"), Result.error("not a number: x"));
        EventView applied = r.observe(-1).events()[1];
        assertThat(applied.kind()).isEqualTo(EventView.Kind.APPLY);
        assertThat(applied.clock()).isEqualTo(9);
        assertThat(applied.ok()).isFalse();
        assertThat(r.observe(-1).executed()).isZero();

        EventRecorder alone = new EventRecorder(1, () -> VIEW);
        alone.applied(request(3, 1, "set", "k", "v"), Result.ok("OK"));
        assertThat(alone.observe(-1).events()[0].clock()).isEqualTo(3);
    }

    @Test
    @DisplayName("a view event: its number, members and words, at the last event's clock")
    void viewEvent() {
        EventRecorder r = new EventRecorder(2, () -> VIEW);
        r.internalEvent(8);
        r.viewEvent(5, List.of(1, 2, 3), "member of view 5 (1 2 3)");
        r.viewEvent(6, List.of(1, 3), "excluded from view 6 (members 1 3); rejoining\nnow");
        EventView[] events = r.observe(-1).events();
        assertThat(events).hasSize(3);
        EventView member = events[1];
        assertThat(member.kind()).isEqualTo(EventView.Kind.VIEW);
        assertThat(member.clock()).isEqualTo(8);
        assertThat(member.view()).isEqualTo(5);
        assertThat(member.members()).containsExactly(1, 2, 3);
        assertThat(member.op()).isEqualTo("member of view 5 (1 2 3)");
        assertThat(member.requestTs()).isZero();
        assertThat(events[2].op()).as("one line").isEqualTo("excluded from view 6 (members 1 3); rejoining?now");
        assertThat(events[0].view()).isZero();
        assertThat(events[0].members()).isEmpty();
    }

    @Test
    @DisplayName("bounded: past the ring's capacity the oldest go, and one observation carries only the newest")
    void bounded() {
        EventRecorder r = new EventRecorder(1, () -> VIEW);
        int total = EventRecorder.CAPACITY + 1_000;
        for (int i = 1; i <= total; i++) {
            r.internalEvent(i);
        }
        Observation fromStart = r.observe(0);
        assertThat(fromStart.events()).hasSize(EventRecorder.MAX_EVENTS_PER_OBSERVATION);
        assertThat(fromStart.events()[0].seq()).isEqualTo(total - EventRecorder.MAX_EVENTS_PER_OBSERVATION + 1);
        assertThat(fromStart.missed()).isEqualTo(total - EventRecorder.MAX_EVENTS_PER_OBSERVATION);
        Observation recent = r.observe(total - 10);
        assertThat(recent.events()).hasSize(10);
        assertThat(recent.missed()).isZero();
        // A cursor from a replica's previous life (beyond the newest): start over from the newest few.
        assertThat(r.observe(total + 50).events()).hasSize(EventRecorder.MAX_EVENTS_PER_OBSERVATION);
    }

    @Test
    @DisplayName("text is one line and short: control characters replaced, long values cut")
    void text() {
        assertThat(EventRecorder.shorten("a\nb\u0000c")).isEqualTo("a?b?c");
        assertThat(EventRecorder.shorten("v".repeat(500))).hasSize(EventRecorder.MAX_TEXT).endsWith("…");
    }

    @Test
    @DisplayName("a cluster without any http.<id> records nothing: observe says so")
    void noDashboardsNoRecording(@TempDir Path dir) throws Exception {
        try (LocalCluster cluster = LocalCluster.start(1, dir)) {
            Replica replica = cluster.replica(1);
            try (Dashboard dashboard = Dashboard.start(replica, cluster.config())) {
                assertThat(dashboard.url()).isEmpty();
                ReplicaAddress a = replica.address();
                assertThatThrownBy(() -> Rmi.peerService(a.host(), a.port()).observe(-1))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("replica 1 records no events (its configuration names no dashboard, http.<id>)");
            }
        }
    }

    @Test
    @DisplayName("the largest observation passes the JVM-wide deserialization filter a replica reads it with")
    void observationPassesTheJvmWideFilter() throws Exception {
        String[] keys = new String[ReplicaViews.MAX_KEYS];
        String[] values = new String[ReplicaViews.MAX_KEYS];
        Arrays.fill(keys, "k".repeat(EventRecorder.MAX_TEXT));
        Arrays.fill(values, "v".repeat(EventRecorder.MAX_TEXT));
        ReplicaView.Pending[] buffer = new ReplicaView.Pending[ReplicaViews.MAX_PENDING];
        Arrays.fill(buffer, new ReplicaView.Pending(7, 1, "o".repeat(EventRecorder.MAX_TEXT), 1, false));
        ReplicaView.Lock[] locks = new ReplicaView.Lock[ReplicaViews.MAX_LOCKS];
        Arrays.fill(locks, new ReplicaView.Lock("l".repeat(EventRecorder.MAX_TEXT), Long.MAX_VALUE, Long.MAX_VALUE, 99_999));
        ReplicaView view = new ReplicaView(1, "h:1", 9, 1_000, 0, buffer, 5, "ab", 10_000, keys, values,
                new PeerStatus[] {new PeerStatus(2, "h:2", true, 0, 3)}, 1_500,
                new ReplicaView.View(9, new int[] {1, 2, 3, 4, 5, 6, 7}, "c".repeat(EventRecorder.MAX_TEXT), 9),
                100_000, locks);
        EventView[] events = new EventView[EventRecorder.MAX_EVENTS_PER_OBSERVATION];
        for (int i = 0; i < events.length; i++) {
            events[i] = new EventView(i + 1, 1L << 40, EventView.Kind.values()[i % EventView.Kind.values().length], i, 2,
                    i, 7, 1, "o".repeat(EventRecorder.MAX_TEXT), "r".repeat(EventRecorder.MAX_TEXT), true, i,
                    new int[] {1, 2, 3, 4, 5, 6, 7});
        }
        Observation o = new Observation(view, 42, events, 3, 4, true);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            in.setObjectInputFilter(ObjectInputFilter.Config.createFilter(SerialFilters.JVM_WIDE_PATTERN));
            Observation back = (Observation) in.readObject();
            assertThat(back.events()).hasSize(events.length);
            assertThat(back.replica().keys()).hasSize(keys.length);
            assertThat(back.replica().locks()).hasSize(locks.length).containsOnly(locks[0]);
            assertThat(back.events()[3].kind()).isEqualTo(events[3].kind());
        }
    }
}
