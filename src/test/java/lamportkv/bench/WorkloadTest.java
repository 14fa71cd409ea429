package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class WorkloadTest {
    @Test
    void setOnlyMixWritesTheEtcdValueAndNeedsNoPreload() {
        Workload w = new Workload(Mix.parse("set:1"), 10, 100);
        Random r = new Random(1);
        for (int i = 0; i < 100; i++) {
            String[] op = w.next(r);
            assertThat(op).hasSize(3);
            assertThat(op[0]).isEqualTo("set");
            assertThat(op[1]).matches("k[0-9]");
            assertThat(op[2]).isEqualTo("v".repeat(100));
        }
        assertThat(w.needsPreload()).isFalse();
    }

    @Test
    void numericMixWritesNumbersOfTheValueSizeAndKeepsThemBounded() {
        Workload w = new Workload(Mix.parse("set:1,add:1,mult:1,get:1,del:1"), 1000, 50);
        assertThat(w.needsPreload()).isTrue();
        assertThat(w.preload(7, new Random(2))).satisfies(op -> {
            assertThat(op[0]).isEqualTo("set");
            assertThat(op[1]).isEqualTo("k7");
            assertThat(op[2]).matches("[1-9][0-9]{49}");
        });
        Random r = new Random(3);
        boolean[] seen = new boolean[5];
        for (int i = 0; i < 1000; i++) {
            String[] op = w.next(r);
            Mix.Kind kind = Mix.Kind.valueOf(op[0].toUpperCase(java.util.Locale.ROOT));
            seen[kind.ordinal()] = true;
            switch (kind) {
                case SET -> assertThat(op[2]).matches("[1-9][0-9]{49}");
                case ADD, MULT -> assertThat(op[2]).isEqualTo("1");
                default -> assertThat(op).hasSize(2);
            }
        }
        assertThat(seen).containsOnly(true);
    }

    @Test
    void textMixWithReadsPreloadsText() {
        Workload w = new Workload(Mix.parse("set:1,get:1"), 5, 3);
        assertThat(w.needsPreload()).isTrue();
        assertThat(w.preload(4, new Random(1))).containsExactly("set", "k4", "vvv");
    }
}
