package lamportkv.sim.crash;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One replica's simulated disk: its journal and its latest snapshot, the part of a replica that a
 * crash does not erase.
 *
 * <p>What survives a crash, and why:
 * <ul>
 *   <li>the snapshot, with the number of records it covers: it is written whole or not at all
 *       (temporary file, force, rename), so the model keeps it intact. Taking it forgets the
 *       records it covers;</li>
 *   <li>every <em>forced</em> record: a commit forces the journal before its round's outputs leave
 *       (unless the test switches the force off, see {@link CrashSimulation});</li>
 *   <li>of the records not forced yet, only a random prefix: the OS may have written some of them
 *       back on its own, in order, but nobody waited for it. The last of those may be <em>torn</em>
 *       (half written); recovery recognises it and drops it, as a reader that checks each record's
 *       length and checksum would. The model keeps the torn bytes on the disk so that recovery,
 *       not the crash, is what drops them.</li>
 * </ul>
 */
final class SimulatedDisk {

    /** What a crash did to the journal's unforced tail. */
    record Damage(int unforced, int written, boolean torn) {
        /** Unforced records that recovery will read back whole. */
        int intact() {
            return torn ? written - 1 : written;
        }

        /** Unforced records gone for good, the torn one included. */
        int lost() {
            return unforced - intact();
        }
    }

    /** What recovery reads back: the snapshot (null if none yet) and the intact records after it. */
    record Contents(byte[] snapshot, long snapshotCovers, List<byte[]> records, boolean droppedTorn) {
    }

    private byte[] snapshot;
    /** How many records, counted from the replica's very first, the snapshot includes. */
    private long snapshotCovers;
    /** The records appended after the snapshot, oldest first. */
    private final List<byte[]> journal = new ArrayList<>();
    /** {@code journal.get(0 .. forced-1)} are durable. */
    private int forced;
    /** The last record of the journal was half written when the replica crashed. */
    private boolean tornTail;

    void append(byte[] record) {
        if (tornTail) {
            throw new IllegalStateException("appending after a torn record: recovery has not run");
        }
        journal.add(record);
    }

    /** The commit's force (fsync): every record appended so far is durable. */
    void force() {
        forced = journal.size();
    }

    int unforced() {
        return journal.size() - forced;
    }

    /** Every record ever appended, the snapshot's included. */
    long totalRecords() {
        return snapshotCovers + journal.size();
    }

    /**
     * Stores a snapshot of the state after every record appended so far and forgets those records:
     * replay starts after them.
     */
    void takeSnapshot(byte[] bytes) {
        snapshot = bytes.clone();
        snapshotCovers += journal.size();
        journal.clear();
        forced = 0;
    }

    /**
     * The power goes: forced records stay; of the unforced ones a random prefix was written back
     * by the OS, and the last written may be torn.
     */
    Damage crash(Random random) {
        int unforced = unforced();
        int written = random.nextInt(unforced + 1);
        journal.subList(forced + written, journal.size()).clear();
        boolean torn = written > 0 && random.nextInt(3) == 0;
        if (torn) {
            byte[] last = journal.get(journal.size() - 1);
            journal.set(journal.size() - 1, Arrays.copyOf(last, random.nextInt(last.length)));
            tornTail = true;
        }
        // What the OS wrote is on the platter now: a second crash cannot take it back.
        forced = journal.size();
        return new Damage(unforced, written, torn);
    }

    /**
     * Recovery reads the disk back: it drops a torn last record (truncating the file) and forces
     * the journal before the replica acts on it, because replay re-sends messages from these
     * records and a later crash must not take back a message that has left.
     */
    Contents recover() {
        boolean droppedTorn = tornTail;
        if (tornTail) {
            journal.remove(journal.size() - 1);
            tornTail = false;
        }
        forced = journal.size();
        return new Contents(snapshot, snapshotCovers, List.copyOf(journal), droppedTorn);
    }
}
