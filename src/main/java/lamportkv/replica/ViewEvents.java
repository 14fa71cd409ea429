package lamportkv.replica;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import lamportkv.core.Membership;
import lamportkv.core.Node;
import lamportkv.core.View;
import org.tinylog.TaggedLogger;

/**
 * Where this replica stands in the views, as people see it: one log line per change (the same
 * line goes to the dashboard's event log), and the {@link ViewSummary} that {@code status}, the
 * dashboard and the metrics read. Runs on the event loop after every round; the summary is read
 * from any thread.
 */
final class ViewEvents {
    private static final DateTimeFormatter CLOCK_TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    private final Node node;
    private final Listeners listeners;
    private final TaggedLogger log;
    private View view;
    private Membership.Condition condition;
    private long since = System.currentTimeMillis();
    private long changes;
    private volatile ViewSummary summary;

    ViewEvents(Node node, Listeners listeners, TaggedLogger log) {
        this.node = node;
        this.listeners = listeners;
        this.log = log;
        this.view = node.membership().view();
        this.condition = node.membership().condition();
        if (condition != Membership.Condition.MEMBER) {
            say(describe(condition));
        }
        publish();
    }

    ViewSummary summary() {
        return summary;
    }

    /** After a round, on the loop: say what changed. */
    void afterRound() {
        Membership m = node.membership();
        View now = m.view();
        Membership.Condition c = m.condition();
        if (now.equals(view) && c == condition) {
            if (c != Membership.Condition.MEMBER) {
                publish();      // the reach may have changed, and with it the condition's words
            }
            return;
        }
        boolean newView = now.number() != view.number();
        if (newView && (c == Membership.Condition.MEMBER || c == Membership.Condition.AWAITING_STATE)) {
            changes++;
        }
        if (condition == Membership.Condition.AWAITING_STATE && c != Membership.Condition.AWAITING_STATE
                && c != Membership.Condition.EXCLUDED && m.stateFrom() != 0) {
            var state = node.core().state();
            say(String.format("state received from replica %d: %,d keys at position %,d", m.stateFrom(),
                    state.data().size(), state.appliedCount()));
        }
        view = now;
        condition = c;
        since = System.currentTimeMillis();
        say(describe(c));
        publish();
    }

    private String describe(Membership.Condition c) {
        return switch (c) {
            case MEMBER -> "member of " + view;
            case CHANGING -> "changing views: stopped ordering in " + view;
            case EXCLUDED -> "excluded from view " + view.number() + " (members " + view.memberList() + "); rejoining";
            case JOINING -> "in " + view + " without its state (lost); asking to be added again";
            case AWAITING_STATE -> "added to " + view + "; receiving the state";
            case UNPROVEN -> "started on an empty disk: asking the other replicas whether the cluster is new";
        };
    }

    private void say(String line) {
        log.info("{}", line);
        listeners.viewEvent(view.number(), view.members(), line);
    }

    private void publish() {
        Membership m = node.membership();
        String why = m.whyNotServing();
        String condition = switch (this.condition) {
            case MEMBER -> "";
            case CHANGING -> why.contains("not in a working view") ? trim(why) : "changing views since " + time();
            case EXCLUDED -> "excluded since " + time() + "; rejoining";
            case JOINING, AWAITING_STATE -> "rejoining since " + time();
            case UNPROVEN -> "new disk: asking the others since " + time();
        };
        summary = new ViewSummary(view.number(), view.members(), condition, changes);
    }

    /** "replica 1 is not in a working view: ..." without the replica's own name (status names it already). */
    private static String trim(String why) {
        int at = why.indexOf("not in a working view");
        return at < 0 ? why : why.substring(at);
    }

    private String time() {
        return CLOCK_TIME.format(Instant.ofEpochMilli(since));
    }
}
