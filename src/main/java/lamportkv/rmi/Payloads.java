package lamportkv.rmi;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The byte layouts of the two busiest remote calls: a link's batch and its acknowledgement
 * ({@link PeerService#deliver}), and a client's combined operations and their replies ({@link
 * ReplicaService#executeAllEncoded}). They travel as one {@code byte[]}, so RMI's object streams
 * write and read no class descriptors, resolve no classes and check no object graph for them (Java
 * serialization was about a tenth of a busy replica's CPU, and reading a call's {@link Reply}
 * objects a quarter of a one-client bench's), and the filters admit one byte array of bounded
 * length for them ({@link SerialFilters}: PeerService admits nothing else). The replies travel in
 * chunks of at most {@link #MAX_REPLY_CHUNK_BYTES}: a client reads them under the JVM-wide
 * filter, whose array limit (100,000) a byte array of several large values would break.
 *
 * <p>Every layout starts with {@link #VERSION}; integers are big-endian, byte strings carry an
 * {@code int} length first. Decoding trusts nothing: a wrong version, a length past the end or
 * over its limit, bytes left over, or a field its record refuses, is an
 * {@link IllegalArgumentException} naming what is wrong, and nothing is built from it.
 */
public final class Payloads {
    /** The layouts' version; a peer or client with another one is refused with both named. */
    public static final byte VERSION = 1;
    /**
     * The most bytes of messages an acknowledgement may carry back ({@link Ack#back}): it is read
     * under the JVM-wide filter, whose array limit is 100,000 bytes.
     */
    public static final int MAX_BACK_BYTES = 64 << 10;
    /**
     * The most bytes of one chunk of a combined call's replies ({@link #encodeReplies}): they are
     * read under the JVM-wide filter, whose array limit is 100,000 bytes.
     */
    public static final int MAX_REPLY_CHUNK_BYTES = 64 << 10;
    /** The longest authentication tag a batch may carry (an HMAC-SHA256 is 32 bytes). */
    static final int MAX_AUTH_BYTES = 64;

    private Payloads() {
    }

    // ---- peer batches -----------------------------------------------------------------------------

    public static byte[] encodeBatch(Batch b) {
        Writer w = new Writer(64 + b.messages().length + b.control().length + b.agreement().length + b.auth().length);
        w.out(o -> {
            o.writeInt(b.from());
            o.writeLong(b.view());
            o.writeLong(b.firstSeq());
            o.writeLong(b.sentMillis());
        });
        w.bytes(b.messages());
        w.bytes(b.control());
        w.bytes(b.agreement());
        w.bytes(b.auth());
        return w.done();
    }

    /** @throws IllegalArgumentException if {@code bytes} is not a batch of this version within the limits */
    public static Batch decodeBatch(byte[] bytes) {
        Reader r = new Reader(bytes, "batch");
        int from = r.readInt();
        long view = r.readLong();
        long firstSeq = r.readLong();
        long sentMillis = r.readLong();
        byte[] messages = r.readBytes("messages", SerialFilters.MAX_BATCH_BYTES * 2);
        byte[] control = r.readBytes("view messages", SerialFilters.MAX_BATCH_BYTES * 2);
        byte[] agreement = r.readBytes("agreement", Batch.MAX_AGREEMENT_BYTES);
        byte[] auth = r.readBytes("authentication tag", MAX_AUTH_BYTES);
        r.end();
        return new Batch(from, view, firstSeq, messages, control, sentMillis, agreement, auth);
    }

    public static byte[] encodeAck(Ack a) {
        byte[] back = a.back() == null ? null : encodeBatch(a.back());
        Writer w = new Writer(26 + (back == null ? 0 : 4 + back.length));
        w.out(o -> {
            o.writeLong(a.view());
            o.writeLong(a.held());
            o.writeLong(a.durable());
            o.writeBoolean(back != null);
        });
        if (back != null) {
            w.bytes(back);
        }
        return w.done();
    }

    /** @throws IllegalArgumentException if {@code bytes} is not an acknowledgement of this version */
    public static Ack decodeAck(byte[] bytes) {
        Reader r = new Reader(bytes, "acknowledgement");
        long view = r.readLong();
        long held = r.readLong();
        long durable = r.readLong();
        Batch back = r.readBoolean()
                ? decodeBatch(r.readBytes("batch carried back", MAX_BACK_BYTES + 2 * Batch.MAX_AGREEMENT_BYTES + 1024)) : null;
        r.end();
        return new Ack(view, held, durable, back);
    }

    // ---- client calls -----------------------------------------------------------------------------

    public static byte[] encodeCommands(Command[] commands) {
        Writer w = new Writer(16 + commands.length * 64);
        w.out(o -> o.writeInt(commands.length));
        for (Command c : commands) {
            String[] words = c.words();
            w.out(o -> {
                o.writeLong(c.clientId());
                o.writeLong(c.seq());
                o.writeLong(c.timeoutMillis());
                o.writeInt(words.length);
            });
            for (String word : words) {
                w.bytes(word.getBytes(StandardCharsets.UTF_8));
            }
        }
        return w.done();
    }

    /**
     * The commands of a combined call: 1 to {@link ReplicaService#MAX_CALL_COMMANDS}, each with at
     * most {@link SerialFilters#MAX_COMMAND_WORDS} words (UTF-8; malformed sequences become U+FFFD,
     * as {@code new String} makes them) of at most {@link SerialFilters#MAX_COMMAND_BYTES} together.
     *
     * @throws IllegalArgumentException naming what is wrong, e.g. "a call carries 1 to 64 commands, not 65"
     */
    public static Command[] decodeCommands(byte[] bytes) {
        Reader r = new Reader(bytes, "call");
        int n = r.readInt();
        if (n < 1 || n > ReplicaService.MAX_CALL_COMMANDS) {
            throw new IllegalArgumentException("a call carries 1 to " + ReplicaService.MAX_CALL_COMMANDS
                    + " commands, not " + n);
        }
        Command[] commands = new Command[n];
        for (int i = 0; i < n; i++) {
            long clientId = r.readLong();
            long seq = r.readLong();
            long timeoutMillis = r.readLong();
            int count = r.readInt();
            if (count < 0 || count > SerialFilters.MAX_COMMAND_WORDS) {
                throw new IllegalArgumentException("a command has 0 to " + SerialFilters.MAX_COMMAND_WORDS
                        + " words, not " + count);
            }
            String[] words = new String[count];
            int left = SerialFilters.MAX_COMMAND_BYTES;
            for (int k = 0; k < count; k++) {
                byte[] word = r.readBytes("word", left);
                left -= word.length;
                words[k] = new String(word, StandardCharsets.UTF_8);
            }
            commands[i] = new Command(clientId, seq, words, timeoutMillis);
        }
        r.end();
        return commands;
    }

    /**
     * The replies of a combined call, in order: each its status's name and its text (UTF-8), cut
     * into chunks of at most {@link #MAX_REPLY_CHUNK_BYTES} (one chunk for all but large results).
     */
    public static byte[][] encodeReplies(Reply[] replies) {
        Writer w = new Writer(16 + replies.length * 48);
        w.out(o -> o.writeInt(replies.length));
        for (Reply r : replies) {
            w.bytes(STATUS_NAMES.get(r.status()));
            w.bytes(r.text().getBytes(StandardCharsets.UTF_8));
        }
        byte[] all = w.done();
        if (all.length <= MAX_REPLY_CHUNK_BYTES) {
            return new byte[][] {all};
        }
        byte[][] chunks = new byte[(all.length + MAX_REPLY_CHUNK_BYTES - 1) / MAX_REPLY_CHUNK_BYTES][];
        for (int i = 0; i < chunks.length; i++) {
            int from = i * MAX_REPLY_CHUNK_BYTES;
            chunks[i] = java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + MAX_REPLY_CHUNK_BYTES));
        }
        return chunks;
    }

    /**
     * The replies to a combined call of {@code expected} commands.
     *
     * @throws IllegalArgumentException if the chunks are not that many replies of this version,
     *     named, e.g. "the replica answered 2 of 3 operations"
     */
    public static Reply[] decodeReplies(byte[][] chunks, int expected) {
        if (chunks == null || chunks.length == 0) {
            throw new IllegalArgumentException("the replies are missing");
        }
        byte[] all = chunks[0];
        if (chunks.length > 1) {
            long total = 0;
            for (byte[] c : chunks) {
                if (c == null) {
                    throw new IllegalArgumentException("a chunk of the replies is missing");
                }
                total += c.length;
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the replies are " + total + " bytes, too many to read");
            }
            all = new byte[(int) total];
            int at = 0;
            for (byte[] c : chunks) {
                System.arraycopy(c, 0, all, at, c.length);
                at += c.length;
            }
        }
        Reader r = new Reader(all, "answer");
        int n = r.readInt();
        if (n != expected) {
            throw new IllegalArgumentException("the replica answered " + n + " of " + expected + " operations");
        }
        Reply[] replies = new Reply[n];
        for (int i = 0; i < n; i++) {
            String name = new String(r.readBytes("status", 32), StandardCharsets.US_ASCII);
            Reply.Status status = STATUSES.get(name);
            if (status == null) {
                throw new IllegalArgumentException("the replies have a status this client does not know: " + name
                        + "; run the same lamportkv on both sides");
            }
            replies[i] = new Reply(status, new String(r.readBytes("text", Integer.MAX_VALUE), StandardCharsets.UTF_8));
        }
        r.end();
        return replies;
    }

    private static final java.util.Map<Reply.Status, byte[]> STATUS_NAMES = new java.util.EnumMap<>(Reply.Status.class);
    private static final java.util.Map<String, Reply.Status> STATUSES = new java.util.HashMap<>();

    static {
        for (Reply.Status s : Reply.Status.values()) {
            STATUS_NAMES.put(s, s.name().getBytes(StandardCharsets.US_ASCII));
            STATUSES.put(s.name(), s);
        }
    }

    // ---- the two halves ---------------------------------------------------------------------------

    /** Appends to a growing array; its streams never fail. */
    private static final class Writer {
        private final ByteArrayOutputStream buffer;
        private final DataOutputStream out;

        Writer(int sizeHint) {
            buffer = new ByteArrayOutputStream(sizeHint);
            out = new DataOutputStream(buffer);
            out(o -> o.writeByte(VERSION));
        }

        interface Fields {
            void write(DataOutputStream out) throws IOException;
        }

        void out(Fields fields) {
            try {
                fields.write(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);     // a ByteArrayOutputStream never throws
            }
        }

        void bytes(byte[] b) {
            out(o -> {
                o.writeInt(b.length);
                o.write(b);
            });
        }

        byte[] done() {
            return buffer.toByteArray();
        }
    }

    /** Reads one layout, refusing anything short, long or out of bounds. */
    private static final class Reader {
        private final byte[] data;
        private final String what;
        private int at;

        Reader(byte[] data, String what) {
            if (data == null) {
                throw new IllegalArgumentException("the " + what + " is missing");
            }
            this.data = data;
            this.what = what;
            byte version = readByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("the " + what + " is in wire format version " + version
                        + ", this lamportkv reads version " + VERSION + ": run the same lamportkv on both sides");
            }
        }

        private void need(int n) {
            if (data.length - at < n) {
                throw new IllegalArgumentException("the " + what + " is cut short at byte " + at + " of " + data.length);
            }
        }

        byte readByte() {
            need(1);
            return data[at++];
        }

        boolean readBoolean() {
            byte b = readByte();
            if (b != 0 && b != 1) {
                throw new IllegalArgumentException("the " + what + " has " + b + " at byte " + (at - 1)
                        + " where a yes (1) or no (0) is due");
            }
            return b == 1;
        }

        int readInt() {
            need(4);
            int v = ((data[at] & 0xff) << 24) | ((data[at + 1] & 0xff) << 16) | ((data[at + 2] & 0xff) << 8)
                    | (data[at + 3] & 0xff);
            at += 4;
            return v;
        }

        long readLong() {
            long high = readInt() & 0xffffffffL;
            return (high << 32) | (readInt() & 0xffffffffL);
        }

        byte[] readBytes(String field, int max) {
            int n = readInt();
            if (n < 0 || n > max) {
                throw new IllegalArgumentException("the " + what + "'s " + field + " of " + n
                        + " bytes is outside 0 to " + max);
            }
            need(n);
            byte[] b = java.util.Arrays.copyOfRange(data, at, at + n);
            at += n;
            return b;
        }

        void end() {
            if (at != data.length) {
                throw new IllegalArgumentException("the " + what + " has " + (data.length - at) + " bytes too many");
            }
        }
    }
}
