package lamportkv.client;

import java.rmi.ConnectException;
import java.rmi.ConnectIOException;
import java.rmi.NoSuchObjectException;
import java.rmi.RemoteException;
import java.rmi.UnknownHostException;

/** What a failed remote call tells a client about whether it reached the replica's operation. */
public final class RemoteCalls {
    private RemoteCalls() {
    }

    /**
     * Whether the call certainly never ran: no connection was made (refused, unknown host, a
     * failed handshake) or the remote object is gone (the replica restarted or is stopping). Any
     * other failure may have come after the replica took the operation. A failed lookup (nothing
     * bound) is another case of "never reached", for the caller to count.
     */
    public static boolean certainlyNotReached(RemoteException e) {
        return e instanceof ConnectException || e instanceof ConnectIOException || e instanceof UnknownHostException
                || e instanceof NoSuchObjectException;
    }
}
