package lamportkv.testing;

import java.rmi.RemoteException;
import lamportkv.rmi.Ack;
import lamportkv.rmi.Batch;
import lamportkv.rmi.Command;
import lamportkv.rmi.Payloads;
import lamportkv.rmi.PeerService;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;

/** The byte-array remote calls with their records, as the replicas and the client library make them. */
public final class Calls {
    private Calls() {
    }

    /** {@code peer.deliver} of {@code batch}, its answer decoded. */
    public static Ack deliver(PeerService peer, Batch batch) throws RemoteException {
        return Payloads.decodeAck(peer.deliver(Payloads.encodeBatch(batch)));
    }

    /** {@code service.executeAll} of {@code commands}. */
    public static Reply[] executeAll(ReplicaService service, Command... commands) throws RemoteException {
        return service.executeAll(Payloads.encodeCommands(commands));
    }
}
