package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WordsTest {
    @Test
    void splitsAtAnyWhitespace() {
        assertThat(Words.split("  add\tx   5 ")).containsExactly("add", "x", "5");
        assertThat(Words.split("   ")).isEmpty();
    }

    @Test
    void quotesKeepSpacesInOneWord() {
        assertThat(Words.split("set g \"hello world\"")).containsExactly("set", "g", "hello world");
        assertThat(Words.split("set g 'it \"is\" \\n'")).containsExactly("set", "g", "it \"is\" \\n");
        assertThat(Words.split("set g \"say \\\"hi\\\" \\\\ \\n\"")).containsExactly("set", "g", "say \"hi\" \\ \\n");
        assertThat(Words.split("set g ab'c d'e")).containsExactly("set", "g", "abc de");
        assertThat(Words.split("set g \"\"")).containsExactly("set", "g", "");
    }

    @Test
    void anUnclosedQuoteIsAnError() {
        assertThatThrownBy(() -> Words.split("set g \"hello"))
                .hasMessage("unclosed double quote; close it, or put the text in the other kind of quotes");
    }

    @Test
    void quoteWritesWhatSplitReadsBack() {
        for (String word : java.util.List.of("plain", "hello world", "it's", "say \"hi\"", "both ' and \"",
                "back\\slash", "tab\there", "", "\\\"", "'", "\"")) {
            String quoted = Words.quote(word).orElseThrow();
            assertThat(Words.split("set k " + quoted)).as(quoted).containsExactly("set", "k", word);
        }
        assertThat(Words.quote("plain")).contains("plain");
        assertThat(Words.quote("two\nlines")).isEmpty();
    }
}
