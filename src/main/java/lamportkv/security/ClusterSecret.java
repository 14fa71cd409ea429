package lamportkv.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * The secret the replicas of one cluster share ({@code cluster.secret.file}). The first replica
 * to start creates it, atomically and readable by its owner only; the others read it. Replicas
 * on several hosts need the same file: the operator copies it.
 */
public final class ClusterSecret {
    /** Random bytes in a new secret. */
    static final int NEW_SECRET_BYTES = 32;
    /** The fewest bytes (after trimming) a secret file must hold. */
    static final int MIN_SECRET_BYTES = 16;

    private ClusterSecret() {
    }

    /** What {@link #loadOrCreate} found. */
    public record Loaded(byte[] secret, boolean created, String warning) {
    }

    /**
     * Reads the secret in {@code file}, creating it with random content if it does not exist.
     *
     * @throws IOException with a one-line message if it cannot be read, created or is too short
     */
    public static Loaded loadOrCreate(Path file) throws IOException {
        boolean created = false;
        if (!Files.exists(file)) {
            created = create(file);
        }
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("cluster secret " + file + ": no such file");
        } catch (IOException e) {
            throw new IOException("cannot read the cluster secret " + file + ": " + e.getMessage());
        }
        byte[] secret = new String(content, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IOException("the cluster secret " + file + " holds " + secret.length + " bytes; it needs at least "
                    + MIN_SECRET_BYTES + " (delete it on every host and let the first replica make a new one, then copy it)");
        }
        return new Loaded(secret, created, created ? null : permissionWarning(file));
    }

    /** Writes a temporary file, then links it into place: the file appears whole or not at all. */
    private static boolean create(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        byte[] random = new byte[NEW_SECRET_BYTES];
        new SecureRandom().nextBytes(random);
        byte[] text = (HexFormat.of().formatHex(random) + "\n").getBytes(StandardCharsets.UTF_8);
        boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
        Path tmp = posix
                ? Files.createTempFile(dir, ".cluster.secret-", ".tmp",
                        PosixFilePermissions.asFileAttribute(EnumSet.of(PosixFilePermission.OWNER_READ,
                                PosixFilePermission.OWNER_WRITE)))
                : Files.createTempFile(dir, ".cluster.secret-", ".tmp");
        try {
            Files.write(tmp, text);
            try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.createLink(file, tmp);           // fails if another replica made it first
                return true;
            } catch (UnsupportedOperationException noLinks) {
                Files.move(tmp, file);                  // no hard links here: refuses an existing file
                return true;
            } catch (FileAlreadyExistsException another) {
                return false;
            }
        } catch (FileAlreadyExistsException another) {
            return false;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String permissionWarning(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            permissions.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE));
            if (!permissions.isEmpty()) {
                return "the cluster secret " + file + " is readable by others (" + PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(file)) + "); anyone who reads it can speak for a replica: chmod 600 it";
            }
        } catch (UnsupportedOperationException | IOException e) {
            // Not a POSIX file system: nothing to check.
        }
        return null;
    }
}
