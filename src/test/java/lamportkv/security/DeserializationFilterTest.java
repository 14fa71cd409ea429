package lamportkv.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.rmi.Remote;
import java.rmi.ServerException;
import java.rmi.UnmarshalException;
import java.rmi.registry.Registry;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.Batch;
import lamportkv.rmi.Command;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.Reply;
import lamportkv.rmi.Rmi;
import lamportkv.rmi.SerialFilters;
import lamportkv.rmi.StateHash;
import lamportkv.security.RawRmi.Canary;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every exported object refuses to deserialize anything but its own argument classes: a canary
 * "gadget" and JDK classes that are not on the list are rejected before their code runs.
 */
class DeserializationFilterTest {
    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static ReplicaAddress replica;

    @BeforeAll
    static void start() {
        cluster = LocalCluster.start(2, dir);
        replica = cluster.config().replicas().get(0);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @BeforeEach
    void lowerTheFlag() {
        Canary.READ.set(false);
    }

    private static ReplicaService replicaService() throws Exception {
        return Rmi.replicaService(replica.host(), replica.port());
    }

    private static PeerService peerService() throws Exception {
        return Rmi.peerService(replica.host(), replica.port());
    }

    private static void assertRejected(Remote stub, Method method, Object... args) {
        Throwable thrown = catchThrowable(() -> RawRmi.invoke(stub, method, args));
        assertThat(thrown).as("calling %s with %s", method.getName(), List.of(args)).isNotNull();
        assertThat(RawRmi.rejection(thrown)).as(RawRmi.messages(thrown)).isNotNull();
        assertThat(Canary.READ).as("the canary's readObject ran").isFalse();
    }

    @Test
    @DisplayName("the raw invocation itself works: a real call through RemoteRef.invoke with the method hash")
    void rawInvocationWorks() throws Exception {
        Object hash = RawRmi.invoke(replicaService(), ReplicaService.class.getMethod("hash"));
        assertThat(hash).isInstanceOf(StateHash.class);
        Object reply = RawRmi.invoke(replicaService(), ReplicaService.class.getMethod("execute", Command.class),
                Command.of(1, 1, List.of("get", "k"), 5_000));
        assertThat(reply).isEqualTo(new Reply(Reply.Status.OK, "(nil)"));
    }

    @Test
    @DisplayName("ReplicaService.execute: a canary in place of the Command is rejected, its readObject never runs")
    void replicaServiceRefusesTheCanary() throws Exception {
        assertRejected(replicaService(), ReplicaService.class.getMethod("execute", Command.class), new Canary());
    }

    @Test
    @DisplayName("ReplicaService.executeAll and executeAllEncoded: a canary, or commands as objects, in place of the bytes is rejected")
    void combinedCallsRefuseTheCanary() throws Exception {
        Method executeAll = ReplicaService.class.getMethod("executeAll", byte[].class);
        Method executeAllEncoded = ReplicaService.class.getMethod("executeAllEncoded", byte[].class);
        for (Method m : List.of(executeAll, executeAllEncoded)) {
            assertRejected(replicaService(), m, new Canary());
            assertRejected(replicaService(), m, (Object) new Object[] {Command.of(1, 1, List.of("get", "k"), 1_000),
                    new Canary()});
        }
        Object replies = RawRmi.invoke(replicaService(), executeAll,
                (Object) lamportkv.rmi.Payloads.encodeCommands(new Command[] {Command.of(1, 2, List.of("get", "k"), 5_000)}));
        assertThat((Reply[]) replies).containsExactly(new Reply(Reply.Status.OK, "(nil)"));
        Object encoded = RawRmi.invoke(replicaService(), executeAllEncoded,
                (Object) lamportkv.rmi.Payloads.encodeCommands(new Command[] {Command.of(1, 3, List.of("get", "k"), 5_000)}));
        assertThat(lamportkv.rmi.Payloads.decodeReplies((byte[][]) encoded, 1))
                .containsExactly(new Reply(Reply.Status.OK, "(nil)"));
    }

    @Test
    @DisplayName("ReplicaService's long polls (watch, lockStanding): a canary in place of the Command is rejected")
    void longPollsRefuseTheCanary() throws Exception {
        assertRejected(replicaService(), ReplicaService.class.getMethod("watch", Command.class), new Canary());
        assertRejected(replicaService(), ReplicaService.class.getMethod("lockStanding", Command.class), new Canary());
    }

    @Test
    @DisplayName("PeerService.deliver: a canary in place of the bytes is rejected")
    void peerServiceRefusesTheCanary() throws Exception {
        assertRejected(peerService(), PeerService.class.getMethod("deliver", byte[].class), new Canary());
    }

    @Test
    @DisplayName("the registry: a canary in place of bind's and rebind's Remote is rejected")
    void registryRefusesTheCanary() throws Exception {
        Registry registry = Rmi.registry(replica.host(), replica.port());
        assertRejected(registry, Registry.class.getMethod("bind", String.class, Remote.class), "x", new Canary());
        assertRejected(registry, Registry.class.getMethod("rebind", String.class, Remote.class), "x", new Canary());
        assertThat(registry.list()).containsExactlyInAnyOrder(ReplicaService.NAME, PeerService.NAME);
    }

    @Test
    @DisplayName("JDK classes that are not on the list are rejected too (HashMap, Date, a String[] Command)")
    void jdkClassesNotOnTheListAreRejected() throws Exception {
        Method execute = ReplicaService.class.getMethod("execute", Command.class);
        Method deliver = PeerService.class.getMethod("deliver", byte[].class);
        HashMap<String, Object> map = new HashMap<>();
        map.put("canary", new Canary());
        assertRejected(replicaService(), execute, map);
        assertRejected(peerService(), deliver, map);
        assertRejected(replicaService(), execute, new Date());
        assertRejected(peerService(), deliver, new Object[] {new Canary()});
        assertRejected(peerService(), deliver, Command.of(1, 1, List.of("get", "k"), 1_000));
    }

    @Test
    @DisplayName("the rejection's cause names the class")
    void theCauseNamesTheClass() throws Exception {
        Throwable thrown = catchThrowable(() -> RawRmi.invoke(peerService(),
                PeerService.class.getMethod("deliver", byte[].class), new Canary()));
        assertThat(thrown).isInstanceOf(ServerException.class).hasCauseInstanceOf(UnmarshalException.class);
        assertThat(Rmi.rootMessage(thrown))
                .isEqualTo("PeerService refused the call's arguments: class " + Canary.class.getName() + " is not accepted");
    }

    @Test
    @DisplayName("the per-object filters: limits on depth, references, arrays and bytes")
    void limits() {
        ObjectInputFilter peer = SerialFilters.peerService();
        // Twice the batch limit and the agreements: up to there the replica itself refuses with a clearer message.
        long most = 2L * SerialFilters.MAX_BATCH_BYTES + 2 * Batch.MAX_AGREEMENT_BYTES;
        assertThat(check(peer, byte[].class, most, 1, 1, 100)).isEqualTo(ObjectInputFilter.Status.ALLOWED);
        assertThatThrownBy(() -> check(peer, byte[].class, most + 1, 1, 1, 100))
                .hasMessageContaining("an array of 16785409 elements is over the limit of 16785408");
        assertThatThrownBy(() -> check(peer, Batch.class, -1, 1, 1, 100))
                .hasMessageContaining("class lamportkv.rmi.Batch is not accepted");
        assertThatThrownBy(() -> check(peer, byte[].class, 1, 3, 2, 100)).hasMessageContaining("nesting depth 3");
        assertThatThrownBy(() -> check(peer, byte[].class, 1, 1, 1_000, 100)).hasMessageContaining("1000 objects");
        assertThatThrownBy(() -> check(peer, null, -1, 1, 1, 100_000_000)).hasMessageContaining("100000000 bytes");
        assertThatThrownBy(() -> check(peer, String[].class, 1, 1, 1, 10)).hasMessageContaining("[Ljava.lang.String;");
    }

    private static ObjectInputFilter.Status check(ObjectInputFilter filter, Class<?> c, long array, long depth, long refs,
                                                  long bytes) {
        return filter.checkInput(new ObjectInputFilter.FilterInfo() {
            public Class<?> serialClass() {
                return c;
            }

            public long arrayLength() {
                return array;
            }

            public long depth() {
                return depth;
            }

            public long references() {
                return refs;
            }

            public long streamBytes() {
                return bytes;
            }
        });
    }

    // ---- the JVM-wide filter of the launch scripts ----------------------------------------------

    @Test
    @DisplayName("run-replica.sh and run-client.sh set exactly SerialFilters' JVM-wide (and registry) pattern")
    void scriptsUseThePatterns() throws IOException {
        for (String script : List.of("run-replica.sh", "run-client.sh")) {
            String text = Files.readString(Path.of(script));
            Matcher m = Pattern.compile("serial_filter='([^']*)'").matcher(text);
            assertThat(m.find()).as(script).isTrue();
            assertThat(m.group(1)).as(script).isEqualTo(SerialFilters.JVM_WIDE_PATTERN);
            assertThat(text).contains("-Djdk.serialFilter=$serial_filter");
        }
        String replica = Files.readString(Path.of("run-replica.sh"));
        assertThat(replica).contains("registry_filter='" + SerialFilters.REGISTRY_PATTERN + "'")
                .contains("-Dsun.rmi.registry.registryFilter=$registry_filter");
    }

    @Test
    @DisplayName("the JVM-wide pattern accepts what clients read back (stubs, replies, exceptions) and nothing else")
    void jvmWidePattern() throws Exception {
        ObjectInputFilter filter = ObjectInputFilter.Config.createFilter(SerialFilters.JVM_WIDE_PATTERN);
        Throwable remoteError = catchThrowable(() -> RawRmi.invoke(peerService(),
                PeerService.class.getMethod("deliver", byte[].class), new Canary()));
        Canary.READ.set(false);
        for (Object accepted : List.of(replicaService(), peerService(), new Reply(Reply.Status.OK, "1"),
                new StateHash(1, "ab"), new ReplicaStatus(1, "h:1", 1, 0, 0, 1, "ab", 0,
                        new PeerStatus[] {new PeerStatus(2, "h:2", true, 0, 0)}, 4, new int[] {1, 2}, "", 3),
                remoteError, new IllegalStateException("x"), new SecurityException("y"))) {
            assertThat(roundTrip(accepted, filter)).as(accepted.getClass().getName()).isNotNull();
        }
        assertThatThrownBy(() -> roundTrip(new Canary(), filter)).isInstanceOf(InvalidClassException.class);
        assertThatThrownBy(() -> roundTrip(new HashMap<>(), filter)).isInstanceOf(InvalidClassException.class);
        assertThatThrownBy(() -> roundTrip(new Date(), filter)).isInstanceOf(InvalidClassException.class);
        assertThat(Canary.READ).isFalse();
    }

    private static Object roundTrip(Object o, ObjectInputFilter filter) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            in.setObjectInputFilter(info -> {
                ObjectInputFilter.Status status = filter.checkInput(info);
                if (status == ObjectInputFilter.Status.REJECTED) {
                    throw new IllegalArgumentException("rejected " + info.serialClass() + " in " + o.getClass().getName());
                }
                return status;
            });
            return in.readObject();
        }
    }
}
