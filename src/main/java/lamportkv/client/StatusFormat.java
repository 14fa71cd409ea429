package lamportkv.client;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.ReplicaStatus;

/** The lines {@code status} prints. */
final class StatusFormat {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private StatusFormat() {
    }

    /** {@code clock} gives "now" and the time zone for "unreachable since". */
    static List<String> lines(ReplicaStatus s, Clock clock) {
        List<String> lines = new ArrayList<>();
        lines.add("replica " + s.id() + " at " + s.address());
        lines.add(view(s));
        lines.add("clock:   " + s.clock());
        lines.add("buffer:  " + count(s.bufferLength(), "request") + " waiting to be applied"
                + (s.unstamped() == 0 ? "" : "; " + count(s.unstamped(), "operation") + " queued to be stamped"));
        lines.add("applied: " + count(s.applied(), "operation"));
        lines.add("digest:  " + s.digest());
        lines.add("clients: " + s.clients() + " remembered for retries");
        Arrays.stream(s.peers())
                .sorted(Comparator.comparingInt(PeerStatus::id))
                .forEach(p -> lines.add(peer(p, clock)));
        return lines;
    }

    /** {@code view:    5 (members 1 2 3)}, and why the replica takes no operations if it does not. */
    private static String view(ReplicaStatus s) {
        String members = Arrays.stream(s.viewMembers()).mapToObj(String::valueOf).collect(Collectors.joining(" "));
        return "view:    " + s.viewNumber() + " (members " + members + ")"
                + (s.viewCondition().isEmpty() ? "" : "; " + s.viewCondition());
    }

    private static String peer(PeerStatus p, Clock clock) {
        String line = "peer " + p.id() + " at " + p.address() + ": ";
        if (p.reachable()) {
            line += "reachable";
        } else if (p.unreachableSinceMillis() == 0) {
            line += "not contacted yet";   // no message has had to go there since this replica started
        } else {
            Instant since = Instant.ofEpochMilli(p.unreachableSinceMillis());
            long seconds = Math.max(0, (clock.millis() - p.unreachableSinceMillis()) / 1000);
            line += "unreachable since " + TIME.format(since.atZone(clock.getZone())) + " (for " + duration(seconds) + ")";
        }
        if (p.waiting() > 0) {
            line += ", " + count(p.waiting(), "operation") + " waiting for it";
        }
        return line;
    }

    /** {@code 42s}, {@code 3m05s}, {@code 2h07m}: as precise as a glance needs. */
    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format("%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format("%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }

    private static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
