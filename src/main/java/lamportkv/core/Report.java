package lamportkv.core;

import java.util.List;
import java.util.Optional;

/**
 * What a replica reports when it takes part in choosing a view (rule V3), after it has durably
 * stopped ordering: its view, whether it holds that view's state, how far it has applied, its
 * clock and its whole buffer.
 *
 * @param from         the reporting replica
 * @param incarnation  its incarnation (see {@link Ballot})
 * @param viewNumber   its current view
 * @param contributes  it is a member of that view with its state, so its buffer and applied
 *                     position count for the flush (rule V4)
 * @param appliedCount how many requests it has applied
 * @param lastApplied  the last of them, if any
 * @param clock        its Lamport clock
 * @param buffer       every pending request, in order
 */
public record Report(int from, long incarnation, long viewNumber, boolean contributes, long appliedCount,
                     Optional<RequestId> lastApplied, long clock, List<Request> buffer) {
    public Report {
        buffer = List.copyOf(buffer);
    }
}
