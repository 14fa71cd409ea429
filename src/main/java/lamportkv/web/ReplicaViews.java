package lamportkv.web;

import java.rmi.RemoteException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lamportkv.core.PendingRequest;
import lamportkv.core.StateMachine;
import lamportkv.core.Value;
import lamportkv.replica.Replica;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.ReplicaView;

/**
 * Reads a replica's state for the dashboard: a few fields on its event loop, bounded so that a
 * large buffer or data set costs the loop no more than a glance.
 */
final class ReplicaViews {
    /** Buffer entries shown, from the head. */
    static final int MAX_PENDING = 24;
    /** Keys shown, from the first. */
    static final int MAX_KEYS = 200;

    private final Replica replica;

    ReplicaViews(Replica replica) {
        this.replica = replica;
    }

    private record Loop(long clock, int bufferLength, ReplicaView.Pending[] buffer, long applied, String digest,
                        int keyCount, String[] keys, String[] values) {
    }

    ReplicaView read() {
        Loop s = replica.inspect(this::readOnLoop);
        PeerStatus[] peers;
        int unstamped;
        ReplicaView.View view;
        try {
            ReplicaStatus status = replica.clientService().status();
            peers = status.peers();
            unstamped = status.unstamped();
            view = ReplicaView.View.of(status);
            view = new ReplicaView.View(view.number(), view.members(), EventRecorder.shorten(view.condition()),
                    view.changes());
        } catch (RemoteException | RuntimeException e) {
            peers = new PeerStatus[0];      // an in-process call: only if the replica is stopping
            unstamped = 0;
            view = new ReplicaView.View(0, new int[0], "stopping", 0);
        }
        return new ReplicaView(replica.id(), replica.address().hostPort(), s.clock(), s.bufferLength(), unstamped,
                s.buffer(), s.applied(), s.digest(), s.keyCount(), s.keys(), s.values(), peers, replica.deliveryDelayMillis(),
                view);
    }

    private Loop readOnLoop(StateMachine state) {
        List<ReplicaView.Pending> pending = new ArrayList<>();
        for (PendingRequest p : state.bufferInOrder()) {
            if (pending.size() == MAX_PENDING) {
                break;
            }
            boolean own = p.id().origin() == replica.id();
            pending.add(new ReplicaView.Pending(p.id().ts(), p.id().origin(), EventRecorder.text(p.request()),
                    own ? p.oksFrom().size() : 0, !own && p.released()));
        }
        int n = Math.min(MAX_KEYS, state.data().size());
        String[] keys = new String[n];
        String[] values = new String[n];
        int i = 0;
        for (Map.Entry<String, Value> e : state.data().entrySet()) {
            if (i == n) {
                break;
            }
            keys[i] = EventRecorder.shorten(e.getKey());
            values[i] = EventRecorder.shorten(e.getValue().render());
            i++;
        }
        return new Loop(state.clock().time(), state.bufferLength(), pending.toArray(ReplicaView.Pending[]::new),
                state.appliedCount(), state.digest(), state.data().size(), keys, values);
    }
}
