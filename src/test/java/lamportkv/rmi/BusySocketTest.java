package lamportkv.rmi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.rmi.Remote;
import java.rmi.RemoteException;
import java.rmi.server.UnicastRemoteObject;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The client's reuse ping is answered locally only while the server has answered moments ago. */
class BusySocketTest {
    private static final int PING = 0x52;
    private static final int PING_ACK = 0x53;

    /** A client socket from the factory every stub uses, and the server's end of it. */
    private record Pair(Socket client, Socket server) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            client.close();
            server.close();
        }
    }

    /** A client socket that counts a reply within {@code busyMillis} as recent, and the server's end of it. */
    private static Pair connect(ServerSocket listener, long busyMillis) throws Exception {
        Socket client = new BusySocket(busyMillis * 1_000_000);
        client.connect(listener.getLocalSocketAddress());
        Socket server = listener.accept();
        server.setSoTimeout(300);
        return new Pair(client, server);
    }

    private static boolean serverReceivesNothing(Socket server) throws Exception {
        try {
            return server.getInputStream().read() < 0;
        } catch (SocketTimeoutException quiet) {
            return true;
        }
    }

    @Test
    void everyStubsPlainSocketIsOne() throws Exception {
        assertThat(BusySocket.ENABLED).as("on by default").isTrue();
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new ClientSockets().createSocket("127.0.0.1", listener.getLocalPort())) {
            assertThat(client).isInstanceOf(BusySocket.class);
            assertThat(client.getTcpNoDelay()).isTrue();
        }
    }

    @Test
    void aPingGoesToTheServerUntilItHasAnsweredThenIsAnsweredHereWhileBusy() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Pair p = connect(listener, 60_000)) {
            OutputStream out = p.client().getOutputStream();
            InputStream in = p.client().getInputStream();
            InputStream atServer = p.server().getInputStream();

            // A new connection has heard nothing from the server: the ping goes out.
            out.write(new byte[] {PING}, 0, 1);
            out.flush();
            assertThat(atServer.read()).isEqualTo(PING);
            p.server().getOutputStream().write(PING_ACK);
            assertThat(in.read()).isEqualTo(PING_ACK);

            // The server just answered: the next ping (as RMI writes it, one byte) is answered here.
            out.write(new byte[] {PING}, 0, 1);
            out.flush();
            assertThat(in.available()).isEqualTo(1);
            byte[] ack = new byte[8];
            assertThat(in.read(ack, 0, ack.length)).isEqualTo(1);
            assertThat(ack[0]).isEqualTo((byte) PING_ACK);
            out.write(PING);                      // the single-byte write too
            assertThat(in.read()).isEqualTo(PING_ACK);
            assertThat(serverReceivesNothing(p.server())).as("no ping reached the server").isTrue();

            // Anything else, a message starting with the ping's byte included, goes out whole.
            byte[] call = {0x50, PING, 7, 8};
            out.write(call, 0, call.length);
            out.write(new byte[] {PING, PING}, 0, 2);
            out.flush();
            byte[] got = atServer.readNBytes(6);
            assertThat(got).containsExactly(0x50, PING, 7, 8, PING, PING);
        }
    }

    @Test
    void aConnectionIdleLongerThanTheWindowIsCheckedByTheServerAgain() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Pair p = connect(listener, 20)) {
            OutputStream out = p.client().getOutputStream();
            InputStream in = p.client().getInputStream();
            p.server().getOutputStream().write(1);           // a reply: the connection is busy
            assertThat(in.read()).isEqualTo(1);

            Thread.sleep(100);

            out.write(new byte[] {PING}, 0, 1);
            out.flush();
            assertThat(p.server().getInputStream().read()).as("the idle connection's ping reaches the server")
                    .isEqualTo(PING);
        }
    }

    /** A remote object, to see real RMI calls go through the socket in quick succession and after a pause. */
    public interface Counter extends Remote {
        int next() throws RemoteException;
    }

    @Test
    void realRmiCallsWorkBackToBackAndAfterAnIdlePause() throws Exception {
        AtomicInteger count = new AtomicInteger();
        Counter impl = count::incrementAndGet;
        Counter stub = (Counter) UnicastRemoteObject.exportObject(impl, 0, new ClientSockets(),
                new ServerSockets(InetAddress.getLoopbackAddress()));
        try {
            for (int i = 1; i <= 200; i++) {
                assertThat(stub.next()).isEqualTo(i);
            }
            Thread.sleep(BusySocket.BUSY_NANOS / 1_000_000 + 50);      // idle: RMI's ping goes to the server
            assertThat(stub.next()).isEqualTo(201);
            for (int i = 202; i <= 400; i++) {
                assertThat(stub.next()).isEqualTo(i);
            }
        } finally {
            UnicastRemoteObject.unexportObject(impl, true);
        }
    }

    @Test
    void aCallReadingWithinItsOwnLimitFailsWhenTheAnswerIsLateAndOtherCallsKeepRmisLimit() throws Exception {
        java.util.concurrent.CountDownLatch stalled = new java.util.concurrent.CountDownLatch(1);
        AtomicInteger count = new AtomicInteger();
        Counter impl = () -> {
            if (count.incrementAndGet() == 2) {
                try {
                    stalled.await(10, java.util.concurrent.TimeUnit.SECONDS);       // a peer frozen mid-call
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return count.get();
        };
        Counter stub = (Counter) UnicastRemoteObject.exportObject(impl, 0, new ClientSockets(),
                new ServerSockets(InetAddress.getLoopbackAddress()));
        try {
            assertThat(Rmi.readingWithin(200, stub::next)).as("an answer in time").isEqualTo(1);
            long start = System.nanoTime();
            Throwable late = org.assertj.core.api.Assertions.catchThrowable(() -> Rmi.readingWithin(200, stub::next));
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(late).isInstanceOf(RemoteException.class);
            assertThat(Rmi.rootMessage(late)).containsIgnoringCase("timed out");
            assertThat(tookMillis).as("given up after its own limit").isBetween(150L, 3_000L);
            stalled.countDown();
            assertThat(stub.next()).as("a later call, on RMI's limit again").isEqualTo(3);
        } finally {
            stalled.countDown();
            UnicastRemoteObject.unexportObject(impl, true);
        }
    }
}
