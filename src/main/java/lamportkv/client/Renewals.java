package lamportkv.client;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** The background thread that renews a client's held locks; started with the first lock. */
final class Renewals implements AutoCloseable {
    private ScheduledExecutorService timer;

    synchronized ScheduledFuture<?> every(long millis, Runnable renew) {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lamportkv-lock-renewals");
                t.setDaemon(true);
                return t;
            });
        }
        return timer.scheduleWithFixedDelay(renew, millis, millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
