package lamportkv.replica;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * Where one operation's time goes, as JDK Flight Recorder events: recorded only while a recording
 * runs (e.g. {@code -XX:StartFlightRecording}; {@code bench/waterfall.sh} starts one in every
 * replica), otherwise each costs a check of a flag. Every event carries {@code mono}, the
 * {@link System#nanoTime()} at its start, which all processes on one machine share (Linux's
 * monotonic clock), so events of three replicas line up exactly ({@code lamportkv.bench.Waterfall}).
 */
public final class Trace {
    private Trace() {
    }

    /** Base of the events: the replica and the monotonic start. */
    @Category("lamportkv")
    @StackTrace(false)
    public abstract static class Timed extends Event {
        @Label("Replica")
        public int replica;
        @Label("Monotonic start (ns)")
        public long mono;

        /** Starts timing, if recorded. */
        public final void start(int replicaId) {
            if (isEnabled()) {
                replica = replicaId;
                mono = System.nanoTime();
                begin();
            }
        }
    }

    @Name("lamportkv.ClientCall")
    @Label("Client call")
    @Description("A client's execute call on its RMI thread, from arrival to answer")
    public static final class ClientCall extends Timed {
    }

    @Name("lamportkv.Submitted")
    @Label("Taken by the loop")
    @Description("The event loop takes a client's operation in (it is stamped at the end of the round)")
    public static final class Submitted extends Timed {
    }

    @Name("lamportkv.Round")
    @Label("Round")
    @Description("The end of an event-loop round: the node's Ready done (append, early answers, force, send, answer)")
    public static final class Round extends Timed {
        @Label("Records")
        public int records;
        @Label("Forced")
        public boolean forced;
        @Label("Early answers")
        public int earlyAnswers;
        @Label("Answers")
        public int answers;
        @Label("Messages")
        public int messages;
    }

    @Name("lamportkv.Force")
    @Label("Force")
    @Description("One force of the write-ahead log")
    public static final class Force extends Timed {
    }

    @Name("lamportkv.PeerCall")
    @Label("Peer call")
    @Description("A link's RMI call carrying a batch to a peer, until its Ack is back")
    public static final class PeerCall extends Timed {
        @Label("To")
        public int to;
        @Label("Bytes")
        public long bytes;
    }

    @Name("lamportkv.PeerBatch")
    @Label("Peer batch")
    @Description("A peer's batch arriving on an RMI thread, until its Ack leaves")
    public static final class PeerBatch extends Timed {
        @Label("From")
        public int from;
        @Label("Bytes")
        public long bytes;
    }
}
