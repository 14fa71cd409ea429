package lamportkv.replica;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import lamportkv.core.Node;
import lamportkv.core.PeerMessage;
import lamportkv.core.Request;
import lamportkv.core.Result;
import lamportkv.rmi.Reply;
import org.tinylog.TaggedLogger;

/**
 * The replica's watchers (the dashboard's events and metrics), fed by the node as things happen
 * on the loop. A listener that throws is a bug like any other on the loop: the replica stops.
 */
final class Listeners implements Node.Observer {
    private final List<ReplicaListener> all = new CopyOnWriteArrayList<>();
    private final TaggedLogger log;

    Listeners(TaggedLogger log) {
        this.log = log;
    }

    void add(ReplicaListener listener) {
        all.add(listener);
    }

    boolean isEmpty() {
        return all.isEmpty();
    }

    @Override
    public void received(int from, long seq, PeerMessage message, long clock) {
        for (ReplicaListener l : all) {
            l.received(from, seq, message, clock);
        }
    }

    @Override
    public void sent(int to, long seq, PeerMessage message) {
        for (ReplicaListener l : all) {
            l.sent(to, seq, message);
        }
    }

    @Override
    public void applied(Request request, Result result) {
        for (ReplicaListener l : all) {
            l.applied(request, result);
        }
    }

    @Override
    public void refused(int from, long seq, PeerMessage message) {
        log.error("refused message {} from replica {}: the protocol does not allow {}", seq, from, message);
    }

    void internalEvent(long clock) {
        for (ReplicaListener l : all) {
            l.internalEvent(clock);
        }
    }

    /** For the view protocol, on the loop: see {@link ReplicaListener#viewEvent}. */
    void viewEvent(long viewNumber, List<Integer> members, String what) {
        for (ReplicaListener l : all) {
            l.viewEvent(viewNumber, members, what);
        }
    }

    void batchReceived(int from, int bytes) {
        for (ReplicaListener l : all) {
            l.batchReceived(from, bytes);
        }
    }

    void forced(long nanos) {
        for (ReplicaListener l : all) {
            l.forced(nanos);
        }
    }

    /** On the client's thread. */
    void answered(String verb, Reply.Status status, long nanos) {
        for (ReplicaListener l : all) {
            l.answered(verb, status, nanos);
        }
    }
}
