package lamportkv.web;

import java.rmi.RemoteException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lamportkv.core.Locks;
import lamportkv.core.PendingRequest;
import lamportkv.core.StateMachine;
import lamportkv.core.Value;
import lamportkv.replica.Replica;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.ReplicaView;

/**
 * Reads a replica's state for the dashboard: a few fields on its event loop, bounded so that a
 * large buffer, data set or lock table costs the loop little and the observation stays small.
 */
final class ReplicaViews {
    /** Buffer entries shown, from the head. */
    static final int MAX_PENDING = 24;
    /** Keys shown, from the first. */
    static final int MAX_KEYS = 200;
    /** Held locks shown, by name. */
    static final int MAX_LOCKS = 24;

    private final Replica replica;

    ReplicaViews(Replica replica) {
        this.replica = replica;
    }

    private record Loop(long clock, int bufferLength, ReplicaView.Pending[] buffer, long applied, String digest,
                        int keyCount, String[] keys, String[] values, int lockCount, ReplicaView.Lock[] locks) {
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
                view, s.lockCount(), s.locks());
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
        // Only the first few travel to the pages: a glance at them costs no more than they do.
        List<Locks.Held> held = state.locks().held(MAX_LOCKS);
        ReplicaView.Lock[] locks = new ReplicaView.Lock[Math.min(MAX_LOCKS, held.size())];
        for (int k = 0; k < locks.length; k++) {
            Locks.Held h = held.get(k);
            locks[k] = new ReplicaView.Lock(EventRecorder.shorten(h.name()), h.token(), h.expiresAtMillis(), h.waiting());
        }
        return new Loop(state.clock().time(), state.bufferLength(), pending.toArray(ReplicaView.Pending[]::new),
                state.appliedCount(), state.digest(), state.data().size(), keys, values, state.locks().heldCount(), locks);
    }
}
