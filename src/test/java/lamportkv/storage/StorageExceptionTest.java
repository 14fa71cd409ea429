package lamportkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class StorageExceptionTest {
    @Test
    void messagesAreOneLineEvenWhenTheOsSaysMore() {
        StorageException e = StorageException.io("write to", Path.of("/data/wal-1.log"),
                new IOException("Input/output error\n  at block 7"), "check the disk");
        assertThat(e.getMessage())
                .isEqualTo("cannot write to /data/wal-1.log: Input/output error at block 7; check the disk");
    }

    @Test
    void exceptionsWhoseMessageIsOnlyAPathKeepTheirKind() {
        StorageException e = StorageException.io("read", Path.of("/data/x"), new NoSuchFileException("/data/x"), "a");
        assertThat(e.getMessage()).contains("NoSuchFileException: /data/x");
    }
}
