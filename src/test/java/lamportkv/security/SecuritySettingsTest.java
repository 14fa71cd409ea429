package lamportkv.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import lamportkv.config.ClusterConfig;
import lamportkv.config.ConfigException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The security settings of replicas.properties. */
class SecuritySettingsTest {
    @TempDir
    Path dir;

    private ClusterConfig load(String... lines) throws Exception {
        Path file = dir.resolve("replicas.properties");
        Files.writeString(file, "replica.1=127.0.0.1:7101\nreplica.2=127.0.0.1:7102\n" + String.join("\n", lines) + "\n");
        return ClusterConfig.load(file);
    }

    @Test
    @DisplayName("defaults: the secret beside the file, no TLS")
    void defaults() throws Exception {
        ClusterConfig config = load();
        assertThat(config.clusterSecretFile()).isEqualTo(dir.toAbsolutePath().resolve("cluster.secret"));
        assertThat(config.tls()).isEmpty();
    }

    @Test
    @DisplayName("cluster.secret.file and the tls.* settings, relative to the file; {id} names each replica's store")
    void settings() throws Exception {
        ClusterConfig config = load("cluster.secret.file=secrets/prod.secret", "tls.enabled=true",
                "tls.keystore=certs/replica-{id}.p12", "tls.keystore.password=pw1", "tls.truststore=certs/trust.p12",
                "tls.truststore.password=pw2", "tls.client.keystore=/etc/kv/client.p12", "tls.client.keystore.password=pw3");
        assertThat(config.clusterSecretFile()).isEqualTo(dir.toAbsolutePath().resolve("secrets/prod.secret"));
        ClusterConfig.Tls tls = config.tls().orElseThrow();
        assertThat(tls.keystoreOf(2)).isEqualTo(dir.toAbsolutePath().resolve("certs/replica-2.p12"));
        assertThat(tls.truststore()).isEqualTo(dir.toAbsolutePath().resolve("certs/trust.p12"));
        assertThat(tls.clientKeystore()).isEqualTo(Path.of("/etc/kv/client.p12"));
        assertThat(tls.toString()).doesNotContain("pw1", "pw2", "pw3");
        assertThat(load("tls.enabled=false", "tls.keystore=x.p12").tls()).isEmpty();
    }

    @Test
    @DisplayName("refused: a bad tls.enabled, TLS without its stores, a client key store without its password")
    void refused() {
        assertThatThrownBy(() -> load("tls.enabled=yes")).isInstanceOf(ConfigException.class)
                .hasMessageEndingWith("replicas.properties:3: bad tls.enabled \"yes\" (expected true or false)");
        assertThatThrownBy(() -> load("tls.enabled=true", "tls.keystore=k.p12", "tls.keystore.password=p"))
                .hasMessageContaining("tls.enabled=true needs tls.truststore");
        assertThatThrownBy(() -> load("tls.enabled=true", "tls.keystore=k.p12", "tls.keystore.password=p",
                "tls.truststore=t.p12", "tls.truststore.password=p", "tls.client.keystore=c.p12"))
                .hasMessageContaining("tls.client.keystore and tls.client.keystore.password go together");
        assertThatThrownBy(() -> load("tls.keystore=")).hasMessageContaining("tls.keystore is empty");
        assertThatThrownBy(() -> load("tls.enable=true")).hasMessageContaining("unknown setting \"tls.enable\"")
                .hasMessageContaining("cluster.secret.file, tls.enabled, tls.keystore");
    }

    @Test
    @DisplayName("a client of a TLS cluster needs tls.client.keystore; a missing store is named")
    void clientSetup() throws Exception {
        ClusterConfig noClientStore = load("tls.enabled=true", "tls.keystore=k.p12", "tls.keystore.password=secret1",
                "tls.truststore=t.p12", "tls.truststore.password=secret1");
        assertThatThrownBy(() -> lamportkv.rmi.Transport.useClientConfig(noClientStore))
                .hasMessageContaining("there is no tls.client.keystore");
        Files.delete(dir.resolve("replicas.properties"));
        ClusterConfig missing = load("tls.enabled=true", "tls.keystore=k.p12", "tls.keystore.password=secret1",
                "tls.truststore=t.p12", "tls.truststore.password=secret1", "tls.client.keystore=c.p12",
                "tls.client.keystore.password=secret1");
        assertThatThrownBy(() -> lamportkv.rmi.Transport.useClientConfig(missing))
                .hasMessageContaining("no key store " + dir.toAbsolutePath().resolve("c.p12"));
        lamportkv.rmi.Transport.usePlain();
    }
}
