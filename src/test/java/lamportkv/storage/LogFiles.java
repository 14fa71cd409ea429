package lamportkv.storage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
import java.util.zip.CRC32C;
import java.util.stream.Stream;

/** Test helpers that look at and damage log files directly, following the documented format. */
final class LogFiles {
    /** Format 2: the segment header, then records with this many bytes before the payload. */
    static final int SEGMENT_HEADER = 8;
    static final int RECORD_HEADER = 24;
    /** Format 1 (no segment header). */
    static final int V1_RECORD_HEADER = 16;

    /** One format-2 record's place in a segment file. */
    record Place(long offset, int payloadLength) {
        long end() {
            return offset + RECORD_HEADER + payloadLength;
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

    /** Walks the record headers of a well-formed format-2 segment. */
    static List<Place> places(Path segment) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(segment));
            if (b.limit() < SEGMENT_HEADER || b.getInt(0) != 0x4C4B5657 || b.getInt(4) != 2) {
                throw new AssertionError(segment + " does not start with a format-2 segment header");
            }
            List<Place> list = new ArrayList<>();
            int at = SEGMENT_HEADER;
            while (at + RECORD_HEADER <= b.limit()) {
                int length = b.getInt(at);
                list.add(new Place(at, length));
                at += RECORD_HEADER + length;
            }
            return list;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The forcedThrough watermark of the format-2 record at place. */
    static long forcedThrough(Path segment, Place place) {
        try {
            return ByteBuffer.wrap(Files.readAllBytes(segment)).getLong((int) place.offset() + 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A format-1 record, byte for byte as the previous version wrote it (written here independently of the code). */
    static byte[] v1Record(long index, byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(8).putLong(0, index));
        crc.update(payload);
        return ByteBuffer.allocate(V1_RECORD_HEADER + payload.length).putInt(payload.length)
                .putInt((int) crc.getValue()).putLong(index).put(payload).array();
    }

    /** The format-1 records for entries, concatenated: a whole format-1 segment. */
    static byte[] v1Segment(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Entry e : entries) {
            out.writeBytes(v1Record(e.index(), e.payload()));
        }
        return out.toByteArray();
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

    /**
     * Runs action and returns what it wrote to System.err, where the console writer of the logging
     * configuration puts WARN and ERROR lines (it looks up System.err at every line).
     */
    static String stderrOf(Runnable action) {
        return captured(action, System.err, System::setErr);
    }

    /** As {@link #stderrOf}, for System.out, where the console writer puts INFO lines. */
    static String stdoutOf(Runnable action) {
        return captured(action, System.out, System::setOut);
    }

    private static String captured(Runnable action, PrintStream original, java.util.function.Consumer<PrintStream> set) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        set.accept(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            set.accept(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
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
