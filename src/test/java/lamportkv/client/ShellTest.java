package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import lamportkv.config.ClusterConfig;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The interactive shell on a dumb terminal: prompt, errors that do not end it, exit, history. */
class ShellTest {
    @TempDir
    Path dir;

    private record Transcript(int status, String terminal, String out, String err) {
    }

    private Transcript shell(FakeReplica replica, String typed) throws Exception {
        return shell(List.of(Endpoint.parse(replica.hostPort())), false, typed);
    }

    private Transcript shell(List<Endpoint> candidates, boolean movable, String typed) throws Exception {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        Connection connection = new Connection(candidates, false, movable, Duration.ZERO,
                Client.attemptLimitMillis(ClusterConfig.DEFAULT_VIEW_SUSPECT_MILLIS), errStream);
        Session session = new Session(new LamportKv(() -> connection, 10_000), outStream, errStream, Clock.systemDefaultZone());
        int status;
        try (Terminal terminal = new DumbTerminal("test", "dumb",
                new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)), screen, StandardCharsets.UTF_8)) {
            status = new Shell(terminal, session, errStream, dir.resolve("history")).run();
        }
        return new Transcript(status, screen.toString(StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void runsCommandsUntilExitAndErrorsDoNotEndIt() throws Exception {
        try (FakeReplica replica = FakeReplica.start(1)) {
            Transcript t = shell(replica, "tick\nbogus\nadd x abc\nset x 1\nquit\nhash\n");
            assertThat(t.status()).isZero();
            assertThat(t.terminal()).contains(replica.hostPort() + "> ");
            assertThat(t.out()).isEqualTo("42\nfake set x 1\n");
            assertThat(t.err()).isEqualTo("error: unknown command: bogus (type help for the list)\n"
                    + "error: not a number: abc\n");
            assertThat(Files.readString(dir.resolve("history"))).contains("set x 1");
        }
    }

    @Test
    void endOfInputEndsTheShell() throws Exception {
        try (FakeReplica replica = FakeReplica.start(1)) {
            Transcript t = shell(replica, "hash\n");
            assertThat(t.status()).isZero();
            assertThat(t.out()).isEqualTo("applied=7 digest=ab12\n");
        }
    }

    @Test
    void anUnreachableReplicaIsReportedAndTheShellStillRuns() throws Exception {
        FakeReplica replica = FakeReplica.start(1);
        replica.close();
        Transcript t = shell(replica, "help\nexit\n");
        assertThat(t.status()).isZero();
        assertThat(t.err()).startsWith("error: cannot reach the replica at " + replica.hostPort() + ": ");
        assertThat(t.out()).contains("set KEY VALUE");
    }

    @Test
    void anOperationMovesToTheNextReplicaAndTheShellStaysThere() throws Exception {
        int down = FakeReplica.freePort();
        try (FakeReplica two = FakeReplica.start(2)) {
            // As with --replica 1: the shell starts on replica 1, which is down.
            List<Endpoint> candidates = List.of(new Endpoint(1, "127.0.0.1", down), new Endpoint(2, "127.0.0.1", two.port()));
            Transcript t = shell(candidates, true, "set x 1\nget x\nstatus\n");
            assertThat(t.terminal()).contains("replica 1> ", "replica 2> ");
            assertThat(t.terminal().lastIndexOf("replica 1> ")).isLessThan(t.terminal().indexOf("replica 2> "));
            assertThat(t.out()).startsWith("fake set x 1\nfake get x\nreplica 2 at " + two.hostPort() + "\n");
            assertThat(t.err()).isEqualTo("error: cannot reach replica 1 at 127.0.0.1:" + down + ": Connection refused\n"
                    + "retrying 'set x 1' on replica 2 at " + two.hostPort() + ": replica 1 at 127.0.0.1:" + down
                    + " is unreachable (Connection refused)\n");
            assertThat(two.received()).extracting(c -> c.seq()).containsExactly(1L, 2L);
        }
    }
}
