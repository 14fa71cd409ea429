package lamportkv.web;

import java.rmi.NotBoundException;
import java.rmi.RemoteException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.EventView;
import lamportkv.rmi.Observation;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.ReplicaView;
import lamportkv.rmi.Rmi;
import lamportkv.web.JsonModel.DataJson;
import lamportkv.web.JsonModel.EntryJson;
import lamportkv.web.JsonModel.EventJson;
import lamportkv.web.JsonModel.LockJson;
import lamportkv.web.JsonModel.PeerJson;
import lamportkv.web.JsonModel.PendingJson;
import lamportkv.web.JsonModel.ReplicaJson;
import lamportkv.web.JsonModel.ViewJson;

/**
 * The whole cluster as one dashboard sees it: every replica's latest state and the events of all
 * of them, merged. One thread per replica asks it ({@link PeerService#observe}; this replica
 * in-process) every {@link #POLL_MILLIS} while anyone watches, so a slow or stopped replica
 * delays only its own lane, and nobody watching costs the cluster nothing.
 */
final class ClusterWatcher implements AutoCloseable {
    static final long POLL_MILLIS = 250;
    /** Between tries at a replica that did not answer. */
    static final long RETRY_MILLIS = 1_000;
    /** Without subscribers, polling stops this long after the last API request. */
    static final long IDLE_AFTER_MILLIS = 30_000;
    /** Events kept for newcomers and for {@code /api/cluster}. */
    static final int RECENT_EVENTS = 1_500;

    /** One replica, as last seen. Guarded by the watcher's lock. */
    private static final class Member {
        final ReplicaAddress address;
        final String dashboard;
        Observation last;
        long lastSeen;
        long lastTry;
        boolean reachable;
        String error = "not asked yet";
        long unreachableSince;
        long recorder;
        long cursor = -1;

        Member(ReplicaAddress address, String dashboard) {
            this.address = address;
            this.dashboard = dashboard;
        }
    }

    /** An event with its place in the order this dashboard learned of events. */
    record Arrived(long number, EventJson event) {
    }

    private final int self;
    private final EventRecorder local;
    private final Map<Integer, Member> members = new LinkedHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Arrived> recent = new ArrayDeque<>();
    private long arrivals;
    private long missedEvents;
    private long version;
    private long demandUntil;
    private int subscribers;
    private boolean closed;
    private final List<Thread> threads = new ArrayList<>();

    ClusterWatcher(ClusterConfig config, int self, EventRecorder local) {
        this.self = self;
        this.local = local;
        for (ReplicaAddress a : config.replicas()) {
            String dashboard = config.httpPort(a.id()).isPresent()
                    ? "http://" + (a.host().contains(":") ? "[" + a.host() + "]" : a.host()) + ":"
                    + config.httpPort(a.id()).getAsInt() + "/" : "";
            members.put(a.id(), new Member(a, dashboard));
        }
    }

    void start() {
        for (Member m : members.values()) {
            Thread t = new Thread(() -> watch(m), "dashboard-" + self + "-watch-" + m.address.id());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    // ---- demand ------------------------------------------------------------------------------

    /** Someone asked through the API: keep watching for a while. */
    void touch() {
        lock.lock();
        try {
            demandUntil = System.currentTimeMillis() + IDLE_AFTER_MILLIS;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void subscribed(int delta) {
        lock.lock();
        try {
            subscribers += delta;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private boolean active() {
        return subscribers > 0 || System.currentTimeMillis() < demandUntil;
    }

    /** Waits until every replica was tried after {@code since} (at most {@code millis}). */
    void awaitFresh(long since, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        lock.lock();
        try {
            while (members.values().stream().anyMatch(m -> m.lastTry < since)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until something changed after {@code seen} (a {@link #version()}), at most {@code millis}. */
    long awaitChange(long seen, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        lock.lock();
        try {
            while (version == seen && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
            return version;
        } finally {
            lock.unlock();
        }
    }

    // ---- polling -----------------------------------------------------------------------------

    private void watch(Member m) {
        PeerService stub = null;
        while (true) {
            lock.lock();
            try {
                while (!closed && !active()) {
                    changed.await(1, TimeUnit.SECONDS);
                }
                if (closed) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            long cursor;
            lock.lock();
            try {
                cursor = m.cursor;
            } finally {
                lock.unlock();
            }
            boolean ok;
            try {
                Observation o;
                if (m.address.id() == self) {
                    o = local.observe(cursor);
                } else {
                    if (stub == null) {
                        stub = Rmi.peerService(m.address.host(), m.address.port());
                    }
                    o = stub.observe(cursor);
                }
                seen(m, o, cursor);
                ok = true;
            } catch (RemoteException | NotBoundException | RuntimeException e) {
                stub = null;
                failed(m, Rmi.rootMessage(e));
                ok = false;
            }
            if (!pause(ok ? POLL_MILLIS : RETRY_MILLIS)) {
                return;
            }
        }
    }

    /** Sleeps {@code millis} (other replicas' news do not cut it short); false once closed. */
    private boolean pause(long millis) {
        lock.lock();
        try {
            long left = TimeUnit.MILLISECONDS.toNanos(millis);
            while (!closed && left > 0) {
                left = changed.awaitNanos(left);
            }
            return !closed;
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void seen(Member m, Observation o, long cursor) {
        lock.lock();
        try {
            long now = System.currentTimeMillis();
            boolean restarted = m.recorder != o.recorder() && m.last != null;
            // Unchanged since the last look: nothing to tell the pages (the stream stays quiet).
            boolean same = m.last != null && m.reachable && !restarted && o.events().length == 0
                    && replicaJson(o, "", true, "", 0, 0, 0).equals(replicaJson(m.last, "", true, "", 0, 0, 0));
            if (cursor >= 0 && !restarted) {
                missedEvents += o.missed();
            }
            m.recorder = o.recorder();
            m.last = o;
            m.lastSeen = now;
            m.lastTry = now;
            m.reachable = true;
            m.error = "";
            m.unreachableSince = 0;
            m.cursor = o.next(restarted ? -1 : cursor);
            for (EventView e : o.events()) {
                recent.addLast(new Arrived(++arrivals, event(m.address.id(), o.recorder(), e)));
                if (recent.size() > RECENT_EVENTS) {
                    recent.removeFirst();
                }
            }
            if (!same) {
                version++;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void failed(Member m, String why) {
        lock.lock();
        try {
            long now = System.currentTimeMillis();
            if (m.reachable || m.unreachableSince == 0) {
                m.unreachableSince = now;
            }
            m.reachable = false;
            m.error = why;
            m.lastTry = now;
            version++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- what the API shows ------------------------------------------------------------------

    /** A consistent picture: replicas, their data, events that arrived after {@code afterArrival}. */
    record Picture(long version, List<ReplicaJson> replicas, Map<Integer, DataJson> data, Map<Integer, Long> applied,
                   List<Arrived> events, long missedEvents) {
    }

    Picture picture(long afterArrival, int maxEvents) {
        lock.lock();
        try {
            List<ReplicaJson> replicas = new ArrayList<>();
            Map<Integer, DataJson> data = new LinkedHashMap<>();
            Map<Integer, Long> applied = new LinkedHashMap<>();
            for (Member m : members.values()) {
                replicas.add(replica(m));
                if (m.last != null) {
                    data.put(m.address.id(), data(m.last.replica()));
                    applied.put(m.address.id(), m.last.replica().applied());
                }
            }
            List<Arrived> events = new ArrayList<>();
            for (Arrived a : recent) {
                if (a.number() > afterArrival) {
                    events.add(a);
                }
            }
            if (events.size() > maxEvents) {
                events = new ArrayList<>(events.subList(events.size() - maxEvents, events.size()));
            }
            return new Picture(version, replicas, data, applied, events, missedEvents);
        } finally {
            lock.unlock();
        }
    }

    int selfId() {
        return self;
    }

    boolean has(int id) {
        return members.containsKey(id);
    }

    ReplicaAddress address(int id) {
        return members.get(id).address;
    }

    /** Replica ids, in order. */
    List<Integer> ids() {
        return Collections.unmodifiableList(new ArrayList<>(members.keySet()));
    }

    /** The dashboard URL of replica {@code id}, or "" if it has none. */
    String dashboard(int id) {
        return members.get(id).dashboard;
    }

    private ReplicaJson replica(Member m) {
        if (m.last == null) {
            return new ReplicaJson(m.address.id(), m.address.hostPort(), m.dashboard, m.reachable, m.error,
                    m.unreachableSince, 0, 0, 0, 0, List.of(), 0, 0, "", 0, List.of(), 0, false,
                    new ViewJson(0, List.of(), "", 0), 0, List.of());
        }
        return replicaJson(m.last, m.dashboard, m.reachable, m.error, m.unreachableSince, m.lastSeen, members.size() - 1);
    }

    /** A replica's JSON from its observation, as this dashboard last reached it. */
    static ReplicaJson replicaJson(Observation o, String dashboard, boolean reachable, String error,
                                   long unreachableSince, long lastSeen, int others) {
        ReplicaView v = o.replica();
        List<PendingJson> buffer = new ArrayList<>();
        for (ReplicaView.Pending p : v.buffer()) {
            buffer.add(new PendingJson(p.ts(), p.origin(), p.op(), p.oks(), p.origin() == v.id() ? others : 0,
                    p.released()));
        }
        List<PeerJson> peers = new ArrayList<>();
        for (PeerStatus p : v.peers()) {
            peers.add(new PeerJson(p.id(), p.address(), p.reachable(), p.unreachableSinceMillis(), p.waiting()));
        }
        List<LockJson> locks = new ArrayList<>();
        for (ReplicaView.Lock l : v.locks()) {
            locks.add(new LockJson(l.name(), l.token(), l.expiresAtMillis(), l.waiting()));
        }
        ReplicaView.View view = v.view();
        return new ReplicaJson(v.id(), v.address(), dashboard, reachable, error, unreachableSince, lastSeen,
                v.clock(), v.bufferLength(), v.unstamped(), buffer, v.applied(), o.executed(), v.digest(), v.keyCount(), peers,
                v.deliveryDelayMillis(), o.autoTick(), new ViewJson(view.number(), list(view.members()), view.condition(),
                view.changes()), v.lockCount(), locks);
    }

    private static List<Integer> list(int[] ids) {
        return Arrays.stream(ids).boxed().toList();
    }

    static DataJson data(ReplicaView v) {
        String[] keys = v.keys();
        String[] values = v.values();
        List<EntryJson> entries = new ArrayList<>(keys.length);
        for (int i = 0; i < keys.length; i++) {
            entries.add(new EntryJson(keys[i], values[i]));
        }
        return new DataJson(v.id(), v.keyCount(), entries);
    }

    static EventJson event(int replica, long recorder, EventView e) {
        String kind;
        String message = "";
        switch (e.kind()) {
            case TICK -> kind = "tick";
            case SEND_REQUEST, SEND_OK, SEND_APPLY -> {
                kind = "send";
                message = e.kind().name().substring("SEND_".length());
            }
            case RECEIVE_REQUEST, RECEIVE_OK, RECEIVE_APPLY -> {
                kind = "receive";
                message = e.kind().name().substring("RECEIVE_".length());
            }
            case EXECUTE -> kind = "execute";
            case APPLY -> kind = "apply";
            case VIEW -> kind = "view";
            default -> throw new IllegalArgumentException("no JSON for events of kind " + e.kind());
        }
        String request = e.requestTs() == 0 ? "" : e.requestTs() + "." + e.requestOrigin();
        String id = replica + "." + Long.toHexString(recorder & 0xffffffL) + "." + e.seq();
        return new EventJson(id, replica, e.seq(), e.wallMillis(), kind, message, e.clock(), e.peer(), e.linkSeq(),
                request, e.requestTs(), e.requestOrigin(), e.op(), e.result(), e.ok(), e.view(), list(e.members()));
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
