package lamportkv.rmi;

import java.net.BindException;
import java.net.InetAddress;
import java.rmi.NoSuchObjectException;
import java.rmi.Remote;
import java.rmi.RemoteException;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.ExportException;
import java.rmi.server.UnicastRemoteObject;
import java.util.List;

/**
 * A replica's RMI presence: its own registry and its two remote objects, all on one port of one
 * address. {@link #close()} takes them all off the network.
 */
public final class RmiServer implements AutoCloseable {
    private final List<Remote> exported;

    private RmiServer(List<Remote> exported) {
        this.exported = exported;
    }

    /**
     * Creates the registry on {@code bindAddress:port}, exports both services on the same port
     * and binds them under {@link ReplicaService#NAME} and {@link PeerService#NAME}.
     *
     * @throws RemoteException with a one-line message if the port cannot be had
     */
    public static RmiServer start(InetAddress bindAddress, int port, ReplicaService replica, PeerService peer)
            throws RemoteException {
        ServerSockets serverSockets = new ServerSockets(bindAddress);
        ClientSockets clientSockets = new ClientSockets();
        Registry registry;
        try {
            registry = LocateRegistry.createRegistry(port, clientSockets, serverSockets);
        } catch (ExportException e) {
            if (e.getCause() instanceof BindException bind) {
                throw new ExportException("cannot listen on " + bindAddress.getHostAddress() + ":" + port + ": "
                        + bind.getMessage() + " (is another replica or program using that port?)");
            }
            throw e;
        }
        try {
            Remote replicaStub = UnicastRemoteObject.exportObject(replica, port, clientSockets, serverSockets);
            Remote peerStub = UnicastRemoteObject.exportObject(peer, port, clientSockets, serverSockets);
            registry.rebind(ReplicaService.NAME, replicaStub);
            registry.rebind(PeerService.NAME, peerStub);
        } catch (RemoteException | RuntimeException e) {
            unexportQuietly(List.of(replica, peer, registry));
            throw e;
        }
        return new RmiServer(List.of(registry, replica, peer));
    }

    @Override
    public void close() {
        unexportQuietly(exported);
    }

    private static void unexportQuietly(List<Remote> objects) {
        for (Remote r : objects) {
            try {
                UnicastRemoteObject.unexportObject(r, true);
            } catch (NoSuchObjectException notExported) {
                // Nothing to take down.
            }
        }
    }
}
