package lamportkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import lamportkv.client.Words;
import lamportkv.core.Value;
import lamportkv.replica.Replica;
import lamportkv.rmi.Command;
import lamportkv.rmi.ReplicaService;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's procedure for a lost disk, until replicas can be re-seeded: export a stopped
 * healthy replica's data as commands ({@code run-replica.sh ID --export}), start a fresh cluster,
 * pipe the commands in. The data comes back equal, numbers as numbers and texts as texts.
 */
class ExportTest {
    @TempDir
    Path dir;

    @Test
    void aStoppedReplicasDataRebuildsAFreshCluster() throws Exception {
        List<List<String>> writes = List.of(List.of("set", "n", "1.50"), List.of("add", "n", "2"),
                List.of("set", "greeting", "hello world"), List.of("set", "q", "it's \"quoted\" \\"),
                List.of("set", "o'k", "x"), List.of("set", "gone", "1"), List.of("del", "gone"));
        SortedMap<String, Value> before;
        try (LocalCluster old = LocalCluster.start(3, dir.resolve("old"))) {
            long seq = 0;
            for (List<String> words : writes) {
                assertThat(old.replica(1).clientService().execute(Command.of(7, ++seq, words, 5_000)).ok()).isTrue();
            }
            old.awaitConverged();
            before = old.replica(2).inspect(s -> new java.util.TreeMap<String, Value>(s.data()));
            old.stop(2);
            assertThatThrownBy(() -> Replica.readData(old.config(), 1)).as("a running replica's directory is locked")
                    .isInstanceOf(Replica.StartException.class).hasMessageContaining("is locked");
            SortedMap<String, Value> read = Replica.readData(old.config(), 2);
            assertThat(read).isEqualTo(before);
            ReplicaMain.Export export = ReplicaMain.exportLines(read);
            assertThat(export.problems()).isEmpty();
            assertThat(export.commands()).containsExactly("set greeting 'hello world'", "set n 3.5",
                    "set \"o'k\" x", "set q \"it's \\\"quoted\\\" \\\\\"");

            try (LocalCluster fresh = LocalCluster.start(3, dir.resolve("fresh"))) {
                ReplicaService client = fresh.replica(3).clientService();
                for (String line : export.commands()) {
                    assertThat(client.execute(Command.of(8, ++seq, Words.split(line), 5_000)).ok()).as(line).isTrue();
                }
                fresh.awaitConverged();
                SortedMap<String, Value> after = fresh.replica(1).inspect(s -> new java.util.TreeMap<String, Value>(s.data()));
                assertThat(after).isEqualTo(before);
            }
        }
    }

    @Test
    void aValueWithALineBreakIsNamedNotLost() {
        SortedMap<String, Value> data = new java.util.TreeMap<>(java.util.Map.of(
                "ok", new Value.Text("fine"), "two", new Value.Text("first\nsecond")));
        ReplicaMain.Export export = ReplicaMain.exportLines(data);
        assertThat(export.commands()).containsExactly("set ok fine");
        assertThat(export.problems()).singleElement().asString().startsWith("key two is not exported:");
    }
}
