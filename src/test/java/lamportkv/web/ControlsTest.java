package lamportkv.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lamportkv.core.Operation;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** How the page's named fields become an operation's words, without a cluster. */
class ControlsTest {
    private static Map<String, String> fields(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    @DisplayName("the form offers the data operations and the coordination ones, all of them replicated operations")
    void offersTheReplicatedOperations() {
        assertThat(Controls.OPERATIONS.keySet()).containsExactly("set", "add", "mult", "get", "del", "cas", "rev", "lock",
                "renew", "unlock");
        assertThat(Operation.NAMES).containsAll(Controls.OPERATIONS.keySet());
        // Words are positional: an argument left out may only be the last.
        Controls.OPERATIONS.forEach((op, arguments) -> assertThat(arguments.subList(0, arguments.size() - 1))
                .as(op).noneMatch(Controls.Argument::optional));
    }

    @Test
    @DisplayName("each operation's fields, all given, make words the replicas parse back to the same operation")
    void everyOperationsWordsParse() throws ApiException {
        Map<String, String> sample = fields("key", "k", "value", "7", "expected", "(nil)", "name", "leader", "ttl", "30",
                "wait", "5", "token", "12");
        for (Map.Entry<String, List<Controls.Argument>> e : Controls.OPERATIONS.entrySet()) {
            Map<String, String> given = new HashMap<>();
            for (Controls.Argument a : e.getValue()) {
                given.put(a.field(), sample.get(a.field()));
            }
            List<String> words = Controls.words(e.getKey(), given);
            assertThat(words).as(e.getKey()).hasSize(e.getValue().size() + 1).first().isEqualTo(e.getKey());
            assertThat(Operation.parse(words).words()).as(e.getKey()).isEqualTo(words);
        }
    }

    @Test
    @DisplayName("arguments go in the order of the shell's words; an optional one left empty is left out")
    void wordsInOrder() throws ApiException {
        assertThat(Controls.words("cas", fields("value", "new", "key", "k", "expected", "old")))
                .containsExactly("cas", "k", "old", "new");
        assertThat(Controls.words("lock", fields("name", "leader", "ttl", "30", "wait", "")))
                .containsExactly("lock", "leader", "30");
        assertThat(Controls.words("lock", fields("name", "leader", "ttl", "30", "wait", "2")))
                .containsExactly("lock", "leader", "30", "2");
        assertThat(Controls.words("rev", fields("key", null))).containsExactly("rev");
        assertThat(Controls.words("rev", fields("key", "k"))).containsExactly("rev", "k");
        assertThat(Controls.words("unlock", fields("token", "9", "name", "leader", "value", "")))
                .containsExactly("unlock", "leader", "9");
    }

    @Test
    @DisplayName("a missing argument, a field the operation does not take, an unknown operation: one line each")
    void refusals() {
        assertThatThrownBy(() -> Controls.words("renew", fields("name", "leader")))
                .hasMessage("missing \"token\": renew needs one (the number lock printed)");
        assertThatThrownBy(() -> Controls.words("set", fields("key", "k", "value", "")))
                .hasMessage("missing \"value\": set needs one");
        assertThatThrownBy(() -> Controls.words("unlock", fields("key", "leader", "token", "9")))
                .hasMessage("unlock takes no key (got \"leader\"); it takes name, token");
        assertThatThrownBy(() -> Controls.words("keys", fields()))
                .hasMessage("unknown operation \"keys\" (expected one of set, add, mult, get, del, cas, rev, lock, renew,"
                        + " unlock)");
    }
}
