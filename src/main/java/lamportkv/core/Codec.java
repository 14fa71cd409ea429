package lamportkv.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A compact binary encoding of peer messages: a type byte and fixed fields, strings as length and
 * UTF-8. It carries no class names and builds no object graphs, so decoding a hostile byte array
 * can only yield a well-formed message or a {@link MalformedMessage}. Every decoded operation goes
 * through the same checks as one typed into the shell.
 */
public final class Codec {
    private static final byte REQUEST = 1, OK = 2, APPLY = 3;
    private static final byte SET = 1, GET = 2, ADD = 3, MULT = 4, DEL = 5, KEYS = 6, KEYS_AFTER = 7, CAS = 8, REV = 9,
            REV_KEY = 10, LOCK = 11, RENEW = 12, UNLOCK = 13, EXPIRE = 14;
    private static final byte NUMBER = 0, TEXT = 1;
    /** The longest string any field can hold: a value of 64 KiB, or an error message. */
    private static final int MAX_STRING_BYTES = Value.MAX_VALUE_BYTES + 1024;

    private Codec() {
    }

    /** A byte array that is not a well-formed encoding. */
    public static final class MalformedMessage extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MalformedMessage(String message) {
            super(message, null, false, false);
        }
    }

    public static byte[] encode(List<PeerMessage> messages) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * messages.size() + 8);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(messages.size());
            for (PeerMessage m : messages) {
                writeMessage(out, m);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    public static List<PeerMessage> decode(byte[] encoded) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            int count = in.readInt();
            if (count < 0 || count > encoded.length) {
                throw new MalformedMessage("bad message count " + count);
            }
            List<PeerMessage> messages = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                messages.add(readMessage(in));
            }
            if (in.available() > 0) {
                throw new MalformedMessage(in.available() + " bytes after the last message");
            }
            return messages;
        } catch (EOFException e) {
            throw new MalformedMessage("truncated message");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (IllegalArgumentException | OperationException e) {
            throw new MalformedMessage("bad field: " + e.getMessage());
        }
    }

    public static void writeMessage(DataOutput out, PeerMessage m) throws IOException {
        if (m instanceof PeerMessage.RequestMsg r) {
            out.writeByte(REQUEST);
            writeId(out, r.requestId());
            writeOperation(out, r.request().op());
            writeClient(out, r.request().client());
        } else if (m instanceof PeerMessage.OkMsg ok) {
            out.writeByte(OK);
            writeId(out, ok.requestId());
            out.writeLong(ok.clock());
        } else if (m instanceof PeerMessage.ApplyMsg a) {
            out.writeByte(APPLY);
            writeId(out, a.requestId());
            out.writeLong(a.clock());
            out.writeBoolean(a.result().ok());
            writeString(out, a.result().text());
        } else {
            throw new IllegalArgumentException("unknown message " + m);
        }
    }

    public static PeerMessage readMessage(DataInput in) throws IOException {
        byte type = in.readByte();
        switch (type) {
            case REQUEST:
                return new PeerMessage.RequestMsg(new Request(readId(in), readOperation(in), readClient(in)));
            case OK:
                return new PeerMessage.OkMsg(readId(in), in.readLong());
            case APPLY: {
                RequestId id = readId(in);
                long clock = in.readLong();
                boolean ok = in.readBoolean();
                return new PeerMessage.ApplyMsg(id, clock, new Result(ok, readString(in)));
            }
            default:
                throw new MalformedMessage("unknown message type " + type);
        }
    }

    public static void writeClient(DataOutput out, ClientTag client) throws IOException {
        out.writeLong(client.clientId());
        out.writeLong(client.seq());
        out.writeLong(client.wallMillis());
    }

    public static ClientTag readClient(DataInput in) throws IOException {
        long id = in.readLong();
        long seq = in.readLong();
        long wall = in.readLong();
        return id == 0 && seq == 0 && wall == 0 ? ClientTag.NONE : new ClientTag(id, seq, wall);
    }

    public static void writeId(DataOutput out, RequestId id) throws IOException {
        out.writeLong(id.ts());
        out.writeInt(id.origin());
    }

    public static RequestId readId(DataInput in) throws IOException {
        return new RequestId(in.readLong(), in.readInt());
    }

    public static void writeOperation(DataOutput out, Operation op) throws IOException {
        if (op instanceof Operation.Set s) {
            out.writeByte(SET);
            writeString(out, s.key0());
            writeValue(out, s.value());
        } else if (op instanceof Operation.Cas c) {
            out.writeByte(CAS);
            writeString(out, c.key0());
            writeString(out, c.expected());
            writeValue(out, c.value());
        } else if (op instanceof Operation.Rev r && r.key().isEmpty()) {
            out.writeByte(REV);
        } else if (op instanceof Operation.Rev r) {
            out.writeByte(REV_KEY);
            writeString(out, r.key().get());
        } else if (op instanceof Operation.Lock l) {
            out.writeByte(LOCK);
            writeString(out, l.lock());
            out.writeLong(l.ttlMillis());
            out.writeLong(l.waitMillis());
        } else if (op instanceof Operation.Renew r) {
            out.writeByte(RENEW);
            writeString(out, r.lock());
            out.writeLong(r.token());
        } else if (op instanceof Operation.Unlock u) {
            out.writeByte(UNLOCK);
            writeString(out, u.lock());
            out.writeLong(u.token());
        } else if (op instanceof Operation.Expire) {
            out.writeByte(EXPIRE);
        } else if (op instanceof Operation.Get g) {
            out.writeByte(GET);
            writeString(out, g.key0());
        } else if (op instanceof Operation.Add a) {
            out.writeByte(ADD);
            writeString(out, a.key0());
            writeString(out, a.operand().toPlainString());
        } else if (op instanceof Operation.Mult m) {
            out.writeByte(MULT);
            writeString(out, m.key0());
            writeString(out, m.operand().toPlainString());
        } else if (op instanceof Operation.Del d) {
            out.writeByte(DEL);
            writeString(out, d.key0());
        } else if (op instanceof Operation.Keys k && k.after().isEmpty()) {
            out.writeByte(KEYS);
        } else if (op instanceof Operation.Keys k) {
            out.writeByte(KEYS_AFTER);
            writeString(out, k.after());
        } else {
            throw new IllegalArgumentException("unknown operation " + op);
        }
    }

    public static Operation readOperation(DataInput in) throws IOException {
        byte kind = in.readByte();
        switch (kind) {
            case SET: {
                String key = readString(in);
                return new Operation.Set(key, readValue(in));
            }
            case CAS: {
                String key = readString(in);
                String expected = readString(in);
                return new Operation.Cas(key, expected, readValue(in));
            }
            case REV:
                return new Operation.Rev(java.util.Optional.empty());
            case REV_KEY:
                return new Operation.Rev(java.util.Optional.of(readString(in)));
            case LOCK:
                return new Operation.Lock(readString(in), in.readLong(), in.readLong());
            case RENEW:
                return new Operation.Renew(readString(in), in.readLong());
            case UNLOCK:
                return new Operation.Unlock(readString(in), in.readLong());
            case EXPIRE:
                return new Operation.Expire();
            case GET:
                return new Operation.Get(readString(in));
            case ADD:
                return new Operation.Add(readString(in), readNumber(in));
            case MULT:
                return new Operation.Mult(readString(in), readNumber(in));
            case DEL:
                return new Operation.Del(readString(in));
            case KEYS:
                return new Operation.Keys();
            case KEYS_AFTER:
                return new Operation.Keys(readString(in));
            default:
                throw new MalformedMessage("unknown operation kind " + kind);
        }
    }

    /** A value: its type, then its text. */
    public static void writeValue(DataOutput out, Value value) throws IOException {
        out.writeByte(value instanceof Value.Num ? NUMBER : TEXT);
        writeString(out, value.render());
    }

    public static Value readValue(DataInput in) throws IOException {
        return readValue(in, false).orElseThrow();
    }

    private static final byte ABSENT = 2;

    /** A value or its absence (a deletion in the history). */
    public static void writeValue(DataOutput out, java.util.Optional<Value> value) throws IOException {
        if (value.isEmpty()) {
            out.writeByte(ABSENT);
        } else {
            writeValue(out, value.get());
        }
    }

    public static java.util.Optional<Value> readValue(DataInput in, boolean orAbsent) throws IOException {
        byte type = in.readByte();
        if (type == ABSENT && orAbsent) {
            return java.util.Optional.empty();
        }
        String raw = readString(in);
        if (type == NUMBER) {
            return java.util.Optional.of(new Value.Num(Value.parseNumber(raw)));
        } else if (type == TEXT) {
            return java.util.Optional.of(new Value.Text(raw));
        }
        throw new MalformedMessage("unknown value type " + type);
    }

    private static BigDecimal readNumber(DataInput in) throws IOException {
        return Value.parseNumber(readString(in));
    }

    public static void writeString(DataOutput out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    public static String readString(DataInput in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_STRING_BYTES) {
            throw new MalformedMessage("bad string length " + length);
        }
        byte[] utf8 = new byte[length];
        in.readFully(utf8);             // EOFException if the input is shorter: a truncated message
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
