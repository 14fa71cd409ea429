package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MixTest {
    @Test
    void parsesWeightsAndPrintsThemCanonically() {
        Mix mix = Mix.parse("get:20, SET:60,add:20");
        assertThat(mix.weights()).containsExactly(Map.entry(Mix.Kind.SET, 60), Map.entry(Mix.Kind.ADD, 20),
                Map.entry(Mix.Kind.GET, 20));
        assertThat(mix.total()).isEqualTo(100);
        assertThat(mix).hasToString("set:60,add:20,get:20");
        assertThat(Mix.parse(mix.toString())).isEqualTo(mix);
        assertThat(mix.numeric()).isTrue();
        assertThat(mix.onlySets()).isFalse();
    }

    @Test
    void defaultMixOnlySets() {
        Mix mix = Mix.parse("set:100");
        assertThat(mix.onlySets()).isTrue();
        assertThat(mix.numeric()).isFalse();
        assertThat(Mix.parse("get:1,del:1").numeric()).isFalse();
        assertThat(Mix.parse("mult:1").numeric()).isTrue();
    }

    @Test
    void everyDrawMapsToItsKindInProportion() {
        Mix mix = Mix.parse("set:3,get:1");
        assertThat(mix.pick(0)).isEqualTo(Mix.Kind.SET);
        assertThat(mix.pick(2)).isEqualTo(Mix.Kind.SET);
        assertThat(mix.pick(3)).isEqualTo(Mix.Kind.GET);
        assertThatThrownBy(() -> mix.pick(4)).isInstanceOf(IllegalArgumentException.class);

        Map<Mix.Kind, Integer> counts = new EnumMap<>(Mix.Kind.class);
        Random random = new Random(7);
        for (int i = 0; i < 40_000; i++) {
            counts.merge(mix.pick(random), 1, Integer::sum);
        }
        assertThat(counts.get(Mix.Kind.SET)).isBetween(29_000, 31_000);
        assertThat(counts.get(Mix.Kind.GET)).isBetween(9_000, 11_000);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|empty",
        "set|expected KIND:WEIGHT, found 'set'",
        "set:60,|expected KIND:WEIGHT, found ''",
        "put:10|unknown kind 'put' (known: set, add, get, mult, del)",
        "set:0|weight of set must be a positive integer",
        "set:-5|weight of set must be a positive integer",
        "set:+5|weight of set must be a positive integer",
        "set:1.5|weight of set must be a positive integer",
        "set:abc|found 'abc'",
        "set:99999999999|weight of set must be a positive integer",
        "set:1,get:1,set:2|set appears twice",
    })
    void refusesBadMixesNamingTheBadPart(String text, String message) {
        assertThatThrownBy(() -> Mix.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--mix: ")
                .hasMessageContaining(message);
    }
}
