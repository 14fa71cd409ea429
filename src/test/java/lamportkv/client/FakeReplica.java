package lamportkv.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.rmi.NoSuchObjectException;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.UnicastRemoteObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import lamportkv.rmi.ClientSockets;
import lamportkv.rmi.Command;
import lamportkv.rmi.PeerStatus;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.ReplicaStatus;
import lamportkv.rmi.ServerSockets;
import lamportkv.rmi.StateHash;

/**
 * A stand-in replica on a loopback port: records every command it receives and answers as told.
 * Lets the client's tests see exactly what was sent (or that nothing was), without a cluster.
 */
final class FakeReplica implements ReplicaService, AutoCloseable {
    private final int id;
    private final int port;
    private final List<Command> received = new CopyOnWriteArrayList<>();
    /** How the fake answers a command; may throw a RemoteException, as a failing transport would. */
    @FunctionalInterface
    interface Answer {
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
        ClientSockets client = new ClientSockets();
        registry = LocateRegistry.createRegistry(port, client, server);
        UnicastRemoteObject.exportObject(this, port, client, server);
        registry.rebind(NAME, this);
    }

    static FakeReplica start(int id) throws RemoteException {
        return start(id, freePort());
    }

    static FakeReplica start(int id, int port) throws RemoteException {
        return new FakeReplica(id, port);
    }

    int port() {
        return port;
    }

    String hostPort() {
        return "127.0.0.1:" + port;
    }

    List<Command> received() {
        return List.copyOf(received);
    }

    void answer(Answer answer) {
        this.answer = answer;
    }

    @Override
    public Reply execute(Command command) throws RemoteException {
        received.add(command);
        return answer.apply(command);
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
        return new ReplicaStatus(id, hostPort(), 42, 0, 7, "ab12", 0, new PeerStatus[0]);
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

    /** A loopback port nothing listens on (now): connecting to it is refused. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
