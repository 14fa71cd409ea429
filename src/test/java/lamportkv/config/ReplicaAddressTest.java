package lamportkv.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ReplicaAddressTest {

    @Test
    @DisplayName("hostPort brackets IPv6 literals only")
    void hostPort() {
        assertThat(new ReplicaAddress(1, "127.0.0.1", 7101).hostPort()).isEqualTo("127.0.0.1:7101");
        assertThat(new ReplicaAddress(2, "::1", 7000).hostPort()).isEqualTo("[::1]:7000");
        assertThat(new ReplicaAddress(3, "node.example", 1).toString()).isEqualTo("replica 3 at node.example:1");
    }

    @Test
    @DisplayName("ids are positive and ports 1-65535")
    void validation() {
        assertThatThrownBy(() -> new ReplicaAddress(0, "a", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReplicaAddress(1, "a", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReplicaAddress(1, "a", 65536)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReplicaAddress(1, null, 1)).isInstanceOf(NullPointerException.class);
        assertThat(new ReplicaAddress(1, "a", 65535).port()).isEqualTo(65535);
    }
}
