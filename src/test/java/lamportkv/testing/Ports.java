package lamportkv.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for test clusters, chosen so that they stay free until used. Why not
 * {@code new ServerSocket(0)}: it hands out a port from the ephemeral range, where the kernel also
 * picks the local ports of outgoing connections, and the many RMI connections of a test run can
 * take the port before the replica listens on it ("Address already in use"); and it may hand the
 * same port out again to a later cluster in the same JVM, whose RMI runtime still knows an
 * endpoint there ("ObjID already in use"). So: below the ephemeral range, checked free by binding
 * it, and never the same port twice in one JVM.
 */
public final class Ports {
    /** Below Linux's default ephemeral range (32768-60999), above the well-known and registered-service crowd. */
    private static final int LOW = 20_000;
    private static final int HIGH = 32_700;
    private static final Set<Integer> handedOut = ConcurrentHashMap.newKeySet();

    private Ports() {
    }

    /** A port on loopback that nothing listens on now and that this JVM has not handed out before. */
    public static int free() {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOW, HIGH);
            if (!handedOut.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException inUse) {
                // taken by something else: try another
            }
        }
        throw new IllegalStateException("no free loopback port between " + LOW + " and " + HIGH);
    }
}
