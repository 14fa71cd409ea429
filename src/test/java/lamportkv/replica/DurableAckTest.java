package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
import lamportkv.rmi.Ack;
import lamportkv.rmi.Batch;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.Rmi;
import lamportkv.security.ClusterSecret;
import lamportkv.security.PeerAuth;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real replica answers a batch once it has taken it in, and says separately how much of the link
 * is on its disk: never more than it forced. Here the test plays replica 2 (stopped) towards
 * replica 1.
 */
class DurableAckTest {
    @TempDir
    Path dir;

    @Test
    void theAckSaysWhatIsHeldAndOnlyWhatIsForcedIsDurable() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(2, dir)) {
            Replica2 two = playReplica2(cluster);
            PeerService one = two.one();
            PeerAuth auth = two.auth();
            long held = send(one, auth, 1).held();          // a heartbeat: where the link stands

            // A REQUEST: replica 1 takes it in, and says what it held before its round's force;
            // the round runs on the call's thread, so the answer carries back the OK it sent once forced.
            RequestId id = new RequestId(1_000_000, 2);
            Request request = new Request(id, Operation.parse(List.of("set", "x", "1")), new ClientTag(7, 1, 0));
            Ack taken = send(one, auth, held + 1, new PeerMessage.RequestMsg(request));
            assertThat(withoutBack(taken)).isEqualTo(new Ack(held + 1, held));
            assertThat(taken.back()).as("the OK, carried back").isNotNull();
            assertThat(auth.verify(taken.back(), 2)).as("signed by replica 1 for replica 2").isTrue();
            assertThat(Codec.decode(taken.back().messages()))
                    .anySatisfy(m -> assertThat(m).isInstanceOfSatisfying(PeerMessage.OkMsg.class,
                            ok -> assertThat(ok.requestId()).isEqualTo(id)));
            assertThat(withoutBack(awaitDurable(one, auth, held + 2, held + 1))).isEqualTo(new Ack(held + 1, held + 1));

            // An APPLY makes replica 1 send nothing: its round does not force; within 10 ms the
            // loop forces anyway, even while batches (our heartbeats) keep coming.
            Ack applied = send(one, auth, held + 2, new PeerMessage.ApplyMsg(id, 1_000_005, new Result(true, "OK")));
            assertThat(withoutBack(applied)).isEqualTo(new Ack(held + 2, held + 1));
            assertThat(withoutBack(awaitDurable(one, auth, held + 3, held + 2))).isEqualTo(new Ack(held + 2, held + 2));
            assertThat(cluster.replica(1).clientService().hash().applied()).isEqualTo(1);
        }
    }

    @Test
    void aBatchCarriedBackOnAnAnswerIsCheckedLikeAnyOtherAndOnlyThenTakenIn() throws Exception {
        try (LocalCluster cluster = LocalCluster.start(2, dir)) {
            Replica2 two = playReplica2(cluster);
            PeerService one = two.one();
            PeerAuth auth = two.auth();
            long held = send(one, auth, 1).held();
            RequestId id = new RequestId(1_000_000, 2);
            byte[] request = Codec.encode(List.of(new PeerMessage.RequestMsg(
                    new Request(id, Operation.parse(List.of("set", "x", "1")), new ClientTag(7, 1, 0)))));
            long now = System.currentTimeMillis();
            PeerAuth stranger = new PeerAuth(new java.security.SecureRandom().generateSeed(32));
            Replica replica = cluster.replica(1);
            replica.takeCarriedBack(2, stranger.batch(2, 1, held + 1, request, now, agreement));    // not the cluster's secret
            replica.takeCarriedBack(2, auth.batch(2, 1, held + 1, request, now,
                    "replicas 1,2,3".getBytes(java.nio.charset.StandardCharsets.UTF_8)));          // configured otherwise
            Thread.sleep(100);
            assertThat(send(one, auth, held + 1).held()).as("refused, logged, nothing taken in").isEqualTo(held);
            replica.takeCarriedBack(2, auth.batch(2, 1, held + 1, request, now, agreement));
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (send(one, auth, held + 2).held() != held + 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(send(one, auth, held + 2).held()).as("taken in as if sent in a call").isEqualTo(held + 1);
        }
    }

    private static byte[] agreement;

    /** Replica 1's peer service, and the cluster secret to call it with as replica 2. */
    private record Replica2(PeerService one, PeerAuth auth) {
    }

    /** Stops replica 2 so that the test can play it towards replica 1. */
    private static Replica2 playReplica2(LocalCluster cluster) throws Exception {
        cluster.stop(2);
        ReplicaAddress a = cluster.config().find(1).orElseThrow();
        agreement = Replica.agreementText(cluster.config()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return new Replica2(Rmi.peerService(a.host(), a.port()),
                new PeerAuth(ClusterSecret.loadOrCreate(cluster.config().clusterSecretFile()).secret()));
    }

    /** What an answer says about the link from replica 2, without what it carries back. */
    private static Ack withoutBack(Ack ack) {
        return new Ack(ack.view(), ack.held(), ack.durable());
    }

    private static Ack send(PeerService to, PeerAuth auth, long firstSeq, PeerMessage... messages) throws Exception {
        byte[] bytes = Codec.encode(List.of(messages));
        return Calls.deliver(to, auth.batch(2, 1, firstSeq, bytes, System.currentTimeMillis(), agreement));
    }

    /** Heartbeats until the ack says {@code durable} (the replica forced), for at most 5 s. */
    private static Ack awaitDurable(PeerService to, PeerAuth auth, long nextSeq, long durable) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        Ack ack = send(to, auth, nextSeq);
        while (ack.durable() < durable && System.nanoTime() < deadline) {
            Thread.sleep(5);
            ack = send(to, auth, nextSeq);
        }
        return ack;
    }
}
