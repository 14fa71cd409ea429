package lamportkv.rmi;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.rmi.server.RMIClientSocketFactory;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ConfigException;

/**
 * How this JVM's outgoing RMI connections travel: plain TCP, or TLS 1.3 with this process's
 * certificate ({@code tls.enabled=true}). The choice is JVM-wide because stubs arrive from the
 * replicas carrying only their socket factory's class ({@link TlsClientSockets}), which then needs
 * this process's key material; a key never travels inside a stub.
 */
public final class Transport {
    /** The only protocol a TLS deployment speaks. */
    static final String[] PROTOCOLS = {"TLSv1.3"};

    private static volatile SSLContext clientContext;

    private Transport() {
    }

    /** Outgoing connections are plain TCP. */
    public static void usePlain() {
        clientContext = null;
    }

    /** Outgoing connections use TLS 1.3 with {@code context}'s certificate and trusted CAs. */
    public static void useTls(SSLContext context) {
        clientContext = java.util.Objects.requireNonNull(context, "context");
    }

    /** The TLS context of outgoing connections, or null for plain TCP. */
    static SSLContext clientContext() {
        return clientContext;
    }

    /** The socket factory for connecting to a registry (stubs bring their own). */
    static RMIClientSocketFactory clientSockets() {
        return clientContext == null ? new ClientSockets() : new TlsClientSockets();
    }

    /**
     * Sets up a client process from the configuration: TLS with {@code tls.client.keystore} if
     * {@code tls.enabled=true}, else plain. Call before the first RMI call.
     */
    public static void useClientConfig(ClusterConfig config) throws ConfigException {
        if (config.tls().isEmpty()) {
            usePlain();
            return;
        }
        ClusterConfig.Tls tls = config.tls().get();
        if (tls.clientKeystore() == null) {
            throw new ConfigException(config.file() + ": tls.enabled=true, but there is no tls.client.keystore:"
                    + " a client needs a certificate from the cluster's CA (see scripts/make-dev-certs.sh)");
        }
        try {
            useTls(context(tls.clientKeystore(), tls.clientKeystorePassword(), tls.truststore(), tls.truststorePassword()));
        } catch (IOException e) {
            throw new ConfigException(config.file() + ": " + e.getMessage());
        }
    }

    /** The TLS context of replica {@code id}: its own key store and the cluster's trust store. */
    public static SSLContext replicaContext(ClusterConfig.Tls tls, int id) throws IOException {
        return context(tls.keystoreOf(id), tls.keystorePassword(), tls.truststore(), tls.truststorePassword());
    }

    /**
     * A TLS context from a PKCS12 key store (this process's certificate and key) and trust store
     * (the CA that signs every member's certificate).
     *
     * @throws IOException with a one-line message naming the file that could not be used
     */
    public static SSLContext context(Path keystore, String keystorePassword, Path truststore, String truststorePassword)
            throws IOException {
        KeyStore keys = load(keystore, keystorePassword, "key store");
        KeyStore trusted = load(truststore, truststorePassword, "trust store");
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, keystorePassword.toCharArray());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use the key store " + keystore + " with the trust store " + truststore + ": "
                    + e.getMessage());
        }
    }

    private static KeyStore load(Path file, String password, String what) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password.toCharArray());
            if (store.size() == 0) {
                throw new IOException("the " + what + " " + file + " is empty");
            }
            return store;
        } catch (NoSuchFileException e) {
            throw new IOException("no " + what + " " + file + " (make development certificates with"
                    + " scripts/make-dev-certs.sh)");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the " + what + " " + file + ": " + e.getMessage());
        } catch (IOException e) {
            String why = e.getCause() instanceof java.security.UnrecoverableKeyException
                    ? "wrong password" : e.getMessage();
            throw new IOException("cannot read the " + what + " " + file + ": " + why);
        }
    }
}
