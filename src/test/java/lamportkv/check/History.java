package lamportkv.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import lamportkv.core.Operation;
import lamportkv.core.Result;

/**
 * A thread-safe recorder of client operations, for {@link LinearizabilityChecker}. Call
 * {@link #invoke} just before sending an operation and {@link Call#complete} just after its answer
 * arrives, so the recorded interval contains the moment the operation really took effect.
 *
 * <p>The time source is {@link System#nanoTime} for real clusters and a step counter for the
 * simulation. Times are read under the history's lock, so they are consistent with the order in
 * which the calls were recorded.
 */
public final class History {
    private final LongSupplier clock;
    private final List<Call> calls = new ArrayList<>();

    public History(LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Records that {@code process} is sending {@code op} now. */
    public Call invoke(int process, Operation op) {
        Objects.requireNonNull(op, "op");
        synchronized (this) {
            Call call = new Call(process, op, clock.getAsLong());
            calls.add(call);
            return call;
        }
    }

    /**
     * Every operation so far, in invocation order, but those that certainly never happened; those
     * not completed yet are indeterminate.
     */
    public synchronized List<Entry> entries() {
        return calls.stream().filter(c -> !c.neverHappened).map(Call::entry).toList();
    }

    /** One operation in flight. Completes at most once. */
    public final class Call {
        private final int process;
        private final Operation op;
        private final long invokedAt;
        private long completedAt = Entry.UNKNOWN;
        private Optional<Result> result = Optional.empty();
        private boolean closed;
        private boolean neverHappened;

        private Call(int process, Operation op, long invokedAt) {
            this.process = process;
            this.op = op;
            this.invokedAt = invokedAt;
        }

        /** The answer arrived now. */
        public void complete(Result answer) {
            Objects.requireNonNull(answer, "answer");
            synchronized (History.this) {
                close();
                completedAt = clock.getAsLong();
                result = Optional.of(answer);
            }
        }

        /** No answer will come (e.g. a timeout): the operation may or may not have taken effect. */
        public void completeUnknown() {
            synchronized (History.this) {
                close();
            }
        }

        /** The client knows for certain the operation was never applied: it leaves the history. */
        public void didNotHappen() {
            synchronized (History.this) {
                close();
                neverHappened = true;
            }
        }

        public Operation op() {
            return op;
        }

        private void close() {
            if (closed) {
                throw new IllegalStateException("operation completed twice: " + String.join(" ", op.words()));
            }
            closed = true;
        }

        private Entry entry() {
            return new Entry(process, op, invokedAt, completedAt, result);
        }
    }
}
