package lamportkv.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * The outcome of one benchmark run: what the etcd reference load prints (same field names and
 * units: latencies in microseconds), plus how the cluster and the load were shaped.
 *
 * @param seconds  the measured interval, warm-up excluded
 * @param ops      operations answered OK in that interval
 * @param errors   operations that finally failed in that interval, retries included: answered
 *                 FAILED, REFUSED, NOT_APPLIED or TIMEOUT, or no replica could take them in time
 * @param retries  attempts sent again in that interval, to the next replica, after one that got no
 *                 answer or was answered UNAVAILABLE or ABANDONED (the same command: it applies once)
 * @param warmupSeconds the warm-up actually used (fixed, or until the rate stopped rising)
 * @param cpuUsPerOp    CPU time of the replicas and the bench over the measured interval, per
 *                      operation, in microseconds; -1 if some replica's could not be read
 * @param cpuReplicas   how many replicas' CPU time was read
 * @param routing       how the bench's clients chose their replica: {@code first} (all to one, the
 *                      client library's default) or {@code spread} (round-robin)
 * @param clientsAs     what the bench's clients are: {@code callbacks} (chains of operations that do
 *                      not wait, {@code LamportKv.executeAsync}) or {@code threads} (one each, waiting)
 */
public record Report(String system, int clients, int replicas, String mix, double seconds, long ops,
                     long p50Us, long p90Us, long p99Us, long p999Us, long maxUs, long errors, long retries,
                     double warmupSeconds, double cpuUsPerOp, int cpuReplicas, String routing,
                     String clientsAs) {

    public static final String SYSTEM = "lamportkv";

    /** The report of a run whose OK latencies (in microseconds) are in {@code histogram}. */
    public static Report of(int clients, int replicas, Mix mix, double seconds, Histogram histogram, long errors,
                            long retries, double warmupSeconds, double cpuUsPerOp, int cpuReplicas, String routing,
                            String clientsAs) {
        return new Report(SYSTEM, clients, replicas, mix.toString(), seconds, histogram.getTotalCount(),
                histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(90),
                histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9),
                histogram.getMaxValue(), errors, retries, warmupSeconds, cpuUsPerOp, cpuReplicas, routing, clientsAs);
    }

    public double opsPerSecond() {
        return seconds > 0 ? ops / seconds : 0;
    }

    /**
     * One JSON line. The fields the etcd load prints come first, in its order and format
     * ({@code seconds} with one decimal, {@code ops_per_s} rounded to an integer); then
     * {@code replicas}, {@code mix}, {@code retries}, {@code warmup_s}, {@code cpu_us_per_op},
     * {@code cpu_replicas}, {@code routing} and {@code clients_as}.
     */
    public String json() {
        return new Json()
                .field("system", system)
                .field("clients", clients)
                .number("seconds", String.format(Locale.ROOT, "%.1f", seconds))
                .field("ops", ops)
                .number("ops_per_s", String.format(Locale.ROOT, "%.0f", opsPerSecond()))
                .field("p50_us", p50Us)
                .field("p90_us", p90Us)
                .field("p99_us", p99Us)
                .field("p999_us", p999Us)
                .field("max_us", maxUs)
                .field("errors", errors)
                .field("replicas", replicas)
                .field("mix", mix)
                .field("retries", retries)
                .number("warmup_s", String.format(Locale.ROOT, "%.1f", warmupSeconds))
                .number("cpu_us_per_op", cpuUsPerOp < 0 ? "-1" : String.format(Locale.ROOT, "%.1f", cpuUsPerOp))
                .field("cpu_replicas", cpuReplicas)
                .field("routing", routing)
                .field("clients_as", clientsAs)
                .toString();
    }

    /** The human-readable table. */
    public List<String> table() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-12s %,.0f ops/s  (%,d ops in %.1f s)", "throughput",
                opsPerSecond(), ops, seconds));
        lines.add(String.format(Locale.ROOT, "%-12s %10s %10s %10s %10s %10s", "latency (ms)",
                "p50", "p90", "p99", "p99.9", "max"));
        lines.add(String.format(Locale.ROOT, "%-12s %10s %10s %10s %10s %10s", "",
                ms(p50Us), ms(p90Us), ms(p99Us), ms(p999Us), ms(maxUs)));
        lines.add(String.format(Locale.ROOT, "%-12s %,d", "errors", errors));
        lines.add(String.format(Locale.ROOT, "%-12s %,d", "retries", retries));
        lines.add(cpuUsPerOp < 0
                ? String.format(Locale.ROOT, "%-12s unknown (the CPU time of %d of %d replicas was read)", "cpu/op",
                        cpuReplicas, replicas)
                : String.format(Locale.ROOT, "%-12s %.1f us (%d replicas and this bench)", "cpu/op", cpuUsPerOp,
                        cpuReplicas));
        return lines;
    }

    private static String ms(long micros) {
        return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
    }
}
