package lamportkv.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.rmi.registry.LocateRegistry;
import java.rmi.server.RMIClientSocketFactory;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import lamportkv.config.ReplicaAddress;
import lamportkv.rmi.ClientSockets;
import lamportkv.rmi.Command;
import lamportkv.rmi.Reply;
import lamportkv.rmi.ReplicaService;
import lamportkv.rmi.Rmi;
import lamportkv.rmi.Transport;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tls.enabled=true: mutual TLS 1.3 for every connection; certificates from scripts/make-dev-certs.sh. */
class TlsTest {
    private static final String PASSWORD = "dev-password-1";
    @TempDir
    static Path dir;
    static LocalCluster cluster;
    static ReplicaAddress first;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.create(3, dir.resolve("cluster"), String.join("\n",
                "tls.enabled=true",
                "tls.keystore=certs/replica-{id}.p12",
                "tls.keystore.password=" + PASSWORD,
                "tls.client.keystore=certs/client.p12",
                "tls.client.keystore.password=" + PASSWORD,
                "tls.truststore=certs/truststore.p12",
                "tls.truststore.password=" + PASSWORD, ""));
        makeCerts(cluster.configFile(), dir.resolve("cluster/certs"));
        makeCerts(cluster.configFile(), dir.resolve("other-ca"));
        for (int id : cluster.ids()) {
            cluster.start(id);
        }
        cluster.awaitWorking();
        first = cluster.config().replicas().get(0);
        Transport.useClientConfig(cluster.config());
    }

    @AfterAll
    static void stop() {
        cluster.close();
        Transport.usePlain();
    }

    private static void makeCerts(Path config, Path out) throws Exception {
        Process p = new ProcessBuilder("bash", "scripts/make-dev-certs.sh", "--config", config.toString(),
                "--out", out.toString(), "--password", PASSWORD).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).contains("tls.enabled=true", "replica-{id}.p12");
    }

    @Test
    @DisplayName("a TLS cluster orders operations end to end; every replica agrees")
    void worksEndToEnd() throws Exception {
        long seq = 0;
        ReplicaService s0 = Rmi.replicaService(first.host(), first.port());
        assertThat(s0.execute(Command.of(9, ++seq, List.of("set", "n", "0"), 10_000)).status()).isEqualTo(Reply.Status.OK);
        for (ReplicaAddress r : cluster.config().replicas()) {
            ReplicaService s = Rmi.replicaService(r.host(), r.port());
            assertThat(s.execute(Command.of(9, ++seq, List.of("add", "n", "1"), 10_000)).status())
                    .isEqualTo(Reply.Status.OK);
        }
        ReplicaService s = Rmi.replicaService(first.host(), first.port());
        assertThat(s.execute(Command.of(9, ++seq, List.of("get", "n"), 10_000)).text()).isEqualTo("3");
        cluster.awaitConverged();
        assertThat(Rmi.replicaService(first.host(), first.port()).status().peers())
                .allSatisfy(p -> assertThat(p.reachable()).isTrue());
    }

    @Test
    @DisplayName("a client without a certificate cannot connect")
    void noCertificate() throws Exception {
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, trustManagers(dir.resolve("cluster/certs/truststore.p12")), null);
        Throwable thrown = catchThrowable(() -> LocateRegistry.getRegistry(first.host(), first.port(),
                new OwnTls(context)).lookup(ReplicaService.NAME));
        assertThat(thrown).isNotNull();
        assertThat(RawRmi.messages(thrown)).containsAnyOf("certificate_required", "bad_certificate", "Broken pipe",
                "Connection reset");
    }

    @Test
    @DisplayName("a client with a certificate from another CA cannot connect")
    void otherCa() throws Exception {
        SSLContext trustsUs = Transport.context(dir.resolve("other-ca/client.p12"), PASSWORD,
                dir.resolve("cluster/certs/truststore.p12"), PASSWORD);
        Throwable thrown = catchThrowable(() -> LocateRegistry.getRegistry(first.host(), first.port(),
                new OwnTls(trustsUs)).lookup(ReplicaService.NAME));
        assertThat(thrown).isNotNull();
        assertThat(RawRmi.messages(thrown)).containsAnyOf("certificate_unknown", "bad_certificate", "unknown_ca",
                "Broken pipe", "Connection reset");
        SSLContext trustsOther = Transport.context(dir.resolve("other-ca/client.p12"), PASSWORD,
                dir.resolve("other-ca/truststore.p12"), PASSWORD);
        Throwable other = catchThrowable(() -> LocateRegistry.getRegistry(first.host(), first.port(),
                new OwnTls(trustsOther)).lookup(ReplicaService.NAME));
        assertThat(RawRmi.messages(other)).contains("PKIX path");   // and it does not trust the replica either
    }

    @Test
    @DisplayName("a plain (non-TLS) client gets a clear error")
    void aPlainClientGetsAClearError() {
        Throwable thrown = catchThrowable(() -> LocateRegistry.getRegistry(first.host(), first.port(), new ClientSockets())
                .lookup(ReplicaService.NAME));
        assertThat(thrown).isNotNull();
        assertThat(Rmi.rootMessage(thrown)).isEqualTo("non-JRMP server at remote endpoint (a replica with tls.enabled=true"
                + " speaks only TLS: set tls.enabled=true and the tls.* settings in this client's configuration)");
    }

    @Test
    @DisplayName("the port speaks nothing but TLS 1.3 with client authentication")
    void onlyTls13() throws Exception {
        SSLContext context = Transport.context(dir.resolve("cluster/certs/client.p12"), PASSWORD,
                dir.resolve("cluster/certs/truststore.p12"), PASSWORD);
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(first.host(), first.port()), 3_000);
            SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, first.host(), first.port(), true);
            tls.setEnabledProtocols(new String[] {"TLSv1.2"});
            tls.setSoTimeout(3_000);
            assertThat(catchThrowable(tls::startHandshake)).isInstanceOf(IOException.class);
        }
    }

    private static javax.net.ssl.TrustManager[] trustManagers(Path truststore) throws Exception {
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(truststore)) {
            trusted.load(in, PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        return tmf.getTrustManagers();
    }

    /** A client's own TLS sockets, never shared with the connections the test's other clients pooled. */
    private record OwnTls(SSLContext context) implements RMIClientSocketFactory {
        @Override
        public Socket createSocket(String host, int port) throws IOException {
            Socket plain = new Socket();
            plain.connect(new InetSocketAddress(host, port), 3_000);
            SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
            tls.setSoTimeout(3_000);
            List<String> protocols = new ArrayList<>(List.of("TLSv1.3"));
            tls.setEnabledProtocols(protocols.toArray(String[]::new));
            return tls;
        }
    }
}
