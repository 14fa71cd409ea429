package lamportkv.client;

import java.util.concurrent.ScheduledFuture;

/**
 * A held lock ({@link LamportKv#lock}): its fencing token, renewed in the background every third
 * of its TTL while held, released by {@link #close()}.
 *
 * <p><b>Fencing.</b> A lease can end early: the order measures it from the replicas' clocks, a
 * paused program misses its renewals, a network cut keeps them from arriving. So a holder must not
 * trust that it still holds the lock; it passes {@link #token()} to whatever the lock guards, and
 * the guarded resource refuses any token smaller than the largest it has seen. Every grant's token
 * is larger than every earlier grant's of the same lock.
 */
public final class Lock implements AutoCloseable {
    /** A granted request's token. */
    record Grant(long token) {
    }

    private final LamportKv kv;
    private final String name;
    private final long token;
    private volatile ScheduledFuture<?> renewal;
    private volatile boolean held = true;

    Lock(LamportKv kv, String name, long token, long ttlMillis, Renewals renewals) {
        this.kv = kv;
        this.name = name;
        this.token = token;
        this.renewal = renewals.every(Math.max(1, ttlMillis / 3), this::renew);
    }

    /** The lock's name. */
    public String name() {
        return name;
    }

    /** The fencing token: larger than every earlier grant's of this lock. */
    public long token() {
        return token;
    }

    /**
     * False once a renewal found the lease gone (it ended before it was renewed) or the lock was
     * released. True says only that the last renewal succeeded: fence with {@link #token()}.
     */
    public boolean held() {
        return held;
    }

    private void renew() {
        try {
            if (kv.execute("renew", name, String.valueOf(token)).equals("0")) {
                held = false;
                ScheduledFuture<?> r = renewal;
                if (r != null) {
                    r.cancel(false);
                }
            }
        } catch (KvException | IllegalStateException e) {
            // The next renewal tries again; the lease may lapse meanwhile, which the token guards against.
        }
    }

    /**
     * Releases the lock (if this token still holds it) and stops renewing. If the cluster cannot
     * be reached, the lease ends by its TTL instead: nothing renews it any more.
     */
    @Override
    public void close() {
        ScheduledFuture<?> r = renewal;
        if (r != null) {
            r.cancel(false);
        }
        if (held) {
            held = false;
            try {
                kv.execute("unlock", name, String.valueOf(token));
            } catch (KvException e) {
                // Its lease lapses by itself.
            }
        }
    }
}
