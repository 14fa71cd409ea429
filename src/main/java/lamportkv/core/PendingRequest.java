package lamportkv.core;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A request waiting in a replica's buffer, with what this replica knows about it: the OKs it
 * holds (at the origin) or whether its origin has released it with {@code APPLY} (elsewhere).
 */
public final class PendingRequest {
    private final Request request;
    private final long clientToken;
    private final Set<Integer> oksFrom = new TreeSet<>();
    private Result releasedWith;

    PendingRequest(Request request, long clientToken) {
        this.request = Objects.requireNonNull(request, "request");
        this.clientToken = clientToken;
    }

    public Request request() {
        return request;
    }

    public RequestId id() {
        return request.id();
    }

    /** The origin's handle for answering its client; meaningless at other replicas. */
    long clientToken() {
        return clientToken;
    }

    /** The replicas whose {@code OK} this replica holds for the request (origin only). */
    public Set<Integer> oksFrom() {
        return java.util.Collections.unmodifiableSet(oksFrom);
    }

    void recordOk(int from) {
        oksFrom.add(from);
    }

    /** Whether the origin has sent {@code APPLY} for the request. */
    public boolean released() {
        return releasedWith != null;
    }

    /** The result the origin computed, once released. */
    public Optional<Result> originResult() {
        return Optional.ofNullable(releasedWith);
    }

    void release(Result originResult) {
        this.releasedWith = Objects.requireNonNull(originResult, "originResult");
    }

    @Override
    public String toString() {
        return request.id() + " " + String.join(" ", request.op().words())
                + (released() ? " released" : " oks=" + oksFrom);
    }
}
