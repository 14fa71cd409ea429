package lamportkv.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import lamportkv.testing.Calls;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.ClientTag;
import lamportkv.core.Codec;
import lamportkv.core.Operation;
import lamportkv.core.PeerMessage;
import lamportkv.core.Request;
import lamportkv.core.RequestId;
import lamportkv.core.Result;
import lamportkv.rmi.Batch;
import lamportkv.rmi.Command;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;
import lamportkv.rmi.StateHash;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Only holders of the cluster secret can speak the peer protocol; forged and replayed batches change nothing. */
class PeerAuthenticationTest {
    @TempDir
    Path dir;
    LocalCluster cluster;
    long seq;

    @BeforeEach
    void start() throws Exception {
        cluster = LocalCluster.start(3, dir);
        for (int id : cluster.ids()) {
            run(id, "set", "k" + id, String.valueOf(id));
        }
        run(1, "add", "k1", "10");
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    private ReplicaService client(int id) throws Exception {
        ReplicaAddress a = cluster.config().find(id).orElseThrow();
        return Rmi.replicaService(a.host(), a.port());
    }

    private PeerService peer(int id) throws Exception {
        ReplicaAddress a = cluster.config().find(id).orElseThrow();
        return Rmi.peerService(a.host(), a.port());
    }

    private Reply run(int id, String... words) throws Exception {
        Reply reply = client(id).execute(Command.of(42, ++seq, List.of(words), 10_000));
        assertThat(reply.status()).as(String.join(" ", words)).isEqualTo(Reply.Status.OK);
        return reply;
    }


    /** Well-formed messages of every kind, as a peer would send them. */
    private static byte[] wellFormed(int from) {
        RequestId id = new RequestId(1_000_000, from);
        return Codec.encode(List.of(
                new PeerMessage.RequestMsg(new Request(id, Operation.parse(List.of("set", "k1", "evil")),
                        new ClientTag(7, 1, 0))),
                new PeerMessage.OkMsg(new RequestId(1_000_001, 1), 1_000_002),
                new PeerMessage.ApplyMsg(id, 1_000_003, new Result(true, "OK"))));
    }

    /** What every replica of the cluster is configured with alike: a true peer's batches carry it. */
    private byte[] agreement() {
        return lamportkv.replica.Replica.agreementText(cluster.config()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private PeerAuth secret() throws Exception {
        return new PeerAuth(ClusterSecret.loadOrCreate(cluster.config().clusterSecretFile()).secret());
    }

    @Test
    @DisplayName("the first replica created the secret file, owner-only, and the others read the same one")
    void theSecretFile() throws Exception {
        Path file = cluster.config().clusterSecretFile();
        assertThat(file).isEqualTo(cluster.configFile().resolveSibling("cluster.secret"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(file).strip()).matches("[0-9a-f]{64}");
        try (var files = Files.list(file.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".cluster.secret-"));
        }
    }

    @Test
    @DisplayName("a rogue without the secret: every PeerService call refused, hashes unchanged, the cluster keeps serving")
    void rogueWithoutTheSecret() throws Exception {
        StateHash before = cluster.awaitConverged();
        PeerAuth wrongSecret = new PeerAuth("not the cluster's secret at all".getBytes());
        for (int target : cluster.ids()) {
            for (int from : cluster.ids()) {
                if (from == target) {
                    continue;
                }
                byte[] messages = wellFormed(from);
                List<byte[]> proofs = List.of(new byte[0], new byte[32], wrongSecret.sign(from, target, 1, messages, 0, agreement()),
                        wrongSecret.sign(from, target, 1_000, messages, 0, agreement()));
                for (byte[] proof : proofs) {
                    for (long firstSeq : new long[] {1, 2, 1_000}) {
                        assertThatThrownBy(() -> Calls.deliver(peer(target), new Batch(from, firstSeq, messages, 0, agreement(), proof)))
                                .isInstanceOf(SecurityException.class)
                                .hasMessageContaining("accepts peer calls only with the cluster secret");
                    }
                }
                // An empty batch (a heartbeat) too: no answer, not even the link position.
                assertThatThrownBy(() -> Calls.deliver(peer(target), new Batch(from, 1, Codec.encode(List.of()), 0, agreement(), new byte[32])))
                        .isInstanceOf(SecurityException.class);
            }
        }
        assertThat(cluster.awaitConverged()).isEqualTo(before);
        run(2, "add", "k1", "1");
        assertThat(run(3, "get", "k1").text()).isEqualTo("12");
    }

    @Test
    @DisplayName("forged with the secret: another sender, another receiver or another first number than signed are refused")
    void forgedBatches() throws Exception {
        StateHash before = cluster.awaitConverged();
        PeerAuth auth = secret();
        byte[] messages = wellFormed(2);
        byte[] signed = auth.sign(2, 1, 1_000, messages, 0, agreement());          // for the link 2 → 1, from number 1000
        assertThatThrownBy(() -> Calls.deliver(peer(1), new Batch(3, 1_000, messages, 0, agreement(), signed)))      // claims replica 3
                .isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> Calls.deliver(peer(3), new Batch(2, 1_000, messages, 0, agreement(), signed)))      // replayed to replica 3
                .isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> Calls.deliver(peer(1), new Batch(2, 1_001, messages, 0, agreement(), signed)))      // renumbered
                .isInstanceOf(SecurityException.class);
        byte[] altered = messages.clone();
        altered[altered.length - 1] ^= 1;
        assertThatThrownBy(() -> Calls.deliver(peer(1), new Batch(2, 1_000, altered, 0, agreement(), signed)))       // altered
                .isInstanceOf(SecurityException.class);
        assertThat(cluster.awaitConverged()).isEqualTo(before);
        run(1, "add", "k1", "1");
        assertThat(run(2, "get", "k1").text()).isEqualTo("12");
    }

    @Test
    @DisplayName("replayed with the secret: old link numbers are dropped, a gap is not taken; nothing changes")
    void replayedBatches() throws Exception {
        StateHash before = cluster.awaitConverged();
        PeerAuth auth = secret();
        byte[] messages = wellFormed(2);
        // Numbers replica 1 already holds from replica 2 (a captured batch replayed): dropped.
        long held = Calls.deliver(peer(1), new Batch(2, 1, messages, 0, agreement(), auth.sign(2, 1, 1, messages, 0, agreement()))).held();
        assertThat(held).isGreaterThanOrEqualTo(3);
        // A gap: taken in only when the numbers before it are held.
        assertThat(Calls.deliver(peer(1), new Batch(2, held + 5, messages, 0, agreement(), auth.sign(2, 1, held + 5, messages, 0, agreement()))).held())
                .isEqualTo(held);
        // Not a peer: replica 1 itself, or an id not in the configuration.
        for (int from : new int[] {1, 9}) {
            assertThatThrownBy(() -> Calls.deliver(peer(1), new Batch(from, held + 1, messages, 0, agreement(),
                    auth.sign(from, 1, held + 1, messages, 0, agreement())))).hasMessageContaining("is not a peer of replica 1");
        }
        assertThat(cluster.awaitConverged()).isEqualTo(before);
        run(3, "add", "k1", "1");
        assertThat(run(1, "get", "k1").text()).isEqualTo("12");
    }

    @Test
    @DisplayName("with the secret, at the right number: an OK or APPLY naming an unknown request is refused, state untouched")
    void unknownRequestIsRefused() throws Exception {
        StateHash before = cluster.awaitConverged();
        PeerAuth auth = secret();
        cluster.stop(2);        // the real replica 2 would race us for link 2 → 1's next number
        long held = Calls.deliver(peer(1), new Batch(2, 1, Codec.encode(List.of()), 0, agreement(), auth.sign(2, 1, 1, Codec.encode(List.of()), 0, agreement())))
                .held();
        List<PeerMessage> unknown = new ArrayList<>(List.of(
                new PeerMessage.OkMsg(new RequestId(999_999, 1), 1_000_000),
                new PeerMessage.ApplyMsg(new RequestId(999_998, 2), 1_000_001, new Result(true, "OK"))));
        byte[] messages = Codec.encode(unknown);
        assertThat(Calls.deliver(peer(1), new Batch(2, held + 1, messages, 0, agreement(), auth.sign(2, 1, held + 1, messages, 0, agreement()))).held())
                .isEqualTo(held + 2);
        assertThat(client(1).hash()).isEqualTo(before);
    }
}
