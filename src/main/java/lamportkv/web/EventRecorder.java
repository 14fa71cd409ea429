package lamportkv.web;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import lamportkv.core.PeerMessage;
import lamportkv.core.Request;
import lamportkv.core.RequestId;
import lamportkv.core.Result;
import lamportkv.replica.ReplicaListener;
import lamportkv.rmi.EventView;
import lamportkv.rmi.Observation;
import lamportkv.rmi.ReplicaView;

/**
 * A replica's recent events, for the dashboards: a bounded ring written by the replica's event
 * loop and read by any thread.
 *
 * <p>Recording must not slow the replica: the loop only allocates one small immutable record per
 * event (holding the message or request it already has) and publishes it with one ordered store;
 * no lock, no formatting. Readers turn records into text, off the loop. The loop is the only
 * writer (whichever thread runs its round: one at a time, under the loop's lock, so one after
 * another), so a reader sees a record completely or not at all, and detects one overwritten since
 * by its number.
 */
public final class EventRecorder implements ReplicaListener {
    /** Events kept; older ones are overwritten. A power of two. */
    static final int CAPACITY = 8192;
    /** The most events one observation carries (the newest); the rest are counted as missed. */
    public static final int MAX_EVENTS_PER_OBSERVATION = 64;
    /** Operations and results are shortened to this many characters in events. */
    static final int MAX_TEXT = 80;
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cc}\\u2028\\u2029]");

    /** A change of the replica's view, as the view protocol reported it. */
    private record ViewChange(long number, List<Integer> members, String what) {
    }

    /**
     * One event as the loop recorded it; {@code subject} is a {@link PeerMessage}, a {@link Request}
     * or a {@link ViewChange}.
     */
    private record Recorded(long seq, long wallMillis, EventView.Kind kind, long clock, int peer, long linkSeq,
                            Object subject, Result result) {
    }

    private final int self;
    private final long id = new SecureRandom().nextLong();
    private final AtomicReferenceArray<Recorded> ring = new AtomicReferenceArray<>(CAPACITY);
    /** The number of the newest event published. */
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong executed = new AtomicLong();
    private final Supplier<ReplicaView> state;
    private volatile boolean autoTick;
    // Loop thread only.
    private long next = 1;
    private long lastClock;

    /**
     * @param self  the replica's id
     * @param state the replica's current state, read when observed (not on the loop)
     */
    public EventRecorder(int self, Supplier<ReplicaView> state) {
        this.self = self;
        this.state = state;
    }

    // ---- the loop's side ---------------------------------------------------------------------

    private void record(EventView.Kind kind, long clock, int peer, long linkSeq, Object subject, Result result) {
        long seq = next++;
        lastClock = Math.max(lastClock, clock);
        ring.setRelease((int) (seq & (CAPACITY - 1)),
                new Recorded(seq, System.currentTimeMillis(), kind, clock, peer, linkSeq, subject, result));
        published.setRelease(seq);
    }

    @Override
    public void internalEvent(long clock) {
        record(EventView.Kind.TICK, clock, 0, 0, null, null);
    }

    @Override
    public void sent(int to, long linkSeq, PeerMessage message) {
        EventView.Kind kind = message instanceof PeerMessage.RequestMsg ? EventView.Kind.SEND_REQUEST
                : message instanceof PeerMessage.OkMsg ? EventView.Kind.SEND_OK : EventView.Kind.SEND_APPLY;
        record(kind, message.clock(), to, linkSeq, message, null);
    }

    @Override
    public void received(int from, long linkSeq, PeerMessage message, long clock) {
        EventView.Kind kind = message instanceof PeerMessage.RequestMsg ? EventView.Kind.RECEIVE_REQUEST
                : message instanceof PeerMessage.OkMsg ? EventView.Kind.RECEIVE_OK : EventView.Kind.RECEIVE_APPLY;
        record(kind, clock, from, linkSeq, message, null);
    }

    @Override
    public void applied(Request request, Result result) {
        boolean own = request.id().origin() == self;
        if (own) {
            executed.incrementAndGet();
        }
        // Applies do not tick the clock: the clock is the last event's (a request executed alone,
        // with no peers to ask, is applied at its own stamp).
        long clock = own ? Math.max(lastClock, request.id().ts()) : lastClock;
        record(own ? EventView.Kind.EXECUTE : EventView.Kind.APPLY, clock, 0, 0, request, result);
    }

    @Override
    public void viewEvent(long viewNumber, List<Integer> members, String what) {
        // Not an event of the ordering: it sits after the last one, as an apply does.
        record(EventView.Kind.VIEW, lastClock, 0, 0, new ViewChange(viewNumber, List.copyOf(members), what), null);
    }

    // ---- readers -----------------------------------------------------------------------------

    /** Whether this replica's dashboard makes internal events at random intervals (shown to peers). */
    void setAutoTick(boolean on) {
        autoTick = on;
    }

    boolean autoTick() {
        return autoTick;
    }

    long executed() {
        return executed.get();
    }

    /** The replica's state and its events numbered above {@code after} ({@code -1}: the newest few). */
    public Observation observe(long after) {
        ReplicaView view = state.get();
        long newest = published.getAcquire();
        long first = after < 0 ? Math.max(1, newest - MAX_EVENTS_PER_OBSERVATION + 1) : after + 1;
        // A cursor from before a restart, or from the future: start over from the newest few.
        if (after > newest) {
            first = Math.max(1, newest - MAX_EVENTS_PER_OBSERVATION + 1);
        }
        long from = Math.max(first, newest - MAX_EVENTS_PER_OBSERVATION + 1);    // the newest: the ring holds more
        long missed = Math.max(0, from - first);
        List<EventView> events = new ArrayList<>();
        for (long seq = Math.max(from, 1); seq <= newest; seq++) {
            Recorded r = ring.getAcquire((int) (seq & (CAPACITY - 1)));
            if (r == null || r.seq() != seq) {
                missed++;           // overwritten while we read
                continue;
            }
            events.add(view(r));
        }
        return new Observation(view, id, events.toArray(EventView[]::new), missed, executed.get(), autoTick);
    }

    private static EventView view(Recorded r) {
        RequestId request = null;
        String op = "";
        String result = "";
        boolean ok = true;
        long viewNumber = 0;
        int[] members = EventView.NO_MEMBERS;
        if (r.subject() instanceof ViewChange v) {
            op = shorten(v.what());
            viewNumber = v.number();
            members = v.members().stream().mapToInt(Integer::intValue).toArray();
        } else if (r.subject() instanceof PeerMessage m) {
            request = m.requestId();
            if (m instanceof PeerMessage.RequestMsg q) {
                op = text(q.request());
            } else if (m instanceof PeerMessage.ApplyMsg a) {
                result = shorten(a.result().text());
                ok = a.result().ok();
            }
        } else if (r.subject() instanceof Request q) {
            request = q.id();
            op = text(q);
        }
        if (r.result() != null) {
            result = shorten(r.result().text());
            ok = r.result().ok();
        }
        return new EventView(r.seq(), r.wallMillis(), r.kind(), r.clock(), r.peer(), r.linkSeq(),
                request == null ? 0 : request.ts(), request == null ? 0 : request.origin(), op, result, ok, viewNumber,
                members);
    }

    static String text(Request request) {
        return shorten(String.join(" ", request.op().words()));
    }

    static String shorten(String s) {
        String oneLine = CONTROL.matcher(s).replaceAll("?");
        return oneLine.length() <= MAX_TEXT ? oneLine : oneLine.substring(0, MAX_TEXT - 1) + "…";
    }
}
