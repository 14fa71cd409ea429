package lamportkv.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import lamportkv.testing.Calls;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ReplicaService#executeAll} over real RMI: each operation as if it came alone. */
class ExecuteAllTest {
    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static ReplicaService one;
    static ReplicaService two;
    private static long clientId = 100;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.start(3, dir);
        one = stub(0);
        two = stub(1);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static ReplicaService stub(int index) throws Exception {
        ReplicaAddress a = cluster.config().replicas().get(index);
        return Rmi.replicaService(a.host(), a.port());
    }

    private static Command command(long client, long seq, String... words) {
        return Command.of(client, seq, List.of(words), 10_000);
    }

    @Test
    @DisplayName("each command is checked and answered by itself; the replies come in the order given")
    void eachAnsweredByItself() throws Exception {
        long c = ++clientId;
        Reply[] replies = Calls.executeAll(one, new Command[] {
                command(c, 1, "set", "ea", "1"), command(c + 1000, 1, "add", "ea", "2"), command(c, 2, "nonsense"),
                command(c, 3, "mult", "ea", "x"), command(c, 4, "get", "ea")});
        assertThat(replies).extracting(Reply::status).containsExactly(Reply.Status.OK, Reply.Status.OK,
                Reply.Status.REFUSED, Reply.Status.REFUSED, Reply.Status.OK);
        assertThat(replies[1].text()).isEqualTo("3");
        assertThat(replies[2].text()).contains("nonsense");
        assertThat(replies[4].text()).isEqualTo("3");
        assertThat(two.execute(command(c, 5, "get", "ea")).text()).isEqualTo("3");
    }

    @Test
    @DisplayName("64 adds from 64 clients in one call: each applied once, and a repeat of the call changes nothing")
    void fullCallAppliedOnce() throws Exception {
        assertThat(one.execute(command(++clientId, 1, "set", "counter", "0")).ok()).isTrue();
        long first = clientId + 1;
        clientId += ReplicaService.MAX_CALL_COMMANDS;
        Command[] adds = new Command[ReplicaService.MAX_CALL_COMMANDS];
        for (int i = 0; i < adds.length; i++) {
            adds[i] = command(first + i, 1, "add", "counter", "1");
        }
        Reply[] replies = Calls.executeAll(one, adds);
        List<String> results = new ArrayList<>();
        for (Reply r : replies) {
            assertThat(r.ok()).as(r.text()).isTrue();
            results.add(r.text());
        }
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= adds.length; i++) {
            expected.add(String.valueOf(i));
        }
        Collections.sort(results, (a, b) -> Integer.parseInt(a) - Integer.parseInt(b));
        assertThat(results).isEqualTo(expected);
        // The same call again (a client's retry, on another replica): the same replies, nothing applied twice.
        Reply[] again = Calls.executeAll(two, adds);
        assertThat(again).containsExactly(replies);
        assertThat(two.execute(command(++clientId, 1, "get", "counter")).text()).isEqualTo("64");
        cluster.awaitConverged();
    }

    @Test
    @DisplayName("the filter admits a full call of the longest commands (refused by the replica, not the filter)")
    void fullCallOfLongestCommandsPassesTheFilter() throws Exception {
        List<String> words = new ArrayList<>(List.of("get"));
        while (words.size() < lamportkv.rmi.SerialFilters.MAX_COMMAND_WORDS) {
            words.add("k");
        }
        Command[] commands = new Command[ReplicaService.MAX_CALL_COMMANDS];
        for (int i = 0; i < commands.length; i++) {
            commands[i] = Command.of(++clientId, 1, words, 5_000);
        }
        assertThat(Calls.executeAll(one, commands)).extracting(Reply::status).containsOnly(Reply.Status.REFUSED);
    }

    @Test
    @DisplayName("more than MAX_CALL_COMMANDS, none, cut short or another version: the call is refused with one line")
    void badCallsAreRefused() throws Exception {
        Command[] tooMany = new Command[ReplicaService.MAX_CALL_COMMANDS + 1];
        for (int i = 0; i < tooMany.length; i++) {
            tooMany[i] = command(++clientId, 1, "set", "refused", "1");
        }
        assertThat(Rmi.rootMessage(catchThrowable(() -> Calls.executeAll(one, tooMany))))
                .isEqualTo("a call carries 1 to 64 commands, not 65");
        assertThat(catchThrowable(() -> Calls.executeAll(one, new Command[0]))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a call carries 1 to 64 commands, not 0");
        assertThat(catchThrowable(() -> one.execute(null))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a call's command is missing");
        byte[] call = lamportkv.rmi.Payloads.encodeCommands(new Command[] {command(++clientId, 1, "get", "k")});
        assertThat(catchThrowable(() -> one.executeAll(java.util.Arrays.copyOf(call, call.length - 1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("the call is cut short at byte");
        byte[] otherVersion = call.clone();
        otherVersion[0] = 9;
        assertThat(catchThrowable(() -> one.executeAll(otherVersion))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the call is in wire format version 9, this lamportkv reads version 1: run the same lamportkv"
                        + " on both sides");
        assertThat(one.execute(command(++clientId, 1, "get", "refused")).text()).isEqualTo("(nil)");
    }
}
