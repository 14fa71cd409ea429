package lamportkv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading replicas.properties: a good file, and one-line errors naming file:line for bad ones. */
class ClusterConfigTest {
    @TempDir
    Path dir;

    private Path writeAt(String name, String... lines) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private Path write(String... lines) throws IOException {
        return writeAt("replicas.properties", lines);
    }

    /** Loads {@code file}, expecting a one-line error that starts with {@code file:line: }. */
    private AbstractThrowableAssert<?, ? extends Throwable> assertErrorAt(Path file, int line) {
        return assertThatThrownBy(() -> ClusterConfig.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":" + line + ": ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\r"));
    }

    @Nested
    @DisplayName("a good file")
    class GoodFile {
        @Test
        @DisplayName("three replicas with comments, blank lines, IPv6 and a relative data.dir")
        void fullExample() throws Exception {
            Path file = writeAt("conf/replicas.properties",
                    "# The cluster",
                    "",
                    "replica.1=127.0.0.1:7101",
                    "   # indented comment",
                    "! a properties-style comment",
                    "replica.2 = localhost:7102",
                    "\t",
                    "replica.3=[::1]:7000",
                    "data.dir=../state/here");
            ClusterConfig config = ClusterConfig.load(file);

            assertThat(config.file()).isEqualTo(file);
            assertThat(config.ids()).containsExactly(1, 2, 3);
            assertThat(config.replicas()).containsExactly(
                    new ReplicaAddress(1, "127.0.0.1", 7101),
                    new ReplicaAddress(2, "localhost", 7102),
                    new ReplicaAddress(3, "::1", 7000));
            assertThat(config.replica(3).hostPort()).isEqualTo("[::1]:7000");
            assertThat(config.replica(2).hostPort()).isEqualTo("localhost:7102");
            assertThat(config.dataDir()).isEqualTo(dir.resolve("state/here").toAbsolutePath().normalize());
            assertThat(config.dataDirOf(2)).isEqualTo(config.dataDir().resolve("replica-2"));
        }

        @Test
        @DisplayName("without data.dir, the data directory is 'data' beside the file")
        void defaultDataDir() throws Exception {
            Path file = writeAt("sub/replicas.properties", "replica.1=host.example.com:7101");
            ClusterConfig config = ClusterConfig.load(file);
            assertThat(config.dataDir()).isEqualTo(dir.resolve("sub").resolve("data").toAbsolutePath());
            assertThat(config.dataDirOf(1)).isEqualTo(dir.resolve("sub/data/replica-1").toAbsolutePath());
        }

        @Test
        @DisplayName("an absolute data.dir is taken as it is")
        void absoluteDataDir() throws Exception {
            Path elsewhere = dir.resolve("elsewhere").toAbsolutePath();
            Path file = write("replica.1=127.0.0.1:7101", "data.dir=" + elsewhere);
            assertThat(ClusterConfig.load(file).dataDir()).isEqualTo(elsewhere);
        }

        @Test
        @DisplayName("replicas come out sorted by id, whatever the file's order; ids need not be contiguous")
        void sortedById() throws Exception {
            Path file = write("replica.10=a:1", "replica.2=b:2", "replica.7=c:65535");
            ClusterConfig config = ClusterConfig.load(file);
            assertThat(config.ids()).containsExactly(2, 7, 10);
            assertThat(config.replica(7)).isEqualTo(new ReplicaAddress(7, "c", 65535));
            assertThat(config.find(10)).contains(new ReplicaAddress(10, "a", 1));
            assertThat(config.find(3)).isEmpty();
        }

        @Test
        @DisplayName("Windows line endings are fine")
        void crlf() throws Exception {
            Path file = dir.resolve("replicas.properties");
            Files.writeString(file, "# c\r\nreplica.1=127.0.0.1:7101\r\nreplica.2=127.0.0.1:7102\r\n");
            assertThat(ClusterConfig.load(file).ids()).containsExactly(1, 2);
            assertThat(ClusterConfig.load(file).replica(2).port()).isEqualTo(7102);
        }

        @Test
        @DisplayName("IPv6 literals of several shapes")
        void ipv6() throws Exception {
            Path file = write("replica.1=[::1]:7000", "replica.2=[fe80::1:2]:7001", "replica.3=[::ffff:127.0.0.1]:7002");
            assertThat(ClusterConfig.load(file).replicas()).extracting(ReplicaAddress::host)
                    .containsExactly("::1", "fe80::1:2", "::ffff:127.0.0.1");
        }

        @Test
        @DisplayName("snapshot.every and client.expiry.seconds have defaults and can be set")
        void tuning() throws Exception {
            ClusterConfig defaults = ClusterConfig.load(writeAt("d/replicas.properties", "replica.1=a:1"));
            assertThat(defaults.snapshotEvery()).isEqualTo(ClusterConfig.DEFAULT_SNAPSHOT_EVERY);
            assertThat(defaults.clientExpirySeconds()).isEqualTo(ClusterConfig.DEFAULT_CLIENT_EXPIRY_SECONDS);
            ClusterConfig set = ClusterConfig.load(writeAt("s/replicas.properties",
                    "replica.1=a:1", "snapshot.every=50", "client.expiry.seconds=9"));
            assertThat(set.snapshotEvery()).isEqualTo(50);
            assertThat(set.clientExpirySeconds()).isEqualTo(9);
        }

        @ParameterizedTest(name = "view.suspect.seconds={0} is {1} ms")
        @CsvSource({"2, 2000", "0.5, 500", "0.001, 1", "1.25, 1250", "600, 600000", "600.000, 600000", "007, 7000"})
        @DisplayName("view.suspect.seconds: seconds to the millisecond")
        void viewSuspect(String value, long millis) throws Exception {
            ClusterConfig config = ClusterConfig.load(write("replica.1=a:1", "view.suspect.seconds = " + value));
            assertThat(config.viewSuspectMillis()).isEqualTo(millis);
            assertThat(config.withSnapshotEvery(5).viewSuspectMillis()).isEqualTo(millis);
        }

        @Test
        @DisplayName("view.suspect.seconds defaults to 2, also for a configuration made in code")
        void viewSuspectDefault() throws Exception {
            assertThat(ClusterConfig.load(write("replica.1=a:1")).viewSuspectMillis()).isEqualTo(2_000)
                    .isEqualTo(ClusterConfig.DEFAULT_VIEW_SUSPECT_MILLIS);
            assertThat(ClusterConfig.of(List.of(new ReplicaAddress(1, "a", 1)), dir).viewSuspectMillis()).isEqualTo(2_000);
        }
    }

    @Nested
    @DisplayName("http.<id>: the dashboards' ports")
    class HttpPorts {
        @Test
        @DisplayName("set per replica, before or after its replica line; absent means no dashboard")
        void ports() throws Exception {
            ClusterConfig config = ClusterConfig.load(write("http.2 = 8082", "replica.1=127.0.0.1:7101",
                    "replica.2=127.0.0.1:7102", "replica.3=127.0.0.1:7103", "http.1=8081"));
            assertThat(config.httpPort(1)).hasValue(8081);
            assertThat(config.httpPort(2)).hasValue(8082);
            assertThat(config.httpPort(3)).isEmpty();
            assertThat(config.withSnapshotEvery(5).httpPort(1)).hasValue(8081);
        }

        @ParameterizedTest
        @ValueSource(strings = {"replicas.properties", "deploy/docker/replicas.properties"})
        @DisplayName("the shipped files give replicas 1 to 3 their dashboards on 8081 to 8083")
        void shippedFiles(String name) throws Exception {
            ClusterConfig config = ClusterConfig.load(Path.of("").toAbsolutePath().resolve(name));
            assertThat(config.ids()).containsExactly(1, 2, 3);
            for (int id : config.ids()) {
                assertThat(config.httpPort(id)).as("http.%d", id).hasValue(8080 + id);
            }
        }

        @Test
        @DisplayName("the same port on different hosts is fine")
        void samePortOtherHost() throws Exception {
            ClusterConfig config = ClusterConfig.load(write("replica.1=a:7101", "replica.2=b:7101", "http.1=8080",
                    "http.2=8080"));
            assertThat(config.httpPort(2)).hasValue(8080);
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "0", "65536", "80a", "-1", " 1 2", "123456"})
        @DisplayName("a bad port")
        void badPort(String port) throws IOException {
            Path file = write("replica.1=127.0.0.1:7101", "http.1=" + port);
            assertErrorAt(file, 2).hasMessageContaining("bad port \"" + port.strip() + "\"")
                    .hasMessageContaining("expected 1-65535");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "x", "0", "-1", "1.5"})
        @DisplayName("a bad replica id")
        void badId(String id) throws IOException {
            Path file = write("replica.1=127.0.0.1:7101", "http." + id + "=8081");
            assertErrorAt(file, 2).hasMessageContaining("bad replica id").hasMessageContaining("http." + id);
        }

        @Test
        @DisplayName("an id that names no replica")
        void noSuchReplica() throws IOException {
            Path file = write("replica.1=127.0.0.1:7101", "http.4=8084", "replica.2=127.0.0.1:7102");
            assertErrorAt(file, 2).hasMessageEndingWith("http.4 names no replica (replicas: 1, 2)");
        }

        @Test
        @DisplayName("a duplicate, also written with a leading zero")
        void duplicate() throws IOException {
            Path file = write("replica.1=127.0.0.1:7101", "http.1=8081", "http.01=8082");
            assertErrorAt(file, 3).hasMessageContaining("duplicate http.1 (first on line 2)");
        }

        @Test
        @DisplayName("a port that an RMI port or another dashboard uses on the same host")
        void portTaken() throws IOException {
            assertErrorAt(writeAt("a/replicas.properties", "replica.1=127.0.0.1:7101", "replica.2=127.0.0.1:7102",
                    "http.2=7101"), 3).hasMessageEndingWith("http.2=7101 uses port 7101 of 127.0.0.1, which replica.1 uses already");
            assertErrorAt(writeAt("b/replicas.properties", "replica.1=h:7101", "replica.2=h:7102",
                    "http.1=8080", "http.2=8080"), 4).hasMessageEndingWith("http.2=8080 uses port 8080 of h, which http.1=8080 uses already");
        }
    }

    @Nested
    @DisplayName("errors name the file and line")
    class Errors {
        @Test
        @DisplayName("a missing file")
        void missingFile() {
            Path file = dir.resolve("nope.properties");
            assertThatThrownBy(() -> ClusterConfig.load(file))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(file + ": no such file");
        }

        @Test
        @DisplayName("the same replica line twice")
        void duplicateId() throws IOException {
            Path file = write("replica.1=127.0.0.1:7101", "# x", "replica.1=127.0.0.1:7102");
            assertErrorAt(file, 3).hasMessageContaining("duplicate replica id 1").hasMessageContaining("line 1");
        }

        @Test
        @DisplayName("replica.1 and replica.01 are the same id")
        void duplicateIdWithLeadingZero() throws IOException {
            Path file = write("replica.1=127.0.0.1:7101", "replica.2=127.0.0.1:7102", "replica.01=127.0.0.1:7103");
            assertErrorAt(file, 3).hasMessageContaining("duplicate replica id 1");
        }

        @Test
        @DisplayName("the same setting twice")
        void duplicateSetting() throws IOException {
            Path file = write("replica.1=a:1", "data.dir=x", "data.dir=y");
            assertErrorAt(file, 3).hasMessageContaining("duplicate setting \"data.dir\"");
        }

        @ParameterizedTest(name = "port \"{0}\"")
        @ValueSource(strings = {"0", "65536", "abc", "", "-1", "99999", "7000x", "1234567", "7 000"})
        void badPort(String port) throws IOException {
            Path file = write("# comment", "replica.1=127.0.0.1:7101", "replica.2=127.0.0.1:" + port);
            assertErrorAt(file, 3).hasMessageContaining("bad port \"" + port + "\"").hasMessageContaining("1-65535");
        }

        @Test
        @DisplayName("no port at all")
        void noPort() throws IOException {
            Path file = write("replica.1=localhost");
            assertErrorAt(file, 1).hasMessageContaining("expected <host>:<port>").hasMessageContaining("localhost");
        }

        @ParameterizedTest(name = "host \"{0}\"")
        @ValueSource(strings = {"", "bad_host!", "my host", "-lead.dash", "trail-.example", "a..b", "[zz::1]", "[]",
                "[1.2.3.4]", "host/path"})
        void badHost(String host) throws IOException {
            Path file = write("replica.1=" + host + ":7101");
            assertErrorAt(file, 1).hasMessageContaining("bad host \"" + host + "\"");
        }

        @Test
        @DisplayName("an unbracketed IPv6 address is refused")
        void unbracketedIpv6() throws IOException {
            Path file = write("replica.1=::1:7000");
            assertErrorAt(file, 1).hasMessageContaining("bad host");
        }

        @ParameterizedTest(name = "id \"{0}\"")
        @ValueSource(strings = {"0", "-1", "x", "", "1.5", "00", "9999999999"})
        void badId(String id) throws IOException {
            Path file = write("", "replica." + id + "=127.0.0.1:7101");
            assertErrorAt(file, 2).hasMessageContaining("bad replica id").hasMessageContaining("replica." + id);
        }

        @Test
        @DisplayName("an unknown setting")
        void unknownKey() throws IOException {
            Path file = write("replica.1=127.0.0.1:7101", "datadir=data");
            assertErrorAt(file, 2).hasMessageContaining("unknown setting \"datadir\"")
                    .hasMessageContaining("view.suspect.seconds");
        }

        @Test
        @DisplayName("a line without '='")
        void noEquals() throws IOException {
            Path file = write("replica.1=127.0.0.1:7101", "", "replica.2 127.0.0.1:7102");
            assertErrorAt(file, 3).hasMessageContaining("expected key=value")
                    .hasMessageContaining("replica.2 127.0.0.1:7102");
        }

        @Test
        @DisplayName("an empty data.dir")
        void emptyDataDir() throws IOException {
            Path file = write("replica.1=a:1", "data.dir=");
            assertErrorAt(file, 2).hasMessageContaining("data.dir is empty");
        }

        @Test
        @DisplayName("bad tuning values")
        void badTuning() throws IOException {
            assertErrorAt(writeAt("a/replicas.properties", "replica.1=a:1", "snapshot.every=0"), 2)
                    .hasMessageContaining("bad snapshot.every \"0\"");
            assertErrorAt(writeAt("b/replicas.properties", "replica.1=a:1", "client.expiry.seconds=soon"), 2)
                    .hasMessageContaining("bad client.expiry.seconds \"soon\"");
        }

        @ParameterizedTest(name = "view.suspect.seconds=\"{0}\"")
        @ValueSource(strings = {"", "0", "0.0", "0.000", "-1", "600.001", "601", "1000000", "0.0005", "1.", ".5",
                "2s", "1e3", "1,5", "two", "2 0", "+2", "NaN"})
        @DisplayName("a bad view.suspect.seconds: not a number of seconds, not above 0, over 600, finer than a millisecond")
        void badViewSuspect(String value) throws IOException {
            assertErrorAt(write("replica.1=a:1", "view.suspect.seconds=" + value), 2)
                    .hasMessageEndingWith("bad view.suspect.seconds \"" + value.strip() + "\" (expected seconds above 0"
                            + " and at most 600, to the millisecond, such as 2 or 0.5)");
        }

        @Test
        @DisplayName("a file with no replicas")
        void noReplicas() throws IOException {
            Path file = write("# nothing here", "data.dir=data");
            assertThatThrownBy(() -> ClusterConfig.load(file))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith(file + ": no replicas");
        }

        @Test
        @DisplayName("an empty file")
        void emptyFile() throws IOException {
            Path file = dir.resolve("empty.properties");
            Files.writeString(file, "");
            assertThatThrownBy(() -> ClusterConfig.load(file)).hasMessageStartingWith(file + ": no replicas");
        }

        @Test
        @DisplayName("a file that is not UTF-8")
        void notUtf8() throws IOException {
            Path file = dir.resolve("latin1.properties");
            Files.write(file, new byte[] {'r', '=', (byte) 0xff, (byte) 0xfe, '\n'});
            assertThatThrownBy(() -> ClusterConfig.load(file))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage(file + ": not UTF-8 text");
        }
    }

    @Test
    @DisplayName("replica(id) for an id not in the file names the ids present")
    void unknownReplicaId() throws Exception {
        Path file = write("replica.3=a:3", "replica.1=a:1", "replica.2=a:2");
        ClusterConfig config = ClusterConfig.load(file);
        assertThatThrownBy(() -> config.replica(7))
                .isInstanceOf(ConfigException.class)
                .hasMessage("replica 7 is not in " + file + " (replicas: 1, 2, 3)");
    }

    @Test
    @DisplayName("of() builds a configuration in code and refuses duplicates and emptiness")
    void ofInCode() {
        ClusterConfig config = ClusterConfig.of(List.of(new ReplicaAddress(2, "b", 2), new ReplicaAddress(1, "a", 1)), dir);
        assertThat(config.ids()).containsExactly(1, 2);
        assertThat(config.dataDir()).isEqualTo(dir);
        assertThatThrownBy(() -> ClusterConfig.of(List.of(new ReplicaAddress(1, "a", 1), new ReplicaAddress(1, "b", 2)), dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicate replica id 1");
        assertThatThrownBy(() -> ClusterConfig.of(List.of(), dir)).isInstanceOf(IllegalArgumentException.class);
    }
}
