package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ReportTest {
    /** The field names the etcd reference load prints (shared/peers/etcd/src/main/java/EtcdLoad.java), in order. */
    static final List<String> ETCD_FIELDS = List.of("system", "clients", "seconds", "ops", "ops_per_s",
            "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "errors");

    @Test
    void jsonHasTheEtcdFieldsInTheirOrderThenOurs() {
        Histogram h = new Histogram(3);
        for (int us = 1; us <= 1000; us++) {
            h.recordValue(us);
        }
        String json = Report.of(64, 3, Mix.parse("set:100"), 2.0, h, 7, 4, 17.04, 81.26, 3, "first", "callbacks").json();

        assertThat(json).doesNotContain("\n");
        Map<String, String> fields = JsonLine.parse(json);
        List<String> expected = new ArrayList<>(ETCD_FIELDS);
        expected.addAll(List.of("replicas", "mix", "retries", "warmup_s", "cpu_us_per_op", "cpu_replicas", "routing",
                "clients_as"));
        assertThat(new ArrayList<>(fields.keySet())).isEqualTo(expected);
        assertThat(fields).containsEntry("system", "lamportkv").containsEntry("clients", "64")
                .containsEntry("seconds", "2.0").containsEntry("ops", "1000").containsEntry("ops_per_s", "500")
                .containsEntry("errors", "7").containsEntry("replicas", "3").containsEntry("mix", "set:100")
                .containsEntry("retries", "4").containsEntry("warmup_s", "17.0").containsEntry("cpu_us_per_op", "81.3")
                .containsEntry("cpu_replicas", "3").containsEntry("routing", "first")
                .containsEntry("clients_as", "callbacks");
        assertThat(Long.parseLong(fields.get("p50_us"))).isBetween(499L, 501L);
        assertThat(Long.parseLong(fields.get("p99_us"))).isBetween(989L, 991L);
        assertThat(fields.get("max_us")).isEqualTo("1000");
    }

    @Test
    void emptyRunReportsZeros() {
        Report r = Report.of(1, 3, Mix.parse("get:1"), 1.0, new Histogram(3), 0, 0, 3, -1, 2, "spread", "threads");
        assertThat(JsonLine.parse(r.json())).containsEntry("ops", "0").containsEntry("ops_per_s", "0")
                .containsEntry("p50_us", "0").containsEntry("max_us", "0").containsEntry("retries", "0")
                .containsEntry("cpu_us_per_op", "-1");
    }

    @Test
    void tableShowsMillisecondsAndThroughput() {
        Report r = new Report("lamportkv", 4, 3, "set:100", 10.0, 12_345, 1_500, 2_000, 3_000, 4_000, 12_000, 2, 9, 3,
                75.25, 3, "first", "callbacks");
        assertThat(String.join("\n", r.table()))
                .contains("1,235 ops/s", "12,345 ops in 10.0 s", "1.500", "2.000", "3.000", "4.000", "12.000",
                        "p99.9")
                .containsPattern("errors +2\n")
                .containsPattern("retries +9\n")
                .containsPattern("cpu/op +75.3 us \\(3 replicas and this bench\\)$");
    }

    @Test
    void jsonStringsAreEscaped() {
        String json = new Json().field("a\"b", "x\\y\n\u0001\u2028").field("n", 5).number("f", "1.5").toString();
        assertThat(json).isEqualTo("{\"a\\\"b\":\"x\\\\y\\n\\u0001\\u2028\",\"n\":5,\"f\":1.5}");
        assertThatThrownBy(() -> new Json().number("f", "NaN")).isInstanceOf(IllegalArgumentException.class);
    }
}
