package lamportkv.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * Opens the file channels the storage classes read and write through. Exists so that tests can
 * hand in a channel that fails on write or force (a full disk) or counts forces; production code
 * uses {@link #DEFAULT}.
 */
@FunctionalInterface
interface ChannelOpener {
    ChannelOpener DEFAULT = FileChannel::open;

    FileChannel open(Path path, OpenOption... options) throws IOException;
}
