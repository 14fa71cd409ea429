package lamportkv.replica;

/**
 * Where a replica's journal records go: appended during an event-loop round, made durable by
 * one {@link #force()} at the round's end, before any of the round's messages leave or any
 * client is answered (group commit).
 */
interface Journal extends AutoCloseable {
    void append(byte[] record);

    /** Makes everything appended so far durable. */
    void force();

    @Override
    void close();
}
