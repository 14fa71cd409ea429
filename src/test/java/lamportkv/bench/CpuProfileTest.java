package lamportkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CpuProfileTest {
    @Test
    void splitsSamplesByThreadRoleAndByTheFirstKindOfWorkTheirFramesShow() {
        List<String> collapsed = List.of(
                // the loop forcing the log: a force, though the stack also holds a syscall
                "[replica-1-loop tid=10];java/lang/Thread.run;lamportkv/replica/EventLoop.run;"
                        + "lamportkv/storage/WriteAheadLog.force;sun/nio/ch/FileDispatcherImpl.force0;__GI_fdatasync 300",
                // the loop in the protocol
                "[replica-1-loop tid=10];java/lang/Thread.run;lamportkv/core/Node.receive;lamportkv/core/OrderingCore.onMessage 100",
                // a link encoding (Codec is the link's work, not the protocol's)
                "[link-1-to-2 tid=11];java/lang/Thread.run;lamportkv/replica/PeerLink.encode;lamportkv/core/Codec.writeMessage 50",
                // an RMI connection thread reading a batch: decoding objects, and reading the socket under it
                "[RMI TCP Connection(4)-127.0.0.1 tid=12];sun/rmi/transport/tcp/TCPTransport.handleMessages;"
                        + "java/io/ObjectInputStream.readObject;java/io/ObjectInputStream.readArray 100",
                "[RMI TCP Connection(4)-127.0.0.1 tid=12];sun/rmi/transport/tcp/TCPTransport.handleMessages;"
                        + "java/io/ObjectInputStream.readObject;java/net/Socket$SocketInputStream.read 50",
                // waiting for the loop's answer
                "[RMI TCP Connection(5)-127.0.0.1 tid=13];sun/rmi/transport/Transport.serviceCall;"
                        + "jdk/internal/misc/Unsafe.park;futex_wait_[k] 200",
                "[C2 CompilerThread0 tid=5];start_thread;CompileBroker::compiler_thread_loop 200",
                "");

        CpuProfile.Split s = CpuProfile.split("replica-1", collapsed, 0.5);

        assertThat(s.samples()).isEqualTo(1_000);
        assertThat(s.cores()).as("1,000 samples of 1 ms in 0.5 s").isEqualTo(2.0);
        assertThat(s.byRole()).containsEntry("event loop", 400L).containsEntry("peer links", 50L)
                .containsEntry("RMI connections", 350L).containsEntry("JIT compilers", 200L);
        assertThat(s.byKind()).containsEntry("log force (fdatasync)", 300L).containsEntry("protocol, state machine", 100L)
                .containsEntry("links: encode, sign", 50L).containsEntry("Java serialization", 100L)
                .containsEntry("socket I/O", 50L)
                .containsEntry("thread hand-offs (park, wake)", 200L).containsEntry("JIT compiler", 200L)
                .containsEntry("other", 0L);
        assertThat(s.table()).contains("replica-1: 2.00 cores", "event loop 40%", "log force (fdatasync) 30%")
                .doesNotContain("other");
    }
}
