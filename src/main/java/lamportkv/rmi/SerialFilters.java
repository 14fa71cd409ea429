package lamportkv.rmi;

import java.io.ObjectInputFilter;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Deserialization allow-lists (JEP 290). Every object a replica exports reads its arguments
 * through one of these filters, which accept only the project's own argument classes (and
 * primitive arrays inside them), within limits on depth, references, array length and bytes,
 * and reject everything else: a class nobody meant to receive is never instantiated, so no
 * gadget chain can start.
 *
 * <p>A rejection reads {@code filter status: REJECTED}; its cause says which class or limit it was.
 */
public final class SerialFilters {
    /**
     * The largest batch of encoded peer messages one {@code PeerService} call may carry. A link
     * never sends more; the replica refuses more with a clear error, and the filter refuses more
     * than twice as much before reading it.
     */
    public static final int MAX_BATCH_BYTES = 8 << 20;
    /**
     * The most bytes one client command's words may take on the wire. Values are at most 64 KiB:
     * a command up to this size reaches the replica's own checks, which name the limit broken.
     */
    public static final int MAX_COMMAND_BYTES = 1 << 20;
    /** The most words a command may have. */
    public static final int MAX_COMMAND_WORDS = 64;

    /**
     * The registry's own filter ({@code sun.rmi.registry.registryFilter}): names are strings and
     * nothing else is ever sent to it (a replica binds its objects locally, without serialization).
     */
    public static final String REGISTRY_PATTERN = "maxdepth=4;maxrefs=32;maxarray=64;maxbytes=16384;java.lang.String;!*";

    /**
     * The JVM-wide filter ({@code jdk.serialFilter}, set by the launch scripts) for every stream
     * without a filter of its own: what a client or a replica reads back from a replica (stubs,
     * replies, exceptions) and the DGC's leases. Kept equal to the scripts' by a test.
     */
    public static final String JVM_WIDE_PATTERN = "maxdepth=20;maxrefs=100000;maxarray=100000;maxbytes=16777216;"
            + "lamportkv.rmi.*;java.lang.*;java.util.Collections$*;"
            + "java.util.ArrayList;java.lang.reflect.Proxy;jdk.proxy*;com.sun.proxy.*;java.rmi.**;"
            + "javax.rmi.ssl.SslRMIClientSocketFactory;java.io.ObjectStreamException;java.io.InvalidClassException;java.io.InvalidObjectException;"
            + "java.io.IOException;java.io.EOFException;java.io.StreamCorruptedException;java.io.NotSerializableException;"
            + "java.io.UncheckedIOException;!*";

    private SerialFilters() {
    }

    /** For {@link PeerService}: one byte array, a {@link Batch} as {@link Payloads} lays it out. */
    public static ObjectInputFilter peerService() {
        // Twice the limit: a batch somewhat over it is read and refused with a clear error by the replica.
        long most = 2L * MAX_BATCH_BYTES + 2 * Batch.MAX_AGREEMENT_BYTES;
        return new AllowList("PeerService", Set.of(), 2, 8, most, most + 4096);
    }

    /**
     * For {@link ReplicaService}: a {@link Command} as it travels ({@code Command.Wire}: byte
     * arrays) and the {@code Command} it resolves to (the JDK filters replacements too), or the
     * commands of a combined call as one byte array ({@link Payloads#encodeCommands}). A
     * {@code Command} sent as such carries a {@code String[]}, which is refused. Objects: a
     * command is a Wire, its array of words and each word (and RMI's class descriptors); bytes:
     * one command's limit and a little more for the fields of a full call.
     */
    public static ObjectInputFilter replicaService() {
        return new AllowList("ReplicaService", Set.of(Command.Wire.class, Command.class), 4, MAX_COMMAND_WORDS + 16,
                MAX_COMMAND_BYTES + 4096L + ReplicaService.MAX_CALL_COMMANDS * 1024L,
                MAX_COMMAND_BYTES + 8192L + ReplicaService.MAX_CALL_COMMANDS * 1024L);
    }

    /** An allow-list with limits: anything not named is refused, with the reason as the cause. */
    static final class AllowList implements ObjectInputFilter {
        private final String name;
        private final Set<Class<?>> allowed;
        private final long maxDepth;
        private final long maxRefs;
        private final long maxArray;
        private final long maxBytes;

        AllowList(String name, Set<Class<?>> allowed, long maxDepth, long maxRefs, long maxArray, long maxBytes) {
            this.name = name;
            this.allowed = Set.copyOf(allowed);
            this.maxDepth = maxDepth;
            this.maxRefs = maxRefs;
            this.maxArray = maxArray;
            this.maxBytes = maxBytes;
        }

        @Override
        public Status checkInput(FilterInfo info) {
            // Throwing (rather than returning REJECTED) makes the reason the exception's cause.
            if (info.depth() > maxDepth) {
                throw refused("nesting depth " + info.depth() + " is over the limit of " + maxDepth);
            }
            if (info.references() > maxRefs) {
                throw refused(info.references() + " objects are over the limit of " + maxRefs);
            }
            if (info.streamBytes() > maxBytes) {
                throw refused(info.streamBytes() + " bytes are over the limit of " + maxBytes);
            }
            if (info.arrayLength() > maxArray) {
                throw refused("an array of " + info.arrayLength() + " elements is over the limit of " + maxArray);
            }
            Class<?> c = info.serialClass();
            if (c == null) {
                return Status.UNDECIDED;   // a limits-only check (a back reference): the limits passed
            }
            Class<?> element = c;
            while (element.isArray()) {
                element = element.getComponentType();
            }
            if (element.isPrimitive() || allowed.contains(element)) {
                return Status.ALLOWED;
            }
            throw refused("class " + c.getName() + " is not accepted");
        }

        private IllegalArgumentException refused(String why) {
            return new IllegalArgumentException(name + " refused the call's arguments: " + why);
        }

        @Override
        public String toString() {
            return name + " allow-list " + allowed.stream().map(Class::getName).sorted().collect(Collectors.joining(";"))
                    + ";maxdepth=" + maxDepth + ";maxrefs=" + maxRefs + ";maxarray=" + maxArray + ";maxbytes=" + maxBytes
                    + ";!*";
        }
    }
}
