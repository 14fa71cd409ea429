package lamportkv.sim.crash;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One replica's simulated disk: its journal and its latest snapshot, the part of a replica that
 * a crash does not erase — or not all of it. Each record is in one of three places, as with the
 * real {@code WriteAheadLog}:
 *
 * <ul>
 *   <li><b>the process's write buffer</b>: appended, not handed to the OS yet (the real log
 *       hands its 64 KiB buffer over when it fills, mid-round, and at every force);</li>
 *   <li><b>the page cache</b>: handed to the OS, not forced;</li>
 *   <li><b>the platter</b>: forced.</li>
 * </ul>
 *
 * <p>What each kind of crash keeps:
 * <ul>
 *   <li>a <b>process crash</b> ({@code kill -9}) loses the write buffer; the page cache survives,
 *       and its last record may be torn (the buffer was handed over mid-record). What survives is
 *       still <em>not durable</em>: the restarted replica reads it back, but a power loss before
 *       its next force takes it away;</li>
 *   <li>a <b>power loss</b> keeps the platter only. Of the page cache, each record's pages may or
 *       may not have reached the platter, in any order: recovery keeps the forced records and the
 *       unbroken run of intact ones after them, and cuts the rest (nothing of it was promised);</li>
 *   <li>the snapshot is written whole or not at all (temporary file, force, rename), and is forced.</li>
 * </ul>
 */
final class SimulatedDisk {

    /** What a crash did to the journal's unforced tail. */
    record Damage(boolean powerLoss, int unforced, int kept, boolean torn) {
        /** Unforced records gone for good, a torn one included. */
        int lost() {
            return unforced - kept;
        }
    }

    /** What recovery reads back: the snapshot (null if none yet) and the intact records after it. */
    record Contents(byte[] snapshot, List<byte[]> records, boolean droppedTorn) {
    }

    private byte[] snapshot;
    /** How many records, counted from the replica's very first, the snapshot includes. */
    private long snapshotCovers;
    /** The records appended after the snapshot, oldest first. */
    private final List<byte[]> journal = new ArrayList<>();
    /** {@code journal.get(0 .. forced-1)} are on the platter. */
    private int forced;
    /** {@code journal.get(0 .. inOs-1)} have reached at least the page cache. */
    private int inOs;
    /** The record after the page cache's last was half handed over: recovery finds it torn. */
    private boolean tornTail;
    private long forces;

    void append(byte[] record, Random random) {
        if (tornTail) {
            throw new IllegalStateException("appending after a torn record: recovery has not run");
        }
        journal.add(record);
        if (random.nextBoolean()) {
            inOs = journal.size();           // the write buffer filled and went to the OS
        }
    }

    /** The round's force (fsync): every record appended so far reaches the platter. */
    void force() {
        forced = journal.size();
        inOs = forced;
        forces++;
    }

    /** The write buffer goes to the OS (as a force begins), without the force. */
    void handToOs() {
        inOs = journal.size();
    }

    /** Records appended and not forced. */
    int unforced() {
        return journal.size() - forced;
    }

    /** Whether anything on the platter says what the replica was: a snapshot, or a forced record. */
    boolean hasDurableState() {
        return snapshot != null || forced > 0;
    }

    long forces() {
        return forces;
    }

    /** Every record ever appended, the snapshot's included. */
    long totalRecords() {
        return snapshotCovers + journal.size();
    }

    /**
     * Stores a snapshot of the state after every record appended so far and forgets those records:
     * replay starts after them. The snapshot is forced; so the records it covers need not be.
     */
    void takeSnapshot(byte[] bytes) {
        snapshot = bytes.clone();
        snapshotCovers += journal.size();
        journal.clear();
        forced = 0;
        inOs = 0;
    }

    /** {@code kill -9}: the write buffer is lost; the page cache, not durable, stays. */
    Damage processCrash(Random random) {
        int unforced = unforced();
        boolean torn = inOs < journal.size() && random.nextInt(3) == 0;
        journal.subList(inOs + (torn ? 1 : 0), journal.size()).clear();
        tornTail = torn;
        return new Damage(false, unforced, inOs - forced, torn);
    }

    /**
     * The power goes: the platter stays. Of the page cache, each record reached the platter or did
     * not, independently: recovery will keep the unbroken run of intact ones after the forced ones.
     */
    Damage powerLoss(Random random) {
        int unforced = unforced();
        int kept = forced;
        while (kept < inOs && random.nextInt(3) > 0) {
            kept++;
        }
        // A record after the cut that did reach the platter (out of order), or a torn one: both cut.
        boolean torn = kept < journal.size() && random.nextBoolean();
        journal.subList(kept + (torn ? 1 : 0), journal.size()).clear();
        tornTail = torn;
        inOs = kept;
        return new Damage(true, unforced, kept - forced, torn);
    }

    /**
     * Recovery reads the disk back: it drops a torn last record, and nothing else. It does not
     * force: whether and when to force is the replica's decision (restart forces first), so what
     * it read of the page cache stays as durable as it was.
     */
    Contents recover() {
        boolean droppedTorn = tornTail;
        if (tornTail) {
            journal.remove(journal.size() - 1);
            tornTail = false;
        }
        inOs = journal.size();
        return new Contents(snapshot, List.copyOf(journal), droppedTorn);
    }
}
