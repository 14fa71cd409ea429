package lamportkv.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** Test helpers that look at and damage log files directly, following the documented format. */
final class LogFiles {
    /** One record's place in a segment file. */
    record Place(long offset, int payloadLength) {
        long end() {
            return offset + 16 + payloadLength;
        }
    }

    /** A replayed record; equality compares payload contents. */
    record Entry(long index, byte[] payload) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.index == index && Arrays.equals(e.payload, payload);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(index) * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Entry[" + index + ", " + payload.length + " bytes]";
        }
    }

    private LogFiles() {}

    static byte[] payload(long index) {
        return ("record " + index + " " + "x".repeat((int) (index % 37))).getBytes(StandardCharsets.UTF_8);
    }

    static List<Entry> entries(long from, long to) {
        List<Entry> list = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            list.add(new Entry(i, payload(i)));
        }
        return list;
    }

    static List<Entry> replay(WriteAheadLog wal, long afterIndex) {
        List<Entry> list = new ArrayList<>();
        wal.replay(afterIndex, (index, payload) -> list.add(new Entry(index, payload)));
        return list;
    }

    static List<Path> segments(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("wal-\\d{20}\\.log")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Walks the headers of a well-formed segment. */
    static List<Place> places(Path segment) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(segment));
            List<Place> list = new ArrayList<>();
            int at = 0;
            while (at + 16 <= b.limit()) {
                int length = b.getInt(at);
                list.add(new Place(at, length));
                at += 16 + length;
            }
            return list;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void truncate(Path file, long size) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void flipByte(Path file, long offset) {
        write(file, offset, new byte[] {(byte) ~readByte(file, offset)});
    }

    static void write(Path file, long offset, byte[] bytes) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b, offset + b.position());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void appendBytes(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte readByte(Path file, long offset) {
        try {
            return Files.readAllBytes(file)[(int) offset];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
