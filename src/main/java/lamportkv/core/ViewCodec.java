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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The compact encoding of {@link ViewMessage}s (on the wire and in the log), next to {@link Codec}'s. */
public final class ViewCodec {
    private static final byte PREPARE = 1, PROMISE = 2, ACCEPT = 3, ACCEPTED = 4, REFUSED = 5, DECIDED = 6, JOIN = 7,
            PROBE = 8, PROBE_REPLY = 9, STATE_REQUEST = 10, STATE_CHUNK = 11;
    /** No list in a message is longer; a larger count is a malformed message, not an allocation. */
    private static final int MAX_COUNT = 1 << 22;

    private ViewCodec() {
    }

    /** The encoding of no view messages: what nearly every batch carries. */
    private static final byte[] NONE = {0, 0, 0, 0};

    public static byte[] encode(List<ViewMessage> messages) {
        if (messages.isEmpty()) {
            return NONE.clone();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * messages.size() + 8);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(messages.size());
            for (ViewMessage m : messages) {
                writeMessage(out, m);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /** @throws Codec.MalformedMessage if {@code encoded} is not what {@link #encode} writes */
    public static List<ViewMessage> decode(byte[] encoded) {
        if (java.util.Arrays.equals(encoded, NONE)) {
            return List.of();
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            int count = count(in);
            List<ViewMessage> messages = new ArrayList<>(Math.min(count, 64));
            for (int i = 0; i < count; i++) {
                messages.add(readMessage(in));
            }
            if (in.available() > 0) {
                throw new Codec.MalformedMessage(in.available() + " bytes after the last view message");
            }
            return messages;
        } catch (EOFException e) {
            throw new Codec.MalformedMessage("truncated view message");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (IllegalArgumentException | OperationException e) {
            throw new Codec.MalformedMessage("bad field: " + e.getMessage());
        }
    }

    public static void writeMessage(DataOutput out, ViewMessage m) throws IOException {
        if (m instanceof ViewMessage.Prepare p) {
            out.writeByte(PREPARE);
            out.writeLong(p.slot());
            writeBallot(out, p.ballot());
        } else if (m instanceof ViewMessage.Promise p) {
            out.writeByte(PROMISE);
            out.writeLong(p.slot());
            writeBallot(out, p.ballot());
            out.writeBoolean(p.accepted().isPresent());
            if (p.accepted().isPresent()) {
                writeBallot(out, p.accepted().get().ballot());
                writeDecision(out, p.accepted().get().value());
            }
            writeReport(out, p.report());
        } else if (m instanceof ViewMessage.Accept a) {
            out.writeByte(ACCEPT);
            out.writeLong(a.slot());
            writeBallot(out, a.ballot());
            writeDecision(out, a.value());
        } else if (m instanceof ViewMessage.Accepted a) {
            out.writeByte(ACCEPTED);
            out.writeLong(a.slot());
            writeBallot(out, a.ballot());
        } else if (m instanceof ViewMessage.Refused r) {
            out.writeByte(REFUSED);
            out.writeLong(r.slot());
            writeBallot(out, r.promised());
        } else if (m instanceof ViewMessage.Decided d) {
            out.writeByte(DECIDED);
            writeDecision(out, d.decision());
        } else if (m instanceof ViewMessage.Join j) {
            out.writeByte(JOIN);
            out.writeLong(j.viewNumber());
            out.writeLong(j.incarnation());
        } else if (m instanceof ViewMessage.Probe p) {
            out.writeByte(PROBE);
            out.writeLong(p.incarnation());
        } else if (m instanceof ViewMessage.ProbeReply r) {
            out.writeByte(PROBE_REPLY);
            out.writeBoolean(r.brandNew());
            out.writeLong(r.incarnation());
            writeDecision(out, r.current());
        } else if (m instanceof ViewMessage.StateRequest r) {
            out.writeByte(STATE_REQUEST);
            out.writeLong(r.viewNumber());
            out.writeInt(r.chunk());
        } else if (m instanceof ViewMessage.StateChunk c) {
            out.writeByte(STATE_CHUNK);
            out.writeLong(c.viewNumber());
            out.writeInt(c.index());
            out.writeInt(c.count());
            byte[] bytes = c.bytes();
            out.writeInt(bytes.length);
            out.write(bytes);
        } else {
            throw new IllegalArgumentException("unknown view message " + m);
        }
    }

    public static ViewMessage readMessage(DataInput in) throws IOException {
        byte type = in.readByte();
        return switch (type) {
            case PREPARE -> new ViewMessage.Prepare(in.readLong(), readBallot(in));
            case PROMISE -> {
                long slot = in.readLong();
                Ballot ballot = readBallot(in);
                Optional<ViewMessage.Prior> prior = in.readBoolean()
                        ? Optional.of(new ViewMessage.Prior(readBallot(in), readDecision(in))) : Optional.empty();
                yield new ViewMessage.Promise(slot, ballot, prior, readReport(in));
            }
            case ACCEPT -> new ViewMessage.Accept(in.readLong(), readBallot(in), readDecision(in));
            case ACCEPTED -> new ViewMessage.Accepted(in.readLong(), readBallot(in));
            case REFUSED -> new ViewMessage.Refused(in.readLong(), readBallot(in));
            case DECIDED -> new ViewMessage.Decided(readDecision(in));
            case JOIN -> new ViewMessage.Join(in.readLong(), in.readLong());
            case PROBE -> new ViewMessage.Probe(in.readLong());
            case PROBE_REPLY -> new ViewMessage.ProbeReply(in.readBoolean(), in.readLong(), readDecision(in));
            case STATE_REQUEST -> new ViewMessage.StateRequest(in.readLong(), in.readInt());
            case STATE_CHUNK -> {
                long view = in.readLong();
                int index = in.readInt();
                int count = in.readInt();
                int length = in.readInt();
                if (length < 0 || length > Membership.CHUNK_BYTES || index < 0 || index >= count) {
                    throw new Codec.MalformedMessage("bad state chunk " + index + " of " + count + ", " + length + " bytes");
                }
                byte[] bytes = new byte[length];
                in.readFully(bytes);
                yield new ViewMessage.StateChunk(view, index, count, bytes);
            }
            default -> throw new Codec.MalformedMessage("unknown view message type " + type);
        };
    }

    static void writeBallot(DataOutput out, Ballot b) throws IOException {
        out.writeLong(b.round());
        out.writeInt(b.proposer());
        out.writeLong(b.incarnation());
    }

    static Ballot readBallot(DataInput in) throws IOException {
        return new Ballot(in.readLong(), in.readInt(), in.readLong());
    }

    static void writeView(DataOutput out, View v) throws IOException {
        out.writeLong(v.number());
        out.writeInt(v.members().size());
        for (int m : v.members()) {
            out.writeInt(m);
        }
    }

    static View readView(DataInput in) throws IOException {
        long number = in.readLong();
        List<Integer> members = new ArrayList<>();
        for (int i = count(in); i > 0; i--) {
            members.add(in.readInt());
        }
        return new View(number, members);
    }

    static void writeDecision(DataOutput out, Decision d) throws IOException {
        writeView(out, d.view());
        out.writeInt(d.joiners().size());
        for (Decision.Joiner j : d.joiners()) {
            out.writeInt(j.id());
            out.writeLong(j.incarnation());
        }
        out.writeLong(d.appliedCount());
        writeOptionalId(out, d.lastApplied());
        writeRequests(out, d.kept());
        out.writeLong(d.clockFloor());
    }

    static Decision readDecision(DataInput in) throws IOException {
        View view = readView(in);
        List<Decision.Joiner> joiners = new ArrayList<>();
        for (int i = count(in); i > 0; i--) {
            joiners.add(new Decision.Joiner(in.readInt(), in.readLong()));
        }
        long applied = in.readLong();
        Optional<RequestId> last = readOptionalId(in);
        return new Decision(view, joiners, applied, last, readRequests(in), in.readLong());
    }

    static void writeReport(DataOutput out, Report r) throws IOException {
        out.writeInt(r.from());
        out.writeLong(r.incarnation());
        out.writeLong(r.viewNumber());
        out.writeBoolean(r.contributes());
        out.writeLong(r.appliedCount());
        writeOptionalId(out, r.lastApplied());
        out.writeLong(r.clock());
        writeRequests(out, r.buffer());
    }

    static Report readReport(DataInput in) throws IOException {
        return new Report(in.readInt(), in.readLong(), in.readLong(), in.readBoolean(), in.readLong(),
                readOptionalId(in), in.readLong(), readRequests(in));
    }

    private static void writeOptionalId(DataOutput out, Optional<RequestId> id) throws IOException {
        out.writeBoolean(id.isPresent());
        if (id.isPresent()) {
            Codec.writeId(out, id.get());
        }
    }

    private static Optional<RequestId> readOptionalId(DataInput in) throws IOException {
        return in.readBoolean() ? Optional.of(Codec.readId(in)) : Optional.empty();
    }

    private static void writeRequests(DataOutput out, List<Request> requests) throws IOException {
        out.writeInt(requests.size());
        for (Request r : requests) {
            Codec.writeId(out, r.id());
            Codec.writeOperation(out, r.op());
            Codec.writeClient(out, r.client());
        }
    }

    private static List<Request> readRequests(DataInput in) throws IOException {
        List<Request> requests = new ArrayList<>();
        for (int i = count(in); i > 0; i--) {
            requests.add(new Request(Codec.readId(in), Codec.readOperation(in), Codec.readClient(in)));
        }
        return requests;
    }

    private static int count(DataInput in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_COUNT) {
            throw new Codec.MalformedMessage("bad count " + n);
        }
        return n;
    }
}
