package lamportkv.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A replica's view as its {@code status} prints it, and waiting for views, for the fault tests
 * of PROTOCOL.md's "Views". The one place that reads the {@code view:} line: the format is being
 * added by another change at the same time, so if it comes out differently, adjust {@link #LINE}
 * (and {@link #parse}) only.
 *
 * <p>Expected: {@code view:    4 (members 1 2 3)}: the view number, then the member ids.
 */
final class ViewStatus {
    /** What {@code view.suspect.seconds} defaults to (the tests leave it unset): a member silent this long is suspected. */
    static final Duration SUSPECT = Duration.ofSeconds(2);
    /**
     * How long a view change may take in these tests, from the fault to the new view: the
     * suspicion, a few round trips, and a wide margin for two cores running every JVM of the test.
     */
    static final Duration VIEW_CHANGE_WITHIN = SUSPECT.plusSeconds(13);
    /** How long a restarted, resumed or healed replica may take to be a member again (incl. its JVM's start and state transfer). */
    static final Duration REJOIN_WITHIN = Duration.ofSeconds(45);

    /**
     * What a client is told by a replica that cannot reach a majority (not a member of a view
     * that works: cut off, or alone with the others frozen), in its error message.
     */
    static final String NO_WORKING_VIEW = "is not in a working view";

    /** {@code view: <n> (members <id> <id> ...)}; ids separated by spaces or commas. */
    private static final Pattern LINE = Pattern.compile("view:\\s*([0-9]+)\\s*\\(members?:?\\s*([0-9][0-9 ,]*)\\).*");

    /** A view: its number and its members. */
    record View(long number, SortedSet<Integer> members) {
        boolean has(int id) {
            return members.contains(id);
        }

        @Override
        public String toString() {
            return number + " " + members;
        }
    }

    private ViewStatus() {
    }

    /** The view named by a {@code view:} line among {@code statusLines}; empty if there is none. */
    static Optional<View> parse(List<String> statusLines) {
        for (String line : statusLines) {
            Matcher m = LINE.matcher(line.strip());
            if (m.matches()) {
                SortedSet<Integer> members = new TreeSet<>();
                for (String id : m.group(2).strip().split("[ ,]+")) {
                    members.add(Integer.parseInt(id));
                }
                return Optional.of(new View(Long.parseLong(m.group(1)), members));
            }
        }
        return Optional.empty();
    }

    /**
     * Waits until every replica of {@code asked} reports the same view, whose members are exactly
     * {@code members}; returns it. A replica that does not answer (yet) counts as not there.
     */
    static View awaitMembers(ProcessCluster cluster, Collection<Integer> asked, Set<Integer> members, Duration within,
                             String why) throws Exception {
        Map<Integer, String> seen = new TreeMap<>();
        View[] agreed = new View[1];
        ProcessCluster.await(() -> {
            seen.clear();
            List<View> views = new ArrayList<>();
            for (int id : asked) {
                try {
                    List<String> status = cluster.status(id);
                    Optional<View> view = parse(status);
                    seen.put(id, view.map(View::toString).orElse("no view: line in " + status));
                    view.ifPresent(views::add);
                } catch (AssertionError noAnswer) {
                    seen.put(id, noAnswer.getMessage());
                }
            }
            boolean same = views.size() == asked.size() && views.stream().distinct().count() == 1
                    && views.get(0).members().equals(new TreeSet<>(members));
            agreed[0] = same ? views.get(0) : null;
            return same;
        }, within, "replicas " + asked + " to report one view with members " + new TreeSet<>(members) + " (" + why + ")",
                () -> "they report " + seen + logs(cluster, asked));
        return agreed[0];
    }

    private static String logs(ProcessCluster cluster, Collection<Integer> ids) {
        StringBuilder text = new StringBuilder();
        for (int id : cluster.ids()) {
            text.append("\n--- replica ").append(id).append(ids.contains(id) ? "" : " (not asked)").append(":\n")
                    .append(cluster.tail(id));
        }
        return text.toString();
    }
}
