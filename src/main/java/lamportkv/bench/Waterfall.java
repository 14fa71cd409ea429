package lamportkv.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where one operation's time goes at one client, from the replicas' flight recordings
 * ({@code lamportkv.replica.Trace} events; {@code bench/waterfall.sh} makes them): for each client
 * call at the origin (the replica with the most), every event of every replica that starts
 * within it, named by replica, kind and order (the second round of replica 1 in that call is
 * {@code r1 round #2}); then, per name, the median start after the call began and the median
 * duration, over the calls where it occurs at least half the time. The events carry the shared
 * monotonic clock, so the replicas' events line up exactly.
 *
 * <p>Usage: {@code java -cp lamportkv.jar lamportkv.bench.Waterfall OUT.svg REPLICA.jfr...}:
 * prints the table, writes the chart.
 */
public final class Waterfall {
    /** One event of a recording. */
    record Span(int replica, String kind, String detail, long mono, long nanos) {
    }

    /** One line of the waterfall: medians over the calls. */
    record Step(String name, long startNanos, long nanos, int calls) {
    }

    private Waterfall() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || !args[0].endsWith(".svg")) {
            System.err.println("usage: java -cp lamportkv.jar lamportkv.bench.Waterfall OUT.svg REPLICA.jfr...");
            System.exit(2);
        }
        List<Span> spans = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            spans.addAll(read(Path.of(args[i])));
        }
        List<Step> steps = steps(spans);
        if (steps.isEmpty()) {
            System.err.println("error: no client calls in the recordings (were they made with bench/waterfall.sh?)");
            System.exit(1);
        }
        for (Step s : steps) {
            System.out.printf(Locale.ROOT, "%8.0f us  +%7.0f us  %s%n", s.startNanos() / 1e3, s.nanos() / 1e3, s.name());
        }
        Files.writeString(Path.of(args[0]), svg(steps), StandardCharsets.UTF_8);
    }

    static List<Span> read(Path recording) throws IOException {
        List<Span> spans = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            String type = e.getEventType().getName();
            if (!type.startsWith("lamportkv.")) {
                continue;
            }
            String kind = type.substring("lamportkv.".length());
            String detail = switch (kind) {
                case "PeerCall" -> " to r" + e.getInt("to");
                case "PeerBatch" -> " from r" + e.getInt("from");
                case "Round" -> (e.getBoolean("forced") ? ", forced" : "")
                        + (e.getInt("earlyAnswers") > 0 ? ", early answer" : "")
                        + (e.getInt("answers") > 0 ? ", answer" : "")
                        + (e.getInt("messages") > 0 ? ", sends" : "");
                default -> "";
            };
            spans.add(new Span(e.getInt("replica"), kind, detail, e.getLong("mono"), e.getDuration().toNanos()));
        }
        return spans;
    }

    /** The waterfall of the later half of the calls (the first half warms the JIT up). */
    static List<Step> steps(List<Span> spans) {
        Map<Integer, Long> callsBy = new TreeMap<>();
        for (Span s : spans) {
            if (s.kind().equals("ClientCall")) {
                callsBy.merge(s.replica(), 1L, Long::sum);
            }
        }
        if (callsBy.isEmpty()) {
            return List.of();
        }
        int origin = callsBy.entrySet().stream().max(Map.Entry.comparingByValue()).get().getKey();
        List<Span> calls = spans.stream().filter(s -> s.replica() == origin && s.kind().equals("ClientCall"))
                .sorted(Comparator.comparingLong(Span::mono)).toList();
        calls = calls.subList(calls.size() / 2, calls.size());
        List<Span> others = spans.stream().filter(s -> !s.kind().equals("ClientCall"))
                .sorted(Comparator.comparingLong(Span::mono)).toList();
        Map<String, List<long[]>> byName = new LinkedHashMap<>();
        List<long[]> whole = new ArrayList<>();
        int from = 0;
        for (Span call : calls) {
            whole.add(new long[] {0, call.nanos()});
            long end = call.mono() + call.nanos();
            while (from < others.size() && others.get(from).mono() < call.mono()) {
                from++;
            }
            Map<String, Integer> seen = new TreeMap<>();
            for (int i = from; i < others.size() && others.get(i).mono() <= end; i++) {
                Span s = others.get(i);
                String base = "r" + s.replica() + " " + words(s.kind());
                int k = seen.merge(base, 1, Integer::sum);
                byName.computeIfAbsent(base + " #" + k + s.detail(), n -> new ArrayList<>())
                        .add(new long[] {s.mono() - call.mono(), s.nanos()});
            }
        }
        List<Step> steps = new ArrayList<>();
        steps.add(new Step("r" + origin + " client call (the whole operation)", 0, median(whole, 1), calls.size()));
        byName.forEach((name, list) -> {
            if (list.size() * 2 >= whole.size()) {
                steps.add(new Step(name, median(list, 0), median(list, 1), list.size()));
            }
        });
        // Names with a detail vary between calls (a round that forced or not): keep the most frequent per base.
        Map<String, Step> best = new LinkedHashMap<>();
        for (Step s : steps) {
            String base = s.name().contains(",") ? s.name().substring(0, s.name().indexOf(',')) : s.name();
            best.merge(base, s, (a, b) -> a.calls() >= b.calls() ? a : b);
        }
        List<Step> result = new ArrayList<>(best.values());
        result.sort(Comparator.comparingLong(Step::startNanos).thenComparing(Step::name));
        return result;
    }

    private static String words(String kind) {
        return switch (kind) {
            case "Submitted" -> "taken by the loop";
            case "Round" -> "round";
            case "Force" -> "force";
            case "PeerCall" -> "peer call";
            case "PeerBatch" -> "peer batch in";
            default -> kind;
        };
    }

    private static long median(List<long[]> values, int field) {
        long[] sorted = values.stream().mapToLong(v -> v[field]).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    /** A horizontal bar per step, on a microsecond axis. */
    static String svg(List<Step> steps) {
        long total = steps.stream().mapToLong(s -> s.startNanos() + s.nanos()).max().orElse(1);
        int label = 330;
        int width = 960;
        int row = 22;
        int height = 40 + row * steps.size() + 30;
        double scale = (width - label - 20) / (double) total;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", width, height));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        b.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"20\" font-size=\"14\">One operation at one client:"
                + " median start and duration of each step (microseconds)</text>%n"));
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            int y = 40 + i * row;
            String colour = s.name().contains("force") ? "#d9534f" : s.name().contains("peer") ? "#5b8def"
                    : s.name().contains("client call") ? "#999999" : "#5cb85c";
            b.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\">%s</text>%n", y + 14, escape(s.name())));
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>%n",
                    label + s.startNanos() * scale, y + 2, Math.max(1, s.nanos() * scale), colour));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%.0f</text>%n",
                    label + (s.startNanos() + s.nanos()) * scale + 3, y + 14, s.nanos() / 1e3));
        }
        int axis = 40 + row * steps.size() + 10;
        long stepUs = total / 1_000 > 1_000 ? 200 : 100;
        for (long us = 0; us * 1_000 <= total; us += stepUs) {
            double x = label + us * 1_000 * scale;
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"36\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                    x, x, axis));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%d</text>%n", x - 8,
                    axis + 12, us));
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
