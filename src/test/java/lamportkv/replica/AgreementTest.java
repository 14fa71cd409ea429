package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import lamportkv.testing.Calls;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ReplicaAddress;
import lamportkv.core.Codec;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.Rmi;
import lamportkv.security.ClusterSecret;
import lamportkv.security.PeerAuth;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bug 4 of the review: replicas that disagree on what they must share (the member ids, the client
 * expiry) used to diverge silently. Now each batch carries the sender's agreement and a replica
 * configured otherwise refuses it, naming both; and the data directory records the agreement, so a
 * restart under another one is refused, before and after the first snapshot.
 */
class AgreementTest {
    @TempDir
    Path dir;

    @Test
    void aReplicaConfiguredOtherwiseIsRefusedNamingTheDifference() throws Exception {
        LocalCluster cluster = LocalCluster.create(2, dir);
        // Replica 2 gets its own copy of the file, with another client expiry.
        Path other = dir.resolve("replicas-2.properties");
        Files.writeString(other, Files.readString(cluster.configFile()) + "client.expiry.seconds=60\n");
        ClusterConfig config2 = ClusterConfig.load(other);
        try (Replica one = Replica.start(cluster.config(), 1); Replica two = Replica.start(config2, 2)) {
            Reply reply = one.clientService().execute(Command.of(7, 1, List.of("set", "x", "1"), 2_000));
            assertThat(reply.status()).as("nothing executes between replicas that disagree")
                    .isEqualTo(Reply.Status.UNAVAILABLE);     // neither can tell the other the cluster is new
            assertThat(two.clientService().hash().applied()).isZero();
            assertThat(one.clientService().hash().applied()).isZero();
            // What replica 2's link hears from replica 1 (and logs once), with the secret right.
            ReplicaAddress a = cluster.config().replica(1);
            PeerService peer = Rmi.peerService(a.host(), a.port());
            PeerAuth auth = new PeerAuth(ClusterSecret.loadOrCreate(config2.clusterSecretFile()).secret());
            byte[] agreement = Replica.agreementText(config2).getBytes(StandardCharsets.UTF_8);
            byte[] none = Codec.encode(List.of());
            assertThatThrownBy(() -> Calls.deliver(peer, auth.batch(2, 1, 1, none, System.currentTimeMillis(), agreement)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("refused: replica 1 is configured with replicas 1,2 and client.expiry.seconds 3600"
                            + " and view.suspect.seconds 2, but replica 2 with replicas 1,2 and client.expiry.seconds 60"
                            + " and view.suspect.seconds 2; start every replica with the same replicas.properties");
        }
    }

    @Test
    void aRestartUnderAnotherConfigurationIsRefusedNamingBoth() throws Exception {
        for (String settings : List.of("", "snapshot.every=2\n")) {       // before and after the first snapshot
            Path here = dir.resolve("case" + settings.length());
            LocalCluster cluster = LocalCluster.create(1, here, settings);
            try (Replica one = Replica.start(cluster.config(), 1)) {
                for (int i = 1; i <= 5; i++) {
                    assertThat(one.clientService().execute(Command.of(7, i, List.of("set", "n", String.valueOf(i)), 5_000)).ok())
                            .isTrue();
                }
            }
            Path changed = here.resolve("changed.properties");
            Files.writeString(changed, Files.readString(cluster.configFile()) + "client.expiry.seconds=60\n");
            ClusterConfig config = ClusterConfig.load(changed);
            assertThatThrownBy(() -> Replica.start(config, 1))
                    .isInstanceOf(Replica.StartException.class)
                    .hasMessage("the data in " + config.dataDirOf(1) + " was written with replicas 1 and"
                            + " client.expiry.seconds 3600, but " + changed + " says replicas 1 and"
                            + " client.expiry.seconds 60; these must not change while data exists: start it with"
                            + " the configuration it was written with");
            // Nothing changed: the right configuration starts it with its data.
            try (Replica again = Replica.start(cluster.config(), 1)) {
                assertThat(again.clientService().hash().applied()).isEqualTo(5);
            }
        }
    }
}
