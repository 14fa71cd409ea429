package lamportkv.rmi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.rmi.registry.LocateRegistry;
import lamportkv.testing.Ports;
import org.junit.jupiter.api.Test;

class RmiServerTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void thePortIsFreeTheMomentCloseReturns() throws Exception {
        // A replica restarted in the same JVM listens again right after close(). Without close's
        // wait for the port, most of these binds met "Address already in use".
        for (int round = 0; round < 20; round++) {
            int port = Ports.free();
            RmiServer server = RmiServer.start(LOOPBACK, port, unused(ReplicaService.class), unused(PeerService.class));
            assertThat(LocateRegistry.getRegistry(LOOPBACK.getHostAddress(), port, new ClientSockets()).list())
                    .containsExactlyInAnyOrder(ReplicaService.NAME, PeerService.NAME);
            server.close();
            try (ServerSocket again = new ServerSocket()) {
                again.setReuseAddress(true);
                assertThatCode(() -> again.bind(new InetSocketAddress(LOOPBACK, port), 1))
                        .as("bind right after close, round %d", round).doesNotThrowAnyException();
            }
        }
    }

    @Test
    void aRestartOnTheSamePortListensAtOnce() throws Exception {
        // What FailoverClusterTest met once in CI: "cannot listen on ...: Address already in use".
        int port = Ports.free();
        for (int round = 0; round < 10; round++) {
            RmiServer server = RmiServer.start(LOOPBACK, port, unused(ReplicaService.class), unused(PeerService.class));
            server.close();
        }
    }

    /** A remote object whose methods are never called here. */
    private static <T> T unused(Class<T> face) {
        return face.cast(Proxy.newProxyInstance(face.getClassLoader(), new Class<?>[] {face}, (proxy, method, args) -> {
            throw new UnsupportedOperationException(method.getName());
        }));
    }
}
