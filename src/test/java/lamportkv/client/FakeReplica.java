package lamportkv.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.rmi.NoSuchObjectException;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import lamportkv.rmi.Command;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.ServerSockets;
import lamportkv.rmi.StateHash;

/**
 * A stand-in replica on a loopback port: records every command it receives and answers as told.
 * Lets the client's (and the benchmark's) tests see exactly what was sent (or that nothing was),
 * without a cluster.
 */
public final class FakeReplica implements ReplicaService, AutoCloseable {
    private final int id;
    private final int port;
    private final List<Command> received = new CopyOnWriteArrayList<>();
    /** How the fake answers a command; may throw a RemoteException, as a failing transport would. */
    @FunctionalInterface
    public interface Answer {
        Reply apply(Command command) throws RemoteException;
    }

    private volatile Answer answer = c -> new Reply(Reply.Status.OK, "fake " + c);
    private final Registry registry;

    private FakeReplica(int id, int port) throws RemoteException {
        this.id = id;
        this.port = port;
        // Stubs must name loopback, as the real replicas' do (they set the same property).
        System.setProperty("java.rmi.server.hostname", "127.0.0.1");
        InetAddress loopback = InetAddress.getLoopbackAddress();
        ServerSockets server = new ServerSockets(loopback);
        CuttableSockets client = new CuttableSockets(port);
        CuttableSockets.cut(port).set(false);
        registry = LocateRegistry.createRegistry(port, client, server);
        UnicastRemoteObject.exportObject(this, port, client, server);
        registry.rebind(NAME, this);
    }

    public static FakeReplica start(int id) throws RemoteException {
        return start(id, freePort());
    }

    public static FakeReplica start(int id, int port) throws RemoteException {
        return new FakeReplica(id, port);
    }

    public int port() {
        return port;
    }

    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public List<Command> received() {
        return List.copyOf(received);
    }

    public void answer(Answer answer) {
        this.answer = answer;
    }

    /**
     * From an {@link Answer}: the client loses the connection as this call's reply reaches it,
     * as if the replica crashed or the network failed after the operation ran. The client sees
     * the real thing: a {@link java.rmi.UnmarshalException} caused by a reset connection.
     */
    public void cutConnection() {
        CuttableSockets.cut(port).set(true);
    }

    @Override
    public Reply execute(Command command) throws RemoteException {
        received.add(command);
        return answer.apply(command);
    }

    /** Each command as {@link #execute} answers it. */
    @Override
    public Reply[] executeAll(byte[] encoded) throws RemoteException {
        Command[] commands = lamportkv.rmi.Payloads.decodeCommands(encoded);
        Reply[] replies = new Reply[commands.length];
        for (int i = 0; i < commands.length; i++) {
            replies[i] = execute(commands[i]);
        }
        return replies;
    }

    @Override
    public byte[][] executeAllEncoded(byte[] encoded) throws RemoteException {
        return lamportkv.rmi.Payloads.encodeReplies(executeAll(encoded));
    }

    @Override
    public lamportkv.rmi.WatchReply watch(Command query) {
        received.add(query);
        return new lamportkv.rmi.WatchReply(Reply.Status.REFUSED, "a fake replica keeps no history",
                new lamportkv.rmi.ChangeView[0], 1);
    }

    @Override
    public Reply lockStanding(Command query) {
        received.add(query);
        return new Reply(Reply.Status.OK, "none");
    }

    @Override
    public long tick() {
        return 42;
    }

    @Override
    public StateHash hash() {
        return new StateHash(7, "ab12");
    }

    @Override
    public ReplicaStatus status() {
        return new ReplicaStatus(id, hostPort(), 42, 0, 0, 7, "ab12", 0, new PeerStatus[0], 0, new int[] {id}, "", 0);
    }

    @Override
    public void close() {
        try {
            UnicastRemoteObject.unexportObject(this, true);
            UnicastRemoteObject.unexportObject(registry, true);
        } catch (NoSuchObjectException e) {
            // Already closed.
        }
    }

    /**
     * The fake's client sockets, carried in its stubs: plain TCP, except that once {@link
     * #cutConnection} armed them, the next data a client reads is thrown away and the connection
     * reset.
     */
    private static final class CuttableSockets implements RMIClientSocketFactory, Serializable {
        private static final long serialVersionUID = 1L;
        private static final Map<Integer, AtomicBoolean> CUTS = new ConcurrentHashMap<>();
        private final int port;

        CuttableSockets(int port) {
            this.port = port;
        }

        static AtomicBoolean cut(int port) {
            return CUTS.computeIfAbsent(port, p -> new AtomicBoolean());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            AtomicBoolean armed = cut(this.port);
            Socket socket = new Socket() {
                @Override
                public InputStream getInputStream() throws IOException {
                    Socket self = this;
                    return new FilterInputStream(super.getInputStream()) {
                        @Override
                        public int read() throws IOException {
                            return check(super.read());
                        }

                        @Override
                        public int read(byte[] b, int off, int len) throws IOException {
                            return check(super.read(b, off, len));
                        }

                        private int check(int n) throws IOException {
                            if (n >= 0 && armed.compareAndSet(true, false)) {
                                self.close();
                                throw new SocketException("Connection reset");
                            }
                            return n;
                        }
                    };
                }
            };
            socket.connect(new InetSocketAddress(host, port), 3_000);
            return socket;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CuttableSockets c && c.port == port;
        }

        @Override
        public int hashCode() {
            return Integer.hashCode(port);
        }
    }

    /** A loopback port nothing listens on (now): connecting to it is refused. */
    public static int freePort() {
        return lamportkv.testing.Ports.free();
    }
}
