package lamportkv.rmi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The byte layouts of the busiest calls: round trips, and bytes from a careless or hostile sender. */
class PayloadsTest {
    private static final Batch BATCH = new Batch(2, 7, 41, new byte[] {1, 2, 3}, new byte[] {4},
            1_700_000_000_000L, "replicas=3".getBytes(StandardCharsets.UTF_8), new byte[32]);

    @Test
    void aBatchAnAckAndCommandsComeBackEqual() {
        assertThat(Payloads.decodeBatch(Payloads.encodeBatch(BATCH))).isEqualTo(BATCH);
        Ack ack = new Ack(7, 45, 43);
        assertThat(Payloads.decodeAck(Payloads.encodeAck(ack))).isEqualTo(ack);
        Ack carrying = ack.withBack(BATCH);
        assertThat(Payloads.decodeAck(Payloads.encodeAck(carrying))).isEqualTo(carrying);
        Command[] commands = {
            Command.of(-5, 1, List.of("set", "naïve key", "ünïcödé ✓"), 10_000),
            Command.of(Long.MAX_VALUE, Long.MAX_VALUE, List.of("get", ""), 1),
            Command.of(3, 4, List.of(), 5),
        };
        assertThat(Payloads.decodeCommands(Payloads.encodeCommands(commands))).containsExactly(commands);
    }

    @Test
    void repliesComeBackEqualAndLargeOnesInChunksTheFilterAdmits() {
        Reply[] replies = Arrays.stream(Reply.Status.values())
                .map(s -> new Reply(s, s == Reply.Status.OK ? "ünïcödé ✓" : "")).toArray(Reply[]::new);
        byte[][] one = Payloads.encodeReplies(replies);
        assertThat(one).hasNumberOfRows(1);
        assertThat(Payloads.decodeReplies(one, replies.length)).containsExactly(replies);

        String large = "v".repeat(50_000);
        Reply[] big = {new Reply(Reply.Status.OK, large), new Reply(Reply.Status.OK, large), new Reply(Reply.Status.OK, large)};
        byte[][] chunks = Payloads.encodeReplies(big);
        assertThat(chunks.length).isGreaterThan(2);
        assertThat(Arrays.stream(chunks).mapToInt(c -> c.length).max().getAsInt())
                .isLessThanOrEqualTo(Payloads.MAX_REPLY_CHUNK_BYTES);
        assertThat(Payloads.MAX_REPLY_CHUNK_BYTES).as("under the JVM-wide filter's array limit").isLessThan(100_000);
        assertThat(Payloads.decodeReplies(chunks, 3)).containsExactly(big);
    }

    @Test
    void repliesThatAreNotTheCallsAreRefusedWithWhatIsWrong() {
        Reply[] two = {new Reply(Reply.Status.OK, "1"), new Reply(Reply.Status.FAILED, "no")};
        byte[] all = Payloads.encodeReplies(two)[0];
        assertThatThrownBy(() -> Payloads.decodeReplies(new byte[][] {all}, 3))
                .hasMessage("the replica answered 2 of 3 operations");
        for (int n = 0; n < all.length; n++) {
            byte[][] cut = {Arrays.copyOf(all, n)};
            assertThatThrownBy(() -> Payloads.decodeReplies(cut, 2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("the answer is cut short at byte");
        }
        byte[] unknown = all.clone();
        int at = new String(unknown, StandardCharsets.ISO_8859_1).indexOf("FAILED");
        unknown[at] = 'X';
        assertThatThrownBy(() -> Payloads.decodeReplies(new byte[][] {unknown}, 2))
                .hasMessageStartingWith("the replies have a status this client does not know: XAILED");
        assertThatThrownBy(() -> Payloads.decodeReplies(null, 1)).hasMessage("the replies are missing");
        assertThatThrownBy(() -> Payloads.decodeReplies(new byte[0][], 1)).hasMessage("the replies are missing");
        assertThatThrownBy(() -> Payloads.decodeReplies(new byte[][] {all, null}, 2))
                .hasMessage("a chunk of the replies is missing");
    }

    @Test
    void everyCutOfAValidPayloadIsRefusedWithItsName() {
        byte[] batch = Payloads.encodeBatch(BATCH);
        for (int n = 0; n < batch.length; n++) {
            byte[] cut = Arrays.copyOf(batch, n);
            assertThatThrownBy(() -> Payloads.decodeBatch(cut)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("the batch is cut short at byte");
        }
        byte[] call = Payloads.encodeCommands(new Command[] {Command.of(1, 1, List.of("get", "k"), 100)});
        for (int n = 0; n < call.length; n++) {
            byte[] cut = Arrays.copyOf(call, n);
            assertThatThrownBy(() -> Payloads.decodeCommands(cut)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("the call is cut short at byte");
        }
        assertThatThrownBy(() -> Payloads.decodeAck(Arrays.copyOf(Payloads.encodeAck(new Ack(1, 1)), 24)))
                .hasMessage("the acknowledgement is cut short at byte 21 of 24");
    }

    @Test
    void extraBytesAnotherVersionOrNothingAreRefused() {
        byte[] ack = Arrays.copyOf(Payloads.encodeAck(new Ack(1, 1)), 27);
        assertThatThrownBy(() -> Payloads.decodeAck(ack)).hasMessage("the acknowledgement has 1 bytes too many");
        byte[] notABoolean = Payloads.encodeAck(new Ack(1, 1));
        notABoolean[25] = 2;
        assertThatThrownBy(() -> Payloads.decodeAck(notABoolean))
                .hasMessage("the acknowledgement has 2 at byte 25 where a yes (1) or no (0) is due");
        byte[] batch = Payloads.encodeBatch(BATCH);
        batch[0] = 2;
        assertThatThrownBy(() -> Payloads.decodeBatch(batch)).hasMessage(
                "the batch is in wire format version 2, this lamportkv reads version 1: run the same lamportkv on both sides");
        assertThatThrownBy(() -> Payloads.decodeCommands(null)).hasMessage("the call is missing");
    }

    @Test
    void lengthsAndCountsOutsideTheirLimitsAreRefusedBeforeAnythingIsAllocated() throws IOException {
        // A word claiming 2 GiB, in a call of a few bytes.
        byte[] huge = call(1, out -> {
            command(out, 1);
            out.writeInt(Integer.MAX_VALUE);
        });
        assertThatThrownBy(() -> Payloads.decodeCommands(huge))
                .hasMessage("the call's word of 2147483647 bytes is outside 0 to " + SerialFilters.MAX_COMMAND_BYTES);
        byte[] negative = call(1, out -> {
            command(out, 1);
            out.writeInt(-1);
        });
        assertThatThrownBy(() -> Payloads.decodeCommands(negative)).hasMessageContaining("of -1 bytes is outside");
        assertThatThrownBy(() -> Payloads.decodeCommands(call(65, out -> { })))
                .hasMessage("a call carries 1 to 64 commands, not 65");
        assertThatThrownBy(() -> Payloads.decodeCommands(call(0, out -> { })))
                .hasMessage("a call carries 1 to 64 commands, not 0");
        assertThatThrownBy(() -> Payloads.decodeCommands(call(1, out -> command(out, 65))))
                .hasMessage("a command has 0 to 64 words, not 65");
        // The words of one command together stay within a command's limit, however they are split.
        int half = SerialFilters.MAX_COMMAND_BYTES / 2 + 1;
        byte[] twoHalves = call(1, out -> {
            command(out, 2);
            out.writeInt(half);
            out.write(new byte[half]);
            out.writeInt(half);
            out.write(new byte[half]);
        });
        assertThatThrownBy(() -> Payloads.decodeCommands(twoHalves))
                .hasMessage("the call's word of " + half + " bytes is outside 0 to " + (SerialFilters.MAX_COMMAND_BYTES - half));
        byte[] longTag = Payloads.encodeBatch(new Batch(2, 7, 41, new byte[0], new byte[0], 0, new byte[0],
                new byte[Payloads.MAX_AUTH_BYTES + 1]));
        assertThatThrownBy(() -> Payloads.decodeBatch(longTag))
                .hasMessage("the batch's authentication tag of 65 bytes is outside 0 to 64");
    }

    @Test
    void fieldsTheRecordsRefuseAreRefused() throws IOException {
        byte[] zeroTimeout = call(1, out -> {
            out.writeLong(1);
            out.writeLong(1);
            out.writeLong(0);       // the timeout
            out.writeInt(0);
        });
        assertThatThrownBy(() -> Payloads.decodeCommands(zeroTimeout)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout must be positive: 0");
        byte[] ack = Payloads.encodeAck(new Ack(3, 9, 9));
        ack[24] = 10;               // durable 10, above held 9
        assertThatThrownBy(() -> Payloads.decodeAck(ack)).hasMessage("durable 10 is above held 9");
    }

    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /** A call's bytes: the version, {@code count}, then {@code body}. */
    private static byte[] call(int count, Body body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(Payloads.VERSION);
        out.writeInt(count);
        body.write(out);
        return bytes.toByteArray();
    }

    /** A command's fixed fields with {@code words} words to follow. */
    private static void command(DataOutputStream out, int words) throws IOException {
        out.writeLong(1);
        out.writeLong(1);
        out.writeLong(1_000);
        out.writeInt(words);
    }
}
