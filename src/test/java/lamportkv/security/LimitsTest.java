package lamportkv.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import lamportkv.testing.Calls;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.Batch;
import lamportkv.rmi.Command;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;
import lamportkv.rmi.SerialFilters;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Size limits hold on the server, for calls that bypass the client's own checks. */
class LimitsTest {
    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static ReplicaService replica;
    static PeerService peer;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.start(2, dir);
        ReplicaAddress a = cluster.config().replicas().get(0);
        replica = Rmi.replicaService(a.host(), a.port());
        peer = Rmi.peerService(a.host(), a.port());
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static Reply execute(List<String> words) throws Exception {
        return replica.execute(Command.of(5, System.nanoTime(), words, 5_000));
    }

    @Test
    @DisplayName("a key over 256 bytes and a value over 64 KiB (up to the 1 MiB command limit) are refused with a clear error")
    void keysAndValues() throws Exception {
        Reply key = execute(List.of("set", "k".repeat(257), "v"));
        assertThat(key.status()).isEqualTo(Reply.Status.REFUSED);
        assertThat(key.text()).startsWith("key too long: 257 bytes, at most 256");
        assertThat(execute(List.of("set", "k", "v".repeat(65_537))))
                .isEqualTo(new Reply(Reply.Status.REFUSED, "value too long: 65537 bytes, at most 65536"));
        assertThat(execute(List.of("set", "k", "v".repeat(1_000_000))))
                .isEqualTo(new Reply(Reply.Status.REFUSED, "value too long: 1000000 bytes, at most 65536"));
        assertThat(execute(List.of("set", "k", "v".repeat(65_536))).status()).isEqualTo(Reply.Status.OK);
    }

    @Test
    @DisplayName("a command over 1 MiB, or with too many words, never gets past deserialization")
    void hugeCommands() throws Exception {
        assertRefusedUnread(catchThrowable(() -> execute(List.of("set", "k", "v".repeat(4 * SerialFilters.MAX_COMMAND_BYTES)))),
                "ReplicaService refused the call's arguments: an array of 4194304 elements is over the limit of 1118208");
        // The object limit fits one command of the most words (a combined call is one byte array).
        long maxRefs = SerialFilters.MAX_COMMAND_WORDS + 16;
        assertRefusedUnread(catchThrowable(() -> execute(Collections.nCopies(10_000, "get"))),
                "ReplicaService refused the call's arguments: " + (maxRefs + 1) + " objects are over the limit of " + maxRefs);
        // A combined call is one byte array, bounded the same way before it is read.
        assertRefusedUnread(catchThrowable(() -> replica.executeAll(new byte[4 * SerialFilters.MAX_COMMAND_BYTES])),
                "ReplicaService refused the call's arguments: an array of 4194304 elements is over the limit of 1118208");
        List<String> manyWords = new ArrayList<>(Collections.nCopies(SerialFilters.MAX_COMMAND_WORDS + 1, "x"));
        assertThat(Rmi.rootMessage(catchThrowable(() -> execute(manyWords)))).isEqualTo("a command has 1 to 64 words");
        assertThat(replica.hash()).isNotNull();
    }

    /**
     * Refused by the filter before the payload is read: the replica answers with the reason and
     * closes the connection, and the sender, if still writing, sees the connection break instead.
     */
    private static void assertRefusedUnread(Throwable thrown, String reason) {
        assertThat(thrown).isNotNull();
        if (RawRmi.rejection(thrown) != null) {
            assertThat(Rmi.rootMessage(thrown)).isEqualTo(reason);
        } else {
            assertThat(RawRmi.messages(thrown)).containsAnyOf("Broken pipe", "Connection reset");
        }
    }

    @Test
    @DisplayName("a batch over 8 MiB is refused with a clear error, whoever sends it; over 16 MiB before it is read")
    void hugeBatch() throws Exception {
        byte[] messages = new byte[SerialFilters.MAX_BATCH_BYTES + 1];
        assertThat(catchThrowable(() -> Calls.deliver(peer, new Batch(2, 1, messages, 0, new byte[0], new byte[32]))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("refused: a batch of 8388613 bytes is over the limit of 8388608");   // + an empty list of view messages
        Batch huge = new Batch(2, 1, new byte[40 << 20], 0, new byte[0], new byte[32]);
        assertRefusedUnread(catchThrowable(() -> Calls.deliver(peer, huge)), "PeerService refused the call's arguments: an array of "
                + lamportkv.rmi.Payloads.encodeBatch(huge).length + " elements is over the limit of 16785408");
        assertThat(replica.hash()).isNotNull();
    }

    @Test
    @DisplayName("the cluster secret: created once under a race, refused if too short")
    void secretFile() throws Exception {
        Path file = dir.resolve("race/cluster.secret");
        Set<String> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        Set<Boolean> created = ConcurrentHashMap.newKeySet();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 8; i++) {
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    ClusterSecret.Loaded loaded = ClusterSecret.loadOrCreate(file);
                    seen.add(new String(loaded.secret()));
                    created.add(loaded.created());
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        assertThat(seen).hasSize(1);
        assertThat(created).contains(true);
        Path shortFile = dir.resolve("short.secret");
        Files.writeString(shortFile, "tooshort\n");
        assertThat(catchThrowable(() -> ClusterSecret.loadOrCreate(shortFile)))
                .hasMessageContaining("holds 8 bytes; it needs at least 16");
        Path open = dir.resolve("open.secret");
        Files.writeString(open, "0123456789abcdef0123456789abcdef");
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(ClusterSecret.loadOrCreate(open).warning()).contains("is readable by others (rw-r--r--)");
    }
}
