package lamportkv.security;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import lamportkv.rmi.Batch;

/**
 * Proof that a peer call comes from a holder of the cluster secret: an HMAC-SHA256 over the
 * sender, the receiver, its view, the first link sequence number, the encoded messages and view
 * messages, the sender's wall clock and its configuration's agreement, with a key derived from the secret. Changing any of them (claiming another sender, replaying a batch to
 * another replica, renumbering it, altering a message) breaks the proof; replaying it unchanged to
 * the same replica is harmless, because the receiver drops link numbers it already holds.
 *
 * <p>Every replica holds the same key: one that knows the secret is trusted to speak for itself
 * only by convention. Thread-safe.
 */
public final class PeerAuth {
    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] DOMAIN = "lamportkv peer batch v3".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NO_CONTROL = lamportkv.core.ViewCodec.encode(java.util.List.of());
    private final SecretKeySpec key;
    /** One keyed Mac per thread (links and RMI threads each sign or verify on their own): no provider lookup or key set-up per batch. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

    public PeerAuth(byte[] secret) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("lamportkv peer key v1\0".getBytes(StandardCharsets.UTF_8));
            this.key = new SecretKeySpec(sha.digest(secret), ALGORITHM);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /**
     * The proof for a batch of {@code messages} numbered from {@code firstSeq} on the link
     * {@code from → to}, sent at {@code sentMillis} under {@code agreement}.
     */
    public byte[] sign(int from, int to, long firstSeq, byte[] messages, long sentMillis, byte[] agreement) {
        return sign(from, to, 0, firstSeq, messages, NO_CONTROL, sentMillis, agreement);
    }

    /** As above, for a batch of view {@code view} that also carries view messages ({@code control}). */
    public byte[] sign(int from, int to, long view, long firstSeq, byte[] messages, byte[] control, long sentMillis,
                       byte[] agreement) {
        Mac mac = macs.get();
        // doFinal leaves it reset; reset again in case an earlier call on this thread stopped midway.
        mac.reset();
        mac.update(DOMAIN);
        mac.update(ByteBuffer.allocate(4 + 4 + 8 + 8 + 8 + 4 + 4 + 4).putInt(from).putInt(to).putLong(view)
                .putLong(firstSeq).putLong(sentMillis).putInt(agreement.length).putInt(messages.length)
                .putInt(control.length).array());
        mac.update(agreement);
        mac.update(messages);
        mac.update(control);
        return mac.doFinal();
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no " + ALGORITHM, e);
        }
    }

    /** True if {@code batch} carries its own proof, as replica {@code to} received it; in constant time. */
    public boolean verify(Batch batch, int to) {
        return batch.auth() != null && MessageDigest.isEqual(sign(batch.from(), to, batch.view(), batch.firstSeq(),
                batch.messages(), batch.control(), batch.sentMillis(), batch.agreement()), batch.auth());
    }

    /** True if {@code auth} is the proof for this batch; compared in constant time. */
    public boolean verify(int from, int to, long firstSeq, byte[] messages, long sentMillis, byte[] agreement,
                          byte[] auth) {
        return auth != null && MessageDigest.isEqual(sign(from, to, firstSeq, messages, sentMillis, agreement), auth);
    }

    /** A signed batch from {@code from} to {@code to}. */
    public Batch batch(int from, int to, long firstSeq, byte[] messages, long sentMillis,
                                     byte[] agreement) {
        return new Batch(from, firstSeq, messages, sentMillis, agreement,
                sign(from, to, firstSeq, messages, sentMillis, agreement));
    }

    /** A signed batch of view {@code view} with view messages. */
    public Batch batch(int from, int to, long view, long firstSeq, byte[] messages, byte[] control, long sentMillis,
                       byte[] agreement) {
        return new Batch(from, view, firstSeq, messages, control, sentMillis, agreement,
                sign(from, to, view, firstSeq, messages, control, sentMillis, agreement));
    }

    @Override
    public String toString() {
        return "PeerAuth[" + ALGORITHM + "]";   // never the key
    }
}
