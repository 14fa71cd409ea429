package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The wire encoding: exact round trips, and hostile input can only be a MalformedMessage. */
class CodecTest {

    private static Operation op(String... words) {
        return Operation.parse(List.of(words));
    }

    private static PeerMessage.RequestMsg request(long ts, int origin, Operation op) {
        return new PeerMessage.RequestMsg(new Request(new RequestId(ts, origin), op));
    }

    private static List<PeerMessage> roundTrip(List<PeerMessage> messages) {
        return Codec.decode(Codec.encode(messages));
    }

    /** One message of every kind and every operation, with awkward contents. */
    static List<PeerMessage> everyKind() {
        String bigText = "é".repeat(Value.MAX_VALUE_BYTES / 2);        // exactly 64 KiB of UTF-8
        return List.of(
                request(1, 1, op("set", "x", "2.50")),
                request(2, 1, op("set", "x", "-0.000001")),
                request(3, 2, op("set", "text", "hello world, \"quoted\"\ttab")),
                request(4, 3, op("set", "big", bigText)),
                request(5, 3, op("set", "nines", "9".repeat(1000))),
                request(6, 1, op("get", "ключ🔑")),
                request(7, 2, op("add", "日本", "0.1")),
                request(8, 2, op("mult", "x", "-12345678901234567890.5")),
                request(9, 3, op("del", "k".repeat(256))),
                request(10, 1, op("keys")),
                request(11, 1, op("keys", "k")),
                new PeerMessage.RequestMsg(new Request(new RequestId(Long.MAX_VALUE, Integer.MAX_VALUE), op("get", "x"),
                        new ClientTag(-7, Long.MAX_VALUE, 1_700_000_000_000L))),
                new PeerMessage.RequestMsg(new Request(new RequestId(11, 1), new Operation.Set("t", new Value.Text("5")))),
                new PeerMessage.RequestMsg(new Request(new RequestId(12, 1), new Operation.Set("e", new Value.Text("")))),
                new PeerMessage.OkMsg(new RequestId(3, 2), 17),
                new PeerMessage.OkMsg(new RequestId(1, 1), 0),
                new PeerMessage.ApplyMsg(new RequestId(3, 2), 20, Result.ok("OK")),
                new PeerMessage.ApplyMsg(new RequestId(4, 3), 21, Result.ok("")),
                new PeerMessage.ApplyMsg(new RequestId(5, 1), 22, Result.error("no such key: x")),
                new PeerMessage.ApplyMsg(new RequestId(6, 1), 23, Result.error("not a number: ключ")),
                new PeerMessage.ApplyMsg(new RequestId(7, 1), 24, Result.ok(bigText)));
    }

    @Nested
    @DisplayName("round trips")
    class RoundTrips {
        @Test
        @DisplayName("each message alone decodes to an equal message")
        void eachMessageAlone() {
            for (PeerMessage m : everyKind()) {
                assertThat(roundTrip(List.of(m))).as("%s", m).containsExactly(m);
            }
        }

        @Test
        @DisplayName("a batch of every kind decodes to the same list, in order")
        void wholeBatch() {
            List<PeerMessage> all = everyKind();
            assertThat(roundTrip(all)).isEqualTo(all);
        }

        @Test
        @DisplayName("the empty batch is four bytes and decodes to the empty list")
        void emptyBatch() {
            byte[] bytes = Codec.encode(List.of());
            assertThat(bytes).containsExactly(0, 0, 0, 0);
            assertThat(Codec.decode(bytes)).isEmpty();
        }

        @Test
        @DisplayName("numbers stay numbers and text stays text, even text that looks like a number")
        void valueTypesSurvive() {
            List<PeerMessage> decoded = roundTrip(List.of(
                    request(1, 1, new Operation.Set("a", new Value.Num(new BigDecimal("5")))),
                    request(2, 1, new Operation.Set("a", new Value.Text("5")))));
            assertThat(((Operation.Set) ((PeerMessage.RequestMsg) decoded.get(0)).request().op()).value())
                    .isInstanceOf(Value.Num.class);
            assertThat(((Operation.Set) ((PeerMessage.RequestMsg) decoded.get(1)).request().op()).value())
                    .isEqualTo(new Value.Text("5"));
        }

        @Test
        @DisplayName("an anonymous client tag decodes to ClientTag.NONE")
        void anonymousTag() {
            PeerMessage.RequestMsg m = (PeerMessage.RequestMsg) roundTrip(List.of(request(1, 1, op("keys")))).get(0);
            assertThat(m.request().client()).isSameAs(ClientTag.NONE);
            assertThat(m.request().client().tracked()).isFalse();
        }

        @Test
        @DisplayName("writeOperation/readOperation round-trip every operation")
        void operationsAlone() throws IOException {
            for (PeerMessage m : everyKind()) {
                if (m instanceof PeerMessage.RequestMsg r) {
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    Codec.writeOperation(new DataOutputStream(bytes), r.request().op());
                    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
                    assertThat(Codec.readOperation(in)).isEqualTo(r.request().op());
                    assertThat(in.available()).isZero();
                }
            }
        }

        @Test
        @DisplayName("the OK encoding is exactly: count, type 2, ts, origin, clock")
        void okLayout() throws IOException {
            byte[] bytes = Codec.encode(List.of(new PeerMessage.OkMsg(new RequestId(3, 2), 17)));
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            DataOutputStream o = new DataOutputStream(expected);
            o.writeInt(1);
            o.writeByte(2);
            o.writeLong(3);
            o.writeInt(2);
            o.writeLong(17);
            assertThat(bytes).isEqualTo(expected.toByteArray());
        }
    }

    // ---- malformed input ------------------------------------------------------------------------

    /** Builds raw encodings by hand. */
    private static final class Raw {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final DataOutputStream out = new DataOutputStream(bytes);

        Raw i32(int v) throws IOException {
            out.writeInt(v);
            return this;
        }

        Raw i64(long v) throws IOException {
            out.writeLong(v);
            return this;
        }

        Raw u8(int v) throws IOException {
            out.writeByte(v);
            return this;
        }

        Raw str(String s) throws IOException {
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        Raw bytes(byte[] b) throws IOException {
            out.writeInt(b.length);
            out.write(b);
            return this;
        }

        /** count=1, REQUEST, id (1,1). */
        static Raw requestHeader() throws IOException {
            return new Raw().i32(1).u8(1).i64(1).i32(1);
        }

        Raw anonymous() throws IOException {
            return i64(0).i64(0).i64(0);
        }

        byte[] done() {
            return bytes.toByteArray();
        }
    }

    private static void assertMalformed(byte[] bytes, String messagePart) {
        assertThatThrownBy(() -> Codec.decode(bytes))
                .isInstanceOf(Codec.MalformedMessage.class)
                .hasMessageContaining(messagePart);
    }

    @Nested
    @DisplayName("malformed input is a MalformedMessage")
    class Malformed {
        @Test
        @DisplayName("the well-formed raw request used below decodes (control case)")
        void controlCase() throws IOException {
            byte[] ok = Raw.requestHeader().u8(2).str("x").anonymous().done();
            assertThat(Codec.decode(ok)).containsExactly(request(1, 1, op("get", "x")));
        }

        @Test
        @DisplayName("every truncation of a valid encoding")
        void truncated() {
            byte[] full = Codec.encode(everyKind().subList(0, 4));
            byte[] small = Codec.encode(List.of(request(1, 1, op("set", "x", "1")), new PeerMessage.OkMsg(new RequestId(1, 1), 2),
                    new PeerMessage.ApplyMsg(new RequestId(1, 1), 3, Result.error("e"))));
            for (byte[] valid : List.of(small, full)) {
                for (int length = 0; length < valid.length; length += valid == full ? 97 : 1) {
                    assertMalformed(Arrays.copyOf(valid, length), "");
                }
            }
            assertMalformed(new byte[0], "truncated");
            assertMalformed(Arrays.copyOf(small, small.length - 1), "truncated");
        }

        @Test
        @DisplayName("trailing garbage after the last message")
        void trailingGarbage() {
            byte[] valid = Codec.encode(List.of(new PeerMessage.OkMsg(new RequestId(1, 1), 2)));
            assertMalformed(Arrays.copyOf(valid, valid.length + 1), "1 bytes after the last message");
            byte[] more = Arrays.copyOf(valid, valid.length + 5);
            more[valid.length] = 2;
            assertMalformed(more, "5 bytes after the last message");
        }

        @Test
        @DisplayName("a count larger than the messages present")
        void countTooLarge() throws IOException {
            byte[] valid = Codec.encode(List.of(new PeerMessage.OkMsg(new RequestId(1, 1), 2)));
            valid[3] = 2;
            assertMalformed(valid, "truncated");
        }

        @Test
        @DisplayName("negative and huge message counts")
        void badCounts() throws IOException {
            assertMalformed(new Raw().i32(-1).done(), "bad message count -1");
            assertMalformed(new Raw().i32(Integer.MIN_VALUE).done(), "bad message count");
            assertMalformed(new Raw().i32(Integer.MAX_VALUE).u8(2).done(), "bad message count");
        }

        @Test
        @DisplayName("unknown message type, operation kind and value type bytes")
        void unknownTypeBytes() throws IOException {
            assertMalformed(new Raw().i32(1).u8(0).done(), "unknown message type 0");
            assertMalformed(new Raw().i32(1).u8(4).done(), "unknown message type 4");
            assertMalformed(new Raw().i32(1).u8(-1).done(), "unknown message type -1");
            assertMalformed(Raw.requestHeader().u8(15).anonymous().done(), "unknown operation kind 15");
            assertMalformed(Raw.requestHeader().u8(0).done(), "unknown operation kind 0");
            assertMalformed(Raw.requestHeader().u8(1).str("x").u8(2).str("v").anonymous().done(), "unknown value type 2");
        }

        @Test
        @DisplayName("negative and huge string lengths, without allocating them")
        void badLengths() throws IOException {
            assertMalformed(Raw.requestHeader().u8(2).i32(-1).done(), "bad string length -1");
            assertMalformed(Raw.requestHeader().u8(2).i32(Integer.MIN_VALUE).done(), "bad string length");
            assertMalformed(Raw.requestHeader().u8(2).i32(Integer.MAX_VALUE).done(), "bad string length");
            assertMalformed(Raw.requestHeader().u8(2).i32(Value.MAX_VALUE_BYTES + 1025).done(), "bad string length");
            // A plausible length with too few bytes behind it is a truncation.
            assertMalformed(Raw.requestHeader().u8(2).i32(50).u8('x').done(), "truncated");
            byte[] apply = new Raw().i32(1).u8(3).i64(1).i32(1).i64(2).u8(1).i32(Integer.MAX_VALUE - 3).done();
            assertMalformed(apply, "bad string length");
        }

        @Test
        @DisplayName("invalid keys inside a message")
        void invalidKeys() throws IOException {
            for (String key : List.of("", "a b", "tab\t", "new\nline", "k".repeat(257), "\u0000")) {
                assertMalformed(Raw.requestHeader().u8(2).str(key).anonymous().done(), "bad field");
                assertMalformed(Raw.requestHeader().u8(5).str(key).anonymous().done(), "bad field");
                assertMalformed(Raw.requestHeader().u8(3).str(key).str("1").anonymous().done(), "bad field");
                assertMalformed(Raw.requestHeader().u8(1).str(key).u8(1).str("v").anonymous().done(), "bad field");
            }
            // Bytes that are not UTF-8 decode to U+FFFD, which no key may hold.
            byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe};
            assertMalformed(Raw.requestHeader().u8(2).bytes(notUtf8).anonymous().done(), "bad field");
        }

        @Test
        @DisplayName("invalid numbers inside a message")
        void invalidNumbers() throws IOException {
            assertMalformed(Raw.requestHeader().u8(3).str("x").str("abc").anonymous().done(), "not a number: abc");
            assertMalformed(Raw.requestHeader().u8(4).str("x").str("1e9").anonymous().done(), "not a number: 1e9");
            assertMalformed(Raw.requestHeader().u8(4).str("x").str("").anonymous().done(), "not a number");
            assertMalformed(Raw.requestHeader().u8(1).str("x").u8(0).str("five").anonymous().done(), "not a number: five");
            assertMalformed(Raw.requestHeader().u8(3).str("x").str("1".repeat(1001)).anonymous().done(), "number too large");
        }

        @Test
        @DisplayName("a text value over 64 KiB inside a message")
        void valueTooLong() throws IOException {
            String tooLong = "v".repeat(Value.MAX_VALUE_BYTES + 1);
            assertMalformed(Raw.requestHeader().u8(1).str("x").u8(1).str(tooLong).anonymous().done(), "value too long");
            String max = "v".repeat(Value.MAX_VALUE_BYTES);
            assertThat(Codec.decode(Raw.requestHeader().u8(1).str("x").u8(1).str(max).anonymous().done())).hasSize(1);
        }

        @Test
        @DisplayName("non-positive request stamps and origins")
        void badIds() throws IOException {
            assertMalformed(new Raw().i32(1).u8(2).i64(0).i32(1).i64(5).done(), "bad field");
            assertMalformed(new Raw().i32(1).u8(2).i64(-3).i32(1).i64(5).done(), "bad field");
            assertMalformed(new Raw().i32(1).u8(2).i64(1).i32(0).i64(5).done(), "bad field");
            assertMalformed(new Raw().i32(1).u8(3).i64(1).i32(-2).i64(5).u8(1).str("OK").done(), "bad field");
        }
    }

    // ---- fuzzing --------------------------------------------------------------------------------

    /** Decodes hostile bytes: success must re-encode stably, failure must be a MalformedMessage. */
    private static void decodeOrMalformed(byte[] bytes, String what) {
        List<PeerMessage> decoded;
        try {
            decoded = Codec.decode(bytes);
        } catch (Codec.MalformedMessage expected) {
            return;
        } catch (Throwable t) {
            fail(what + ": decode threw " + t + " for " + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 64))), t);
            return;
        }
        assertThat(Codec.decode(Codec.encode(decoded))).as(what).isEqualTo(decoded);
    }

    @Test
    @DisplayName("fuzz (seeded): random byte arrays decode or are a MalformedMessage")
    void fuzzRandomBytes() {
        Random random = new Random(20240501L);
        for (int i = 0; i < 4000; i++) {
            byte[] bytes = new byte[random.nextInt(120)];
            random.nextBytes(bytes);
            if (bytes.length >= 5 && random.nextBoolean()) {
                // Make the start plausible so the decoder gets past the first fields.
                bytes[0] = 0;
                bytes[1] = 0;
                bytes[2] = 0;
                bytes[3] = (byte) random.nextInt(3);
                bytes[4] = (byte) (1 + random.nextInt(3));
            }
            decodeOrMalformed(bytes, "random array " + i);
        }
    }

    @Test
    @DisplayName("fuzz (seeded): random mutations of valid encodings decode or are a MalformedMessage")
    void fuzzMutations() {
        Random random = new Random(7L);
        List<PeerMessage> pool = everyKind().stream()
                .filter(m -> !(m instanceof PeerMessage.RequestMsg r && r.request().op().words().toString().length() > 2000))
                .filter(m -> !(m instanceof PeerMessage.ApplyMsg a && a.result().text().length() > 2000))
                .toList();
        int decodedOk = 0;
        for (int i = 0; i < 4000; i++) {
            List<PeerMessage> batch = new ArrayList<>();
            for (int k = random.nextInt(4); k >= 0; k--) {
                batch.add(pool.get(random.nextInt(pool.size())));
            }
            byte[] bytes = Codec.encode(batch);
            for (int mutations = 1 + random.nextInt(3); mutations > 0; mutations--) {
                bytes = mutate(bytes, random);
            }
            try {
                Codec.decode(bytes);
                decodedOk++;
            } catch (RuntimeException ignored) {
                // judged below
            }
            decodeOrMalformed(bytes, "mutation " + i);
        }
        // The mutations must not be so violent that nothing ever decodes: some keep the structure.
        assertThat(decodedOk).isGreaterThan(50);
    }

    private static byte[] mutate(byte[] bytes, Random random) {
        int kind = random.nextInt(6);
        if (bytes.length == 0) {
            return new byte[] {(byte) random.nextInt()};
        }
        int at = random.nextInt(bytes.length);
        switch (kind) {
            case 0 -> {                                         // flip one bit
                byte[] copy = bytes.clone();
                copy[at] ^= (byte) (1 << random.nextInt(8));
                return copy;
            }
            case 1 -> {                                         // set one byte to an edge value
                byte[] copy = bytes.clone();
                copy[at] = new byte[] {0, -1, 127, -128, 1, 2, 3, 7}[random.nextInt(8)];
                return copy;
            }
            case 2 -> {                                         // truncate
                return Arrays.copyOf(bytes, at);
            }
            case 3 -> {                                         // insert a random byte
                byte[] copy = new byte[bytes.length + 1];
                System.arraycopy(bytes, 0, copy, 0, at);
                copy[at] = (byte) random.nextInt();
                System.arraycopy(bytes, at, copy, at + 1, bytes.length - at);
                return copy;
            }
            case 4 -> {                                         // delete a byte
                byte[] copy = new byte[bytes.length - 1];
                System.arraycopy(bytes, 0, copy, 0, at);
                System.arraycopy(bytes, at + 1, copy, at, bytes.length - at - 1);
                return copy;
            }
            default -> {                                        // overwrite 4 bytes with a random int (a length field?)
                byte[] copy = bytes.clone();
                int v = random.nextBoolean() ? random.nextInt() : random.nextInt(300) - 10;
                for (int k = 0; k < 4 && at + k < copy.length; k++) {
                    copy[at + k] = (byte) (v >>> (24 - 8 * k));
                }
                return copy;
            }
        }
    }
}
