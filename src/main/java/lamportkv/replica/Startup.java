package lamportkv.replica;

import java.util.Optional;
import java.util.Set;
import lamportkv.config.ClusterConfig;
import lamportkv.core.Agreement;
import lamportkv.core.Flaw;
import lamportkv.core.Node;
import lamportkv.core.StateMachine;
import lamportkv.storage.SnapshotStore;
import lamportkv.storage.StorageException;
import org.tinylog.TaggedLogger;

/**
 * Rebuilds a replica's node from its data directory: the newest snapshot and the log records
 * after it. A fresh directory gives a fresh node. Damage is refused, never skipped, and so is a
 * configuration other than the one the data was written under: starting with less data, or
 * under other rules, than the replica had acknowledged would break every promise it made.
 */
final class Startup {
    private Startup() {
    }

    static Node recover(ClusterConfig config, int self, DiskJournal journal, Node.Observer observer,
                        TaggedLogger log) throws Replica.StartException {
        long started = System.nanoTime();
        Agreement configured = config.agreement();
        try {
            Optional<SnapshotStore.Snapshot> snapshot = journal.latestSnapshot();
            Node.Recovery recovery = Node.recover(self, configured, snapshot.map(SnapshotStore.Snapshot::state),
                    Set.<Flaw>of(), observer);
            journal.replay(snapshot.map(SnapshotStore.Snapshot::logIndex).orElse(0L),
                    (index, record) -> recovery.replay(record));
            // An empty disk draws an incarnation: a replica that lost its disk must not pass for the one it was.
            long incarnation = new java.security.SecureRandom().nextLong() | 1;
            Node node = recovery.finish(incarnation);
            StateMachine state = node.core().state();
            if (snapshot.isPresent() || recovery.replayed() > 0) {
                log.info("recovered in {} ms: {}, {} log records replayed; clock {}, {} operations applied,"
                        + " {} keys, {} pending requests, {} clients remembered",
                        (System.nanoTime() - started) / 1_000_000,
                        snapshot.map(s -> "snapshot at log record " + s.logIndex()).orElse("no snapshot"),
                        recovery.replayed(), state.clock().time(), state.appliedCount(), state.data().size(),
                        state.bufferLength(), state.clientCount());
            }
            return node;
        } catch (Agreement.Mismatch e) {
            throw new Replica.StartException("the data in " + config.dataDirOf(self) + " was written with "
                    + e.recorded().describe() + ", but " + config.file() + " says " + configured.describe()
                    + "; these must not change while data exists: start it with the configuration it was written with");
        } catch (StorageException e) {
            throw new Replica.StartException(e.getMessage());
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            throw new Replica.StartException("cannot read the state in " + config.dataDirOf(self) + ": " + e.getMessage());
        }
    }
}
