package lamportkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The ordering rules of PROTOCOL.md, driven message by message against a recording
 * {@link OrderingCore.Effects}.
 */
class OrderingCoreTest {

    // ---- test fixtures ----------------------------------------------------------------------

    record Sent(int to, PeerMessage message) {
    }

    record Executed(long clientToken, Request request, Result result) {
    }

    record Applied(Request request, Result result) {
    }

    /** Records everything the core asks of its caller, in order. */
    static final class Recorder implements OrderingCore.Effects {
        final List<Sent> sent = new ArrayList<>();
        final List<Executed> executed = new ArrayList<>();
        final List<Applied> applied = new ArrayList<>();
        /** Every effect in call order, to check that a replica applies before it answers. */
        final List<String> log = new ArrayList<>();

        @Override
        public void send(int to, PeerMessage message) {
            sent.add(new Sent(to, message));
            log.add("send " + to);
        }

        @Override
        public void executed(long clientToken, Request request, Result result) {
            executed.add(new Executed(clientToken, request, result));
            log.add("executed " + request.id());
        }

        @Override
        public void applied(Request request, Result result) {
            applied.add(new Applied(request, result));
            log.add("applied " + request.id());
        }

        List<PeerMessage> sentTo(int to) {
            return sent.stream().filter(s -> s.to() == to).map(Sent::message).collect(Collectors.toList());
        }

        List<RequestId> appliedIds() {
            return applied.stream().map(a -> a.request().id()).collect(Collectors.toList());
        }
    }

    /** One replica: its core and what it did. */
    static final class Node {
        final Recorder out = new Recorder();
        final OrderingCore core;

        Node(int self, Integer... members) {
            core = new OrderingCore(self, List.of(members), new StateMachine(), out);
        }

        StateMachine state() {
            return core.state();
        }

        long clock() {
            return state().clock().time();
        }

        PendingRequest pending(RequestId id) {
            return state().pending(id).orElseThrow(() -> new AssertionError(id + " is not pending"));
        }

        List<RequestId> buffer() {
            return state().bufferInOrder().stream().map(PendingRequest::id).collect(Collectors.toList());
        }
    }

    /** Replicas joined by FIFO links that the test drives one message at a time. */
    static final class Cluster {
        final Map<Integer, Node> nodes = new TreeMap<>();
        private final Map<List<Integer>, Integer> deliveredOnLink = new HashMap<>();

        Cluster(Integer... ids) {
            for (int id : ids) {
                nodes.put(id, new Node(id, ids));
            }
        }

        Node node(int id) {
            return nodes.get(id);
        }

        int undelivered(int from, int to) {
            return nodes.get(from).out.sentTo(to).size() - deliveredOnLink.getOrDefault(List.of(from, to), 0);
        }

        /** Delivers the oldest undelivered message on link from→to, and returns it. */
        PeerMessage deliver(int from, int to) {
            List<PeerMessage> link = nodes.get(from).out.sentTo(to);
            int next = deliveredOnLink.getOrDefault(List.of(from, to), 0);
            assertThat(link).as("an undelivered message on link %d->%d", from, to).hasSizeGreaterThan(next);
            PeerMessage m = link.get(next);
            deliveredOnLink.put(List.of(from, to), next + 1);
            nodes.get(to).core.onMessage(from, m);
            return m;
        }

        boolean quiet() {
            for (int from : nodes.keySet()) {
                for (int to : nodes.keySet()) {
                    if (from != to && undelivered(from, to) > 0) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    static Operation op(String line) {
        return Operation.parse(Arrays.asList(line.split(" ")));
    }

    static Request request(long ts, int origin, String line) {
        return new Request(new RequestId(ts, origin), op(line));
    }

    static PeerMessage.RequestMsg requestMsg(long ts, int origin, String line) {
        return new PeerMessage.RequestMsg(request(ts, origin, line));
    }

    static RequestId id(long ts, int origin) {
        return new RequestId(ts, origin);
    }

    static final Result OK = Result.ok("OK");

    // ---- rule 1 -------------------------------------------------------------------------------

    @Nested
    @DisplayName("rule 1: a client operation")
    class ClientOperation {
        @Test
        @DisplayName("ticks, stamps (L, self) and sends REQUEST to every other replica, buffering it")
        void stampsBuffersAndSends() {
            Node n = new Node(2, 1, 2, 3);
            RequestId r = n.core.onClientOperation(op("set x 1"), 77);

            assertThat(r).isEqualTo(id(1, 2));
            assertThat(n.clock()).isEqualTo(1);
            PeerMessage.RequestMsg expected = new PeerMessage.RequestMsg(request(1, 2, "set x 1"));
            assertThat(n.out.sent).containsExactly(new Sent(1, expected), new Sent(3, expected));
            assertThat(expected.clock()).isEqualTo(1);
            assertThat(n.buffer()).containsExactly(id(1, 2));
            assertThat(n.pending(r).oksFrom()).isEmpty();
            assertThat(n.out.executed).isEmpty();
            assertThat(n.out.applied).isEmpty();
            assertThat(n.state().appliedCount()).isZero();
        }

        @Test
        @DisplayName("the stamp follows the clock: ticks and earlier operations come before")
        void stampFollowsTheClock() {
            Node n = new Node(1, 1, 2);
            assertThat(n.core.onInternalEvent()).isEqualTo(1);
            assertThat(n.core.onInternalEvent()).isEqualTo(2);
            assertThat(n.core.onClientOperation(op("get a"), 1)).isEqualTo(id(3, 1));
            assertThat(n.core.onClientOperation(op("get b"), 2)).isEqualTo(id(4, 1));
            assertThat(n.out.sentTo(2)).extracting(PeerMessage::clock).containsExactly(3L, 4L);
            assertThat(n.buffer()).containsExactly(id(3, 1), id(4, 1));
        }

        @Test
        @DisplayName("the REQUEST carries the client's tag")
        void carriesClientTag() {
            Node n = new Node(1, 1, 2);
            ClientTag tag = new ClientTag(99, 4, 123_456);
            n.core.onClientOperation(op("del k"), tag, 5);
            assertThat(n.out.sent).containsExactly(
                    new Sent(2, new PeerMessage.RequestMsg(new Request(id(1, 1), op("del k"), tag))));
        }

        @Test
        @DisplayName("a replica that is not among the members is refused")
        void selfMustBeAMember() {
            assertThatThrownBy(() -> new OrderingCore(4, List.of(1, 2, 3), new StateMachine(), new Recorder()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("replica 4");
        }
    }

    // ---- rule 2 -------------------------------------------------------------------------------

    @Nested
    @DisplayName("rule 2: REQUEST at another replica")
    class RequestAtAnotherReplica {
        @Test
        @DisplayName("updates the clock to max(L, ts) + 1, buffers the request and sends OK at once carrying its clock")
        void clockBufferOk() {
            Node n = new Node(1, 1, 2, 3);
            n.core.onMessage(2, requestMsg(5, 2, "set x 1"));

            // receive: max(0, 5) + 1 = 6; send of the OK: 7
            assertThat(n.out.sent).containsExactly(new Sent(2, new PeerMessage.OkMsg(id(5, 2), 7)));
            assertThat(n.clock()).isEqualTo(7);
            assertThat(n.buffer()).containsExactly(id(5, 2));
            assertThat(n.pending(id(5, 2)).released()).isFalse();
            assertThat(n.out.applied).isEmpty();
            assertThat(n.out.executed).isEmpty();
        }

        @Test
        @DisplayName("a clock ahead of the stamp just ticks: L + 1, then the OK's send")
        void clockAhead() {
            Node n = new Node(1, 1, 2);
            for (int i = 0; i < 10; i++) {
                n.core.onInternalEvent();
            }
            n.core.onMessage(2, requestMsg(3, 2, "keys"));
            assertThat(n.out.sent).containsExactly(new Sent(2, new PeerMessage.OkMsg(id(3, 2), 12)));
            assertThat(n.clock()).isEqualTo(12);
        }

        @Test
        @DisplayName("the request keeps its origin's stamp: it is never re-stamped")
        void neverReStamped() {
            Node n = new Node(1, 1, 2);
            for (int i = 0; i < 50; i++) {
                n.core.onInternalEvent();
            }
            n.core.onMessage(2, requestMsg(3, 2, "get x"));
            assertThat(n.buffer()).containsExactly(id(3, 2));
            assertThat(n.pending(id(3, 2)).request()).isEqualTo(request(3, 2, "get x"));
        }

        @Test
        @DisplayName("the OK is not deferred, even while an own earlier request is pending")
        void okNotDeferred() {
            Node n = new Node(1, 1, 2, 3);
            n.core.onClientOperation(op("set x 1"), 1);           // (1,1), waiting for OKs
            n.core.onMessage(2, requestMsg(5, 2, "set x 2"));      // later than (1,1)
            n.core.onMessage(3, requestMsg(1, 3, "set x 3"));      // same stamp, higher origin
            assertThat(n.out.sentTo(2)).containsExactly(requestMsg(1, 1, "set x 1"), new PeerMessage.OkMsg(id(5, 2), 7));
            assertThat(n.out.sentTo(3)).containsExactly(requestMsg(1, 1, "set x 1"), new PeerMessage.OkMsg(id(1, 3), 9));
            assertThat(n.buffer()).containsExactly(id(1, 1), id(1, 3), id(5, 2));
        }

        @Test
        @DisplayName("stamps from one origin must only grow, each one accepted in turn")
        void increasingStampsAccepted() {
            Node n = new Node(1, 1, 2);
            n.core.onMessage(2, requestMsg(1, 2, "get a"));
            n.core.onMessage(2, requestMsg(2, 2, "get b"));
            n.core.onMessage(2, requestMsg(10, 2, "get c"));
            assertThat(n.buffer()).containsExactly(id(1, 2), id(2, 2), id(10, 2));
            assertThat(n.out.sent).extracting(Sent::message).extracting(PeerMessage::requestId)
                    .containsExactly(id(1, 2), id(2, 2), id(10, 2));
        }
    }

    // ---- rules 3 and 4 ------------------------------------------------------------------------

    @Nested
    @DisplayName("rules 3 and 4: OKs and execution at the origin")
    class OksAndExecution {
        @Test
        @DisplayName("an OK updates the clock and is recorded; one missing OK keeps the request waiting")
        void okRecorded() {
            Node n = new Node(1, 1, 2, 3);
            RequestId r = n.core.onClientOperation(op("set x 1"), 9);     // clock 1
            n.core.onMessage(2, new PeerMessage.OkMsg(r, 10));

            assertThat(n.clock()).isEqualTo(11);
            assertThat(n.pending(r).oksFrom()).containsExactly(2);
            assertThat(n.out.executed).isEmpty();
            assertThat(n.state().appliedCount()).isZero();
            assertThat(n.core.waitingFor(r)).containsExactly(3);
        }

        @Test
        @DisplayName("with every OK in at the head: apply, remove, send APPLY with the result, answer the client")
        void executesWithEveryOk() {
            Node n = new Node(1, 1, 2, 3);
            RequestId r = n.core.onClientOperation(op("set x 1"), 9);
            n.core.onMessage(2, new PeerMessage.OkMsg(r, 10));             // clock 11
            n.out.sent.clear();
            n.out.log.clear();
            n.core.onMessage(3, new PeerMessage.OkMsg(r, 4));              // clock 12, APPLY sent at 13

            Request req = request(1, 1, "set x 1");
            assertThat(n.out.executed).containsExactly(new Executed(9, req, OK));
            assertThat(n.out.applied).containsExactly(new Applied(req, OK));
            PeerMessage.ApplyMsg apply = new PeerMessage.ApplyMsg(r, 13, OK);
            assertThat(n.out.sent).containsExactly(new Sent(2, apply), new Sent(3, apply));
            assertThat(n.out.log).containsExactly("applied (1,1)", "send 2", "send 3", "executed (1,1)");
            assertThat(n.clock()).isEqualTo(13);
            assertThat(n.buffer()).isEmpty();
            assertThat(n.state().appliedCount()).isEqualTo(1);
            assertThat(n.state().data()).containsEntry("x", Value.parse("1"));
            assertThat(n.core.waitingFor(r)).isEmpty();
        }

        @Test
        @DisplayName("every OK but an earlier foreign request at the head: it waits for that request's APPLY")
        void waitsBehindEarlierForeignRequest() {
            Node n = new Node(2, 1, 2, 3);
            n.core.onMessage(1, requestMsg(1, 1, "set x 5"));              // clock 2, OK at 3
            RequestId mine = n.core.onClientOperation(op("add x 1"), 4);  // (4,2)
            assertThat(mine).isEqualTo(id(4, 2));
            n.core.onMessage(1, new PeerMessage.OkMsg(mine, 5));
            n.core.onMessage(3, new PeerMessage.OkMsg(mine, 5));

            assertThat(n.pending(mine).oksFrom()).containsExactly(1, 3);
            assertThat(n.out.executed).isEmpty();
            assertThat(n.out.applied).isEmpty();
            assertThat(n.core.waitingFor(mine)).containsExactly(1);

            n.core.onMessage(1, new PeerMessage.ApplyMsg(id(1, 1), 6, OK));
            assertThat(n.out.appliedIds()).containsExactly(id(1, 1), id(4, 2));
            assertThat(n.out.executed).containsExactly(new Executed(4, request(4, 2, "add x 1"), Result.ok("6")));
            assertThat(n.buffer()).isEmpty();
        }

        @Test
        @DisplayName("own requests execute in stamp order: a later one with its OKs waits for the earlier one's")
        void ownRequestsInOrder() {
            Node n = new Node(1, 1, 2);
            RequestId a = n.core.onClientOperation(op("set x 1"), 100);
            RequestId b = n.core.onClientOperation(op("mult x 7"), 200);
            n.core.onMessage(2, new PeerMessage.OkMsg(b, 3));
            assertThat(n.out.executed).isEmpty();
            assertThat(n.core.waitingFor(b)).containsExactly(2);

            n.core.onMessage(2, new PeerMessage.OkMsg(a, 3));
            assertThat(n.out.executed).extracting(Executed::clientToken, Executed::result)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(100L, OK),
                            org.assertj.core.groups.Tuple.tuple(200L, Result.ok("7")));
            assertThat(n.out.sentTo(2)).filteredOn(m -> m instanceof PeerMessage.ApplyMsg)
                    .extracting(PeerMessage::requestId).containsExactly(a, b);
        }

        @Test
        @DisplayName("same stamp: the lower origin's request goes first, so (1,1) executes without waiting for (1,2)")
        void tieBreakAtTheOrigin() {
            Node one = new Node(1, 1, 2);
            RequestId mine = one.core.onClientOperation(op("set x 1"), 1);   // (1,1)
            one.core.onMessage(2, requestMsg(1, 2, "set x 2"));              // (1,2) sorts after (1,1)
            assertThat(one.buffer()).containsExactly(id(1, 1), id(1, 2));
            one.core.onMessage(2, new PeerMessage.OkMsg(mine, 2));
            assertThat(one.out.appliedIds()).containsExactly(id(1, 1));
            assertThat(one.buffer()).containsExactly(id(1, 2));

            Node two = new Node(2, 1, 2);
            RequestId theirs = two.core.onClientOperation(op("set x 2"), 1);  // (1,2)
            two.core.onMessage(1, requestMsg(1, 1, "set x 1"));
            assertThat(two.buffer()).containsExactly(id(1, 1), id(1, 2));
            two.core.onMessage(1, new PeerMessage.OkMsg(theirs, 3));
            assertThat(two.out.executed).isEmpty();
            assertThat(two.core.waitingFor(theirs)).containsExactly(1);
        }

        @Test
        @DisplayName("a single-replica cluster executes at once")
        void singleReplica() {
            Node n = new Node(1, 1);
            n.core.onClientOperation(op("set x 1"), 1);
            n.core.onClientOperation(op("add x 2"), 2);
            n.core.onClientOperation(op("get x"), 3);
            assertThat(n.out.sent).isEmpty();
            assertThat(n.out.executed).extracting(Executed::clientToken, e -> e.result().text())
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, "OK"),
                            org.assertj.core.groups.Tuple.tuple(2L, "3"),
                            org.assertj.core.groups.Tuple.tuple(3L, "3"));
            assertThat(n.buffer()).isEmpty();
            assertThat(n.state().appliedCount()).isEqualTo(3);
        }

        @Test
        @DisplayName("the replica list may contain duplicates and any order")
        void membersNormalized() {
            Node n = new Node(2, 3, 2, 1, 3);
            n.core.onClientOperation(op("keys"), 1);
            assertThat(n.out.sent).extracting(Sent::to).containsExactly(1, 3);
        }
    }

    // ---- rule 5 -------------------------------------------------------------------------------

    @Nested
    @DisplayName("rule 5: APPLY at another replica")
    class ApplyAtAnotherReplica {
        @Test
        @DisplayName("updates the clock, releases the request and applies it from the head, sending nothing")
        void appliesFromHead() {
            Node n = new Node(3, 1, 2, 3);
            n.core.onMessage(1, requestMsg(1, 1, "set x 1"));     // clock 2, OK at 3
            n.out.sent.clear();
            n.core.onMessage(1, new PeerMessage.ApplyMsg(id(1, 1), 20, OK));

            assertThat(n.clock()).isEqualTo(21);
            assertThat(n.out.applied).containsExactly(new Applied(request(1, 1, "set x 1"), OK));
            assertThat(n.out.executed).isEmpty();
            assertThat(n.out.sent).isEmpty();
            assertThat(n.buffer()).isEmpty();
            assertThat(n.state().data()).containsEntry("x", Value.parse("1"));
        }

        @Test
        @DisplayName("an APPLY for a later request waits for the earlier request's APPLY")
        void laterApplyWaits() {
            Node n = new Node(3, 1, 2, 3);
            n.core.onMessage(1, requestMsg(1, 1, "set x 1"));
            n.core.onMessage(2, requestMsg(2, 2, "mult x 10"));
            n.core.onMessage(2, new PeerMessage.ApplyMsg(id(2, 2), 9, Result.ok("10")));

            assertThat(n.out.applied).isEmpty();
            assertThat(n.state().appliedCount()).isZero();
            assertThat(n.pending(id(2, 2)).released()).isTrue();
            assertThat(n.pending(id(2, 2)).originResult()).contains(Result.ok("10"));
            assertThat(n.pending(id(1, 1)).released()).isFalse();
            assertThat(n.core.waitingFor(id(2, 2))).containsExactly(1);

            n.core.onMessage(1, new PeerMessage.ApplyMsg(id(1, 1), 4, OK));
            assertThat(n.out.applied).containsExactly(
                    new Applied(request(1, 1, "set x 1"), OK),
                    new Applied(request(2, 2, "mult x 10"), Result.ok("10")));
            assertThat(n.buffer()).isEmpty();
            assertThat(n.state().appliedCount()).isEqualTo(2);
        }

        @Test
        @DisplayName("a released request behind an own request without OKs waits too")
        void releasedBehindOwnRequest() {
            Node n = new Node(1, 1, 2);
            RequestId mine = n.core.onClientOperation(op("set x 1"), 1);     // (1,1)
            n.core.onMessage(2, requestMsg(2, 2, "set x 2"));
            n.core.onMessage(2, new PeerMessage.ApplyMsg(id(2, 2), 5, OK));
            assertThat(n.out.applied).isEmpty();
            assertThat(n.core.waitingFor(id(2, 2))).containsExactly(2);       // the OK for (1,1)
            n.core.onMessage(2, new PeerMessage.OkMsg(mine, 6));
            assertThat(n.out.appliedIds()).containsExactly(id(1, 1), id(2, 2));
        }
    }

    // ---- rule 6 -------------------------------------------------------------------------------

    @Test
    @DisplayName("rule 6: a failing operation is ordered and applied everywhere and fails identically")
    void failedOperationsAreOrderedAndApplied() {
        Cluster c = new Cluster(1, 2);
        c.node(1).core.onClientOperation(op("add x 1"), 5);
        c.deliver(1, 2);           // REQUEST
        c.deliver(2, 1);           // OK: 1 executes
        Result failure = Result.error("no such key: x");
        assertThat(c.node(1).out.executed).containsExactly(new Executed(5, request(1, 1, "add x 1"), failure));
        PeerMessage apply = c.deliver(1, 2);
        assertThat(apply).isInstanceOf(PeerMessage.ApplyMsg.class);
        assertThat(((PeerMessage.ApplyMsg) apply).result()).isEqualTo(failure);
        assertThat(c.node(2).out.applied).containsExactly(new Applied(request(1, 1, "add x 1"), failure));
        for (Node n : c.nodes.values()) {
            assertThat(n.state().appliedCount()).isEqualTo(1);
            assertThat(n.state().data()).isEmpty();
            assertThat(n.buffer()).isEmpty();
        }
        assertThat(c.quiet()).isTrue();
    }

    // ---- protocol violations ------------------------------------------------------------------

    @Nested
    @DisplayName("messages the rules cannot accept: ProtocolViolation, state untouched")
    class Violations {
        /** Checks that the message is refused and nothing observable changed: clock, buffer, OKs, data, effects. */
        private void assertRefused(Node n, int from, PeerMessage m, String reason) {
            long clock = n.clock();
            List<String> buffer = n.state().bufferInOrder().stream().map(PendingRequest::toString).collect(Collectors.toList());
            long applied = n.state().appliedCount();
            String digest = n.state().digest();
            int sent = n.out.sent.size();
            int executed = n.out.executed.size();
            int appliedEffects = n.out.applied.size();

            assertThatThrownBy(() -> n.core.onMessage(from, m))
                    .isInstanceOf(ProtocolViolation.class)
                    .hasMessageContaining(reason);

            assertThat(n.clock()).as("clock").isEqualTo(clock);
            assertThat(n.state().bufferInOrder()).extracting(PendingRequest::toString).as("buffer").isEqualTo(buffer);
            assertThat(n.state().appliedCount()).as("applied count").isEqualTo(applied);
            assertThat(n.state().digest()).as("data").isEqualTo(digest);
            assertThat(n.out.sent).as("sent").hasSize(sent);
            assertThat(n.out.executed).as("executed").hasSize(executed);
            assertThat(n.out.applied).as("applied").hasSize(appliedEffects);
        }

        /** Replica 1 of {1,2,3} with its own (1,1) holding 2's OK, and 2's (3,2) buffered. */
        private Node busyReplica() {
            Node n = new Node(1, 1, 2, 3);
            n.core.onClientOperation(op("set x 1"), 1);                // (1,1), clock 1
            n.core.onMessage(2, new PeerMessage.OkMsg(id(1, 1), 2));   // clock 3
            n.core.onMessage(2, requestMsg(3, 2, "set y 2"));          // clock 4, OK at 5
            return n;
        }

        @Test
        @DisplayName("a message from a replica that is not a member")
        void fromNonMember() {
            Node n = busyReplica();
            assertRefused(n, 4, requestMsg(9, 4, "get x"), "not a peer");
            assertRefused(n, 4, new PeerMessage.OkMsg(id(1, 1), 9), "not a peer");
            assertRefused(n, 0, new PeerMessage.ApplyMsg(id(3, 2), 9, OK), "not a peer");
        }

        @Test
        @DisplayName("a message from itself")
        void fromSelf() {
            Node n = busyReplica();
            assertRefused(n, 1, requestMsg(9, 1, "get x"), "not a peer");
            assertRefused(n, 1, new PeerMessage.OkMsg(id(1, 1), 9), "not a peer");
            assertThat(n.pending(id(1, 1)).oksFrom()).containsExactly(2);
        }

        @Test
        @DisplayName("a REQUEST whose origin is not its sender")
        void requestFromWrongOrigin() {
            Node n = busyReplica();
            assertRefused(n, 2, requestMsg(10, 3, "get x"), "stamped by replica 3");
            // 3's own stamp 10 is still acceptable afterwards: nothing was recorded for 3.
            n.core.onMessage(3, requestMsg(10, 3, "get x"));
            assertThat(n.buffer()).contains(id(10, 3));
        }

        @Test
        @DisplayName("a REQUEST with a stamp not above the previous one from that origin")
        void requestStampNotIncreasing() {
            Node n = busyReplica();
            assertRefused(n, 2, requestMsg(3, 2, "set y 2"), "only grow");     // the same again
            assertRefused(n, 2, requestMsg(2, 2, "get y"), "only grow");       // lower
            n.core.onMessage(2, requestMsg(4, 2, "get y"));                     // higher: fine
            assertThat(n.buffer()).containsExactly(id(1, 1), id(3, 2), id(4, 2));
        }

        @Test
        @DisplayName("a REQUEST repeating one already applied")
        void requestAfterApplied() {
            Node n = new Node(1, 1, 2);
            n.core.onMessage(2, requestMsg(1, 2, "set a 1"));
            n.core.onMessage(2, new PeerMessage.ApplyMsg(id(1, 2), 3, OK));
            assertThat(n.state().appliedCount()).isEqualTo(1);
            assertRefused(n, 2, requestMsg(1, 2, "set a 1"), "only grow");
        }

        @Test
        @DisplayName("an OK for an unknown request")
        void okForUnknownRequest() {
            Node n = busyReplica();
            assertRefused(n, 3, new PeerMessage.OkMsg(id(7, 1), 9), "not a pending request");
        }

        @Test
        @DisplayName("an OK for another replica's request")
        void okForForeignRequest() {
            Node n = busyReplica();
            assertRefused(n, 3, new PeerMessage.OkMsg(id(3, 2), 9), "not a pending request");
            assertThat(n.pending(id(3, 2)).oksFrom()).isEmpty();
        }

        @Test
        @DisplayName("an OK for an own request already executed")
        void okAfterExecution() {
            Node n = new Node(1, 1, 2);
            RequestId r = n.core.onClientOperation(op("set x 1"), 1);
            n.core.onMessage(2, new PeerMessage.OkMsg(r, 2));
            assertThat(n.out.executed).hasSize(1);
            assertRefused(n, 2, new PeerMessage.OkMsg(r, 2), "not a pending request");
        }

        @Test
        @DisplayName("a duplicate OK")
        void duplicateOk() {
            Node n = busyReplica();
            assertRefused(n, 2, new PeerMessage.OkMsg(id(1, 1), 50), "second OK");
            assertThat(n.pending(id(1, 1)).oksFrom()).containsExactly(2);
            // the legitimate last OK still executes the request
            n.core.onMessage(3, new PeerMessage.OkMsg(id(1, 1), 2));
            assertThat(n.out.executed).hasSize(1);
        }

        @Test
        @DisplayName("an APPLY from a replica that is not the request's origin")
        void applyFromNonOrigin() {
            Node n = busyReplica();
            assertRefused(n, 3, new PeerMessage.ApplyMsg(id(3, 2), 9, OK), "not an unreleased request");
            assertRefused(n, 2, new PeerMessage.ApplyMsg(id(1, 1), 9, OK), "not an unreleased request");
            assertThat(n.pending(id(3, 2)).released()).isFalse();
        }

        @Test
        @DisplayName("an APPLY for an unknown request")
        void applyForUnknown() {
            Node n = busyReplica();
            assertRefused(n, 2, new PeerMessage.ApplyMsg(id(8, 2), 9, OK), "not an unreleased request");
        }

        @Test
        @DisplayName("an APPLY twice, while the request still waits in the buffer")
        void applyTwiceWhileWaiting() {
            Node n = busyReplica();
            n.core.onMessage(2, new PeerMessage.ApplyMsg(id(3, 2), 9, OK));     // waits behind (1,1)
            assertThat(n.pending(id(3, 2)).released()).isTrue();
            assertRefused(n, 2, new PeerMessage.ApplyMsg(id(3, 2), 10, OK), "not an unreleased request");
        }

        @Test
        @DisplayName("an APPLY twice, after the request was applied")
        void applyTwiceAfterApplied() {
            Node n = new Node(3, 1, 2, 3);
            n.core.onMessage(1, requestMsg(1, 1, "set x 1"));
            n.core.onMessage(1, new PeerMessage.ApplyMsg(id(1, 1), 5, OK));
            assertThat(n.state().appliedCount()).isEqualTo(1);
            assertRefused(n, 1, new PeerMessage.ApplyMsg(id(1, 1), 6, OK), "not an unreleased request");
        }
    }

    // ---- waitingFor ---------------------------------------------------------------------------

    @Nested
    @DisplayName("waitingFor")
    class WaitingFor {
        @Test
        @DisplayName("is empty for an unknown or already executed request")
        void emptyWhenNotPending() {
            Node n = new Node(1, 1);
            RequestId r = n.core.onClientOperation(op("keys"), 1);
            assertThat(n.core.waitingFor(r)).isEmpty();
            assertThat(n.core.waitingFor(id(99, 1))).isEmpty();
        }

        @Test
        @DisplayName("names every replica whose OK is missing, in id order")
        void namesMissingOks() {
            Node n = new Node(2, 5, 1, 2, 3);
            RequestId r = n.core.onClientOperation(op("keys"), 1);
            assertThat(n.core.waitingFor(r)).containsExactly(1, 3, 5);
            n.core.onMessage(3, new PeerMessage.OkMsg(r, 1));
            assertThat(n.core.waitingFor(r)).containsExactly(1, 5);
        }

        @Test
        @DisplayName("names the origin of an unreleased earlier request, and missing OKs together")
        void namesEarlierOrigins() {
            Node n = new Node(1, 1, 2, 3);
            n.core.onMessage(2, requestMsg(1, 2, "get a"));                   // clock 2, OK 3
            n.core.onMessage(3, requestMsg(2, 3, "get b"));                   // clock 4, OK 5
            RequestId mine = n.core.onClientOperation(op("get c"), 1);       // (6,1)
            assertThat(n.core.waitingFor(mine)).containsExactly(2, 3);
            n.core.onMessage(2, new PeerMessage.OkMsg(mine, 7));
            n.core.onMessage(3, new PeerMessage.OkMsg(mine, 7));
            assertThat(n.core.waitingFor(mine)).containsExactly(2, 3);       // both earlier requests unreleased
            n.core.onMessage(3, new PeerMessage.ApplyMsg(id(2, 3), 8, Result.ok("(nil)")));
            assertThat(n.core.waitingFor(mine)).containsExactly(2);          // (2,3) released, (1,2) not
            n.core.onMessage(2, new PeerMessage.ApplyMsg(id(1, 2), 8, Result.ok("(nil)")));
            assertThat(n.core.waitingFor(mine)).isEmpty();
            assertThat(n.out.executed).hasSize(1);
        }

        @Test
        @DisplayName("ignores requests ordered after the one asked about")
        void ignoresLaterRequests() {
            Node n = new Node(1, 1, 2, 3);
            RequestId mine = n.core.onClientOperation(op("get c"), 1);       // (1,1)
            n.core.onMessage(3, requestMsg(5, 3, "get b"));
            n.core.onMessage(2, new PeerMessage.OkMsg(mine, 2));
            assertThat(n.core.waitingFor(mine)).containsExactly(3);
            n.core.onMessage(3, new PeerMessage.OkMsg(mine, 2));
            assertThat(n.core.waitingFor(mine)).isEmpty();
        }
    }

    // ---- whole scenarios ----------------------------------------------------------------------

    @Test
    @DisplayName("3 replicas, two concurrent requests with the same stamp: everyone applies them in (ts, origin) order")
    void concurrentRequestsWithTheSameStamp() {
        Cluster c = new Cluster(1, 2, 3);
        Node r1 = c.node(1), r2 = c.node(2), r3 = c.node(3);
        RequestId a = r1.core.onClientOperation(op("set x 2"), 11);
        RequestId b = r2.core.onClientOperation(op("add x 3"), 22);
        assertThat(a).isEqualTo(id(1, 1));
        assertThat(b).isEqualTo(id(1, 2));

        // Replica 3 hears of (1,2) first, yet (1,1) heads its buffer.
        c.deliver(2, 3);
        assertThat(r3.clock()).isEqualTo(3);
        c.deliver(1, 3);
        assertThat(r3.clock()).isEqualTo(5);
        assertThat(r3.buffer()).containsExactly(a, b);
        assertThat(r3.out.sentTo(2)).containsExactly(new PeerMessage.OkMsg(b, 3));
        assertThat(r3.out.sentTo(1)).containsExactly(new PeerMessage.OkMsg(a, 5));

        c.deliver(1, 2);           // REQUEST (1,1) at 2
        c.deliver(2, 1);           // REQUEST (1,2) at 1
        assertThat(r1.buffer()).containsExactly(a, b);
        assertThat(r2.buffer()).containsExactly(a, b);
        assertThat(r1.clock()).isEqualTo(3);
        assertThat(r2.clock()).isEqualTo(3);

        // Replica 2 collects every OK for (1,2) but (1,1) is ahead and unreleased.
        c.deliver(3, 2);
        c.deliver(1, 2);
        assertThat(r2.clock()).isEqualTo(5);
        assertThat(r2.pending(b).oksFrom()).containsExactly(1, 3);
        assertThat(r2.out.executed).isEmpty();
        assertThat(r2.core.waitingFor(b)).containsExactly(1);

        // Replica 1 collects its OKs and executes (1,1); (1,2) now heads its buffer, unreleased.
        c.deliver(2, 1);
        assertThat(r1.core.waitingFor(a)).containsExactly(3);
        c.deliver(3, 1);
        assertThat(r1.out.executed).containsExactly(new Executed(11, request(1, 1, "set x 2"), OK));
        assertThat(r1.out.sentTo(2)).last().isEqualTo(new PeerMessage.ApplyMsg(a, 7, OK));
        assertThat(r1.buffer()).containsExactly(b);

        // Replica 2 receives APPLY(1,1): it applies it, then executes its own (1,2).
        c.deliver(1, 2);
        assertThat(r2.out.appliedIds()).containsExactly(a, b);
        assertThat(r2.out.executed).containsExactly(new Executed(22, request(1, 2, "add x 3"), Result.ok("5")));
        assertThat(r2.out.sentTo(3)).last().isEqualTo(new PeerMessage.ApplyMsg(b, 9, Result.ok("5")));

        // Replica 3 gets APPLY(1,2) before APPLY(1,1) (different links): it waits.
        c.deliver(2, 3);
        assertThat(r3.clock()).isEqualTo(10);
        assertThat(r3.out.applied).isEmpty();
        assertThat(r3.core.waitingFor(b)).containsExactly(1);
        c.deliver(1, 3);
        assertThat(r3.clock()).isEqualTo(11);
        assertThat(r3.out.appliedIds()).containsExactly(a, b);

        c.deliver(2, 1);
        assertThat(c.quiet()).isTrue();

        List<Applied> expected = List.of(new Applied(request(1, 1, "set x 2"), OK),
                new Applied(request(1, 2, "add x 3"), Result.ok("5")));
        for (Node n : c.nodes.values()) {
            assertThat(n.out.applied).as("replica %d", n.core.self()).isEqualTo(expected);
            assertThat(n.state().data()).containsExactly(Map.entry("x", Value.parse("5")));
            assertThat(n.buffer()).isEmpty();
            assertThat(n.state().digest()).isEqualTo(r1.state().digest());
        }
    }

    @Test
    @DisplayName("random FIFO interleavings (seeded): every replica applies the same requests in (ts, origin) order")
    void randomInterleavingsAgree() {
        String[] ops = {"set x 1", "add x 2", "mult x 3", "del x", "get x", "set y a", "add y 1", "keys", "set x 0.5"};
        for (long seed = 1; seed <= 100; seed++) {
            Random random = new Random(seed);
            int size = 1 + random.nextInt(4);
            Cluster c = new Cluster(IntStream.rangeClosed(1, size).boxed().toArray(Integer[]::new));
            int submitted = 0;
            for (int step = 0; step < 400; step++) {
                if (random.nextInt(4) == 0 && submitted < 60) {
                    int at = 1 + random.nextInt(size);
                    c.node(at).core.onClientOperation(op(ops[random.nextInt(ops.length)]), submitted++);
                } else {
                    deliverRandom(c, random);
                }
            }
            while (!c.quiet()) {
                deliverRandom(c, random);
            }
            List<Applied> reference = c.node(1).out.applied;
            assertThat(reference).as("seed %d", seed).hasSize(submitted);
            List<RequestId> ids = reference.stream().map(a -> a.request().id()).collect(Collectors.toList());
            assertThat(ids).as("seed %d: applied in (ts, origin) order", seed).isSorted();
            long executed = 0;
            for (Node n : c.nodes.values()) {
                assertThat(n.out.applied).as("seed %d, replica %d", seed, n.core.self()).isEqualTo(reference);
                assertThat(n.state().digest()).isEqualTo(c.node(1).state().digest());
                assertThat(n.buffer()).isEmpty();
                for (Executed e : n.out.executed) {
                    assertThat(e.request().id().origin()).isEqualTo(n.core.self());
                    assertThat(reference).contains(new Applied(e.request(), e.result()));
                }
                executed += n.out.executed.size();
            }
            assertThat(executed).isEqualTo(submitted);
        }
    }

    private static void deliverRandom(Cluster c, Random random) {
        List<int[]> links = new ArrayList<>();
        for (int from : c.nodes.keySet()) {
            for (int to : c.nodes.keySet()) {
                if (from != to && c.undelivered(from, to) > 0) {
                    links.add(new int[] {from, to});
                }
            }
        }
        if (!links.isEmpty()) {
            int[] link = links.get(random.nextInt(links.size()));
            c.deliver(link[0], link[1]);
        }
    }
}
