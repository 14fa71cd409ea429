package lamportkv.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's HTTP API as JSON (Jackson maps these records field by field). Times are epoch
 * milliseconds; absent text is {@code ""} and absent times are {@code 0}, never null.
 */
public final class JsonModel {
    private JsonModel() {
    }

    /** Every error answer: one line saying what was wrong. */
    public record ErrorJson(String error) {
    }

    /** A request waiting in a buffer; {@code oks} of {@code oksNeeded} at its origin. */
    public record PendingJson(long ts, int origin, String op, int oks, int oksNeeded, boolean released) {
    }

    /**
     * A replica's view, as its {@code status} gives it.
     *
     * @param condition "" while it is a working member, else why it takes no client operations
     * @param changes   views it installed since it started
     */
    public record ViewJson(long number, List<Integer> members, String condition, long changes) {
    }

    /** What a replica knows of one of its peers (its own link to it). */
    public record PeerJson(int id, String address, boolean reachable, long unreachableSince, int waiting) {
    }

    /**
     * A lock the replica's lock table holds.
     *
     * @param token     its holder's fencing token
     * @param expiresAt when the holder's lease ends unless renewed, in the order's time
     * @param waiting   requests in line for it
     */
    public record LockJson(String name, long token, long expiresAt, int waiting) {
    }

    /**
     * One replica as the serving dashboard sees it.
     *
     * @param reachable   whether the serving dashboard reached it at its last try
     * @param error       why it was not reached, or ""
     * @param lastSeen    when its state below was read (0: never)
     * @param unstamped   client operations it holds back, not stamped yet, until its own requests leave its buffer
     * @param executed    operations it executed as their origin since it started
     * @param slowMotion  the delay it puts on each incoming batch of messages, 0 when off
     * @param autoTick    whether its dashboard makes internal events at random intervals
     * @param view        its view (number 0 and no members before it was reached)
     * @param lockCount   locks held; {@code locks} holds the first of them, by name
     */
    public record ReplicaJson(int id, String address, String dashboard, boolean reachable, String error,
                              long unreachableSince, long lastSeen, long clock, int bufferLength,
                              int unstamped, List<PendingJson> buffer, long applied, long executed, String digest, int keyCount,
                              List<PeerJson> peers, long slowMotion, boolean autoTick, ViewJson view, int lockCount,
                              List<LockJson> locks) {
    }

    public record EntryJson(String key, String value) {
    }

    /** The first keys of one replica's data, sorted; {@code keyCount} in all. */
    public record DataJson(int replica, int keyCount, List<EntryJson> entries) {
    }

    /**
     * One event at one replica.
     *
     * @param id      unique in the cluster: replica, recorder and number
     * @param kind    {@code tick}, {@code send}, {@code receive}, {@code execute} (the origin applies
     *                its own request), {@code apply} (another replica's request), {@code view} (its
     *                place in the views changed; {@code op} says how, in words)
     * @param message for sends and receives: {@code REQUEST}, {@code OK} or {@code APPLY}, else ""
     * @param peer    for sends the receiver, for receives the sender, else 0
     * @param link    the link sequence number: a send and its receive have the same (from, to, link)
     * @param request the request's id {@code "ts.origin"}, or "" for a tick or a view event
     * @param view    for a view event, the view's number, else 0
     * @param members for a view event, the view's members, else empty
     */
    public record EventJson(String id, int replica, long seq, long time, String kind, String message, long clock,
                            int peer, long link, String request, long requestTs, int requestOrigin, String op,
                            String result, boolean ok, long view, List<Integer> members) {
    }

    /** The switches of the serving replica. */
    public record SwitchesJson(boolean autoTick, long slowMotion) {
    }

    /** {@code GET /api/status}. */
    public record StatusJson(ReplicaJson replica, DataJson data) {
    }

    /** {@code GET /api/cluster} and the first message of {@code /api/events}. */
    public record ClusterJson(int self, long time, List<ReplicaJson> replicas, List<DataJson> data,
                              SwitchesJson switches, List<EventJson> events, long missedEvents) {
    }

    /** Later messages of {@code /api/events}: data only of replicas whose data may have changed. */
    public record UpdateJson(long time, List<ReplicaJson> replicas, List<DataJson> data, SwitchesJson switches,
                             List<EventJson> events, long missedEvents) {
    }

    // ---- requests and their answers ----------------------------------------------------------

    public record TickRequest(Integer replica) {
    }

    public record TickResult(int replica, long clock) {
    }

    /**
     * An operation's arguments by name, as in the shell's usage ({@link Controls#OPERATIONS} says
     * which each takes): {@code key}; {@code value}, the value of {@code set}, the number of
     * {@code add} and {@code mult}, the new value of {@code cas}; {@code expected}, what
     * {@code cas} expects KEY to hold ({@code (nil)}: absent); {@code name}, a lock's; {@code ttl}
     * and {@code wait} of {@code lock}, in seconds; {@code token}, the number {@code lock} printed.
     */
    public record OpRequest(Integer replica, String op, String key, String value, String expected, String name,
                            String ttl, @JsonProperty("wait") String waitFor, String token) {
    }

    /** @param status {@code OK}, or {@code FAILED}: ordered and applied everywhere, and failed everywhere */
    public record OpResult(int replica, String command, String status, String result) {
    }

    /** @param local set this replica only (dashboards use it to pass a switch on to each other) */
    public record SwitchRequest(Boolean on, Boolean local) {
    }

    /** @param replicas per replica id: "on", "off", or why it could not be set */
    public record SwitchResult(boolean on, Map<String, String> replicas) {
    }
}
