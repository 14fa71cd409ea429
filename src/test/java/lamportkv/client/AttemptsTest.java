package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import lamportkv.client.Attempts.Verdict;
import lamportkv.rmi.Reply.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a tagged operation's attempts allow the client to tell its user. Each row is a sequence of
 * attempts, {@code STATUS@replica} for an answer, {@code lost@replica} for no answer after the call
 * may have reached the replica, {@code unreached@replica} for one that certainly never did.
 */
class AttemptsTest {

    @ParameterizedTest(name = "{0}: definite={1}, retry elsewhere={2}")
    @CsvSource({
        "OK,          true,  false",
        "FAILED,      true,  false",
        "REFUSED,     true,  false",
        "UNAVAILABLE, true,  true",
        "ABANDONED,   false, true",
        "NOT_APPLIED, true,  false",
        "TIMEOUT,     false, false"})
    void eachStatusSaysWhetherItIsDefiniteAndWhetherToRetryElsewhere(Status status, boolean definite, boolean retry) {
        assertThat(status.definite()).isEqualTo(definite);
        assertThat(status.retryElsewhere()).isEqualTo(retry);
        assertThat(status.applied()).isEqualTo(status == Status.OK || status == Status.FAILED);
        assertThat(new Attempts().retryAfter("replica 1", status)).isEqualTo(retry);
    }

    @Test
    void everyStatusIsInTheTable() {
        assertThat(Status.values()).containsExactly(Status.OK, Status.FAILED, Status.REFUSED, Status.UNAVAILABLE,
                Status.ABANDONED, Status.NOT_APPLIED, Status.TIMEOUT);
    }

    @ParameterizedTest(name = "[{0}] -> {1} (trusting the last attempt: {2})")
    @CsvSource(delimiter = '|', value = {
        // One attempt: the status says it all.
        "OK@1                         | APPLIED        | APPLIED        |",
        "FAILED@1                     | APPLIED        | APPLIED        |",
        "REFUSED@1                    | NOT_APPLIED    | NOT_APPLIED    |",
        "NOT_APPLIED@1                | NOT_APPLIED    | NOT_APPLIED    |",
        "TIMEOUT@1                    | MAY_BE_APPLIED | MAY_BE_APPLIED |",
        // The failover case (bug 2): contact lost mid-call at 1, then 2 withdrew its copy in time.
        "lost@1 NOT_APPLIED@2         | MAY_BE_APPLIED | NOT_APPLIED    | an earlier attempt, at replica 1, got no answer",
        "lost@1 REFUSED@2             | MAY_BE_APPLIED | NOT_APPLIED    | an earlier attempt, at replica 1, got no answer",
        "ABANDONED@1 NOT_APPLIED@2    | MAY_BE_APPLIED | NOT_APPLIED    | an earlier attempt, at replica 1, was taken there but never answered",
        "TIMEOUT@1 NOT_APPLIED@2      | MAY_BE_APPLIED | NOT_APPLIED    | an earlier attempt, at replica 1, timed out there after it was stamped",
        "lost@1 lost@3 NOT_APPLIED@2  | MAY_BE_APPLIED | NOT_APPLIED    | an earlier attempt, at replica 1, got no answer (and 1 more with no known outcome)",
        "unreached@1 lost@3 NOT_APPLIED@2 | MAY_BE_APPLIED | NOT_APPLIED | an earlier attempt, at replica 3, got no answer",
        // Earlier attempts that certainly never ran leave a definite answer definite.
        "unreached@1 NOT_APPLIED@2    | NOT_APPLIED    | NOT_APPLIED    |",
        "UNAVAILABLE@1 NOT_APPLIED@2  | NOT_APPLIED    | NOT_APPLIED    |",
        "unreached@1 UNAVAILABLE@2 REFUSED@1 | NOT_APPLIED | NOT_APPLIED |",
        // An answer with the result: applied, whatever came before.
        "lost@1 OK@2                  | APPLIED        | APPLIED        | an earlier attempt, at replica 1, got no answer",
        "ABANDONED@1 FAILED@2         | APPLIED        | APPLIED        | an earlier attempt, at replica 1, was taken there but never answered",
        "unreached@1 UNAVAILABLE@2 OK@3 | APPLIED      | APPLIED        |",
        "OK@1 lost@2                  | APPLIED        | MAY_BE_APPLIED |",
        // The time ran out with no final answer.
        "unreached@1                  | NOT_APPLIED    | NOT_APPLIED    |",
        "unreached@1 unreached@2 unreached@1 | NOT_APPLIED | NOT_APPLIED |",
        "unreached@1 UNAVAILABLE@2 unreached@1 UNAVAILABLE@2 | NOT_APPLIED | NOT_APPLIED |",
        "lost@1                       | MAY_BE_APPLIED | MAY_BE_APPLIED |",
        "lost@1 unreached@2 unreached@1 | MAY_BE_APPLIED | NOT_APPLIED  | an earlier attempt, at replica 1, got no answer",
        "ABANDONED@1 UNAVAILABLE@2    | MAY_BE_APPLIED | NOT_APPLIED    | an earlier attempt, at replica 1, was taken there but never answered",
        "unreached@1 lost@2           | MAY_BE_APPLIED | MAY_BE_APPLIED |",
        "UNAVAILABLE@1 ABANDONED@2    | MAY_BE_APPLIED | MAY_BE_APPLIED |"})
    void theVerdictWeighsEveryAttempt(String attempts, Verdict verdict, Verdict trustingLast, String uncertainty) {
        Attempts rule = replay(new Attempts(), attempts);
        assertThat(rule.verdict()).isEqualTo(verdict);
        assertThat(rule.count()).isEqualTo(attempts.trim().split(" +").length);
        assertThat(rule.describeUncertainty()).as("why it is open").isEqualTo(java.util.Optional.ofNullable(uncertainty));
        assertThat(replay(Attempts.trustingLastAttempt(), attempts).verdict()).as("the flawed variant")
                .isEqualTo(trustingLast);
    }

    /** After an earlier attempt of each kind, every final status: the whole table, generated. */
    static Stream<Arguments> everyEarlierAttemptBeforeEveryFinalStatus() {
        List<Arguments> rows = new ArrayList<>();
        for (Status last : Status.values()) {
            Verdict ifEarlierRanNot = last.applied() ? Verdict.APPLIED
                    : last.definite() ? Verdict.NOT_APPLIED : Verdict.MAY_BE_APPLIED;
            Verdict ifEarlierMayHave = last.applied() ? Verdict.APPLIED : Verdict.MAY_BE_APPLIED;
            rows.add(Arguments.of("unreached@1 " + last + "@2", ifEarlierRanNot, ifEarlierRanNot));
            rows.add(Arguments.of("UNAVAILABLE@1 " + last + "@2", ifEarlierRanNot, ifEarlierRanNot));
            for (String open : List.of("lost", "ABANDONED", "TIMEOUT")) {
                rows.add(Arguments.of(open + "@1 " + last + "@2", ifEarlierMayHave, ifEarlierRanNot));
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "[{0}] -> {1} (trusting the last attempt: {2})")
    @MethodSource
    void everyEarlierAttemptBeforeEveryFinalStatus(String attempts, Verdict verdict, Verdict trustingLast) {
        assertThat(replay(new Attempts(), attempts).verdict()).isEqualTo(verdict);
        assertThat(replay(Attempts.trustingLastAttempt(), attempts).verdict()).isEqualTo(trustingLast);
    }

    @ParameterizedTest
    @EnumSource(Status.class)
    void aFinalAnswerThatIsItselfOpenNeedsNoEarlierAttemptToExplainIt(Status status) {
        Attempts attempts = new Attempts();
        attempts.noReply("replica 1", false);
        attempts.retryAfter("replica 2", status);
        assertThat(attempts.describeUncertainty()).isEmpty();
    }

    @Test
    void noAttemptAtAllAppliedNothing() {
        assertThat(new Attempts().verdict()).isEqualTo(Verdict.NOT_APPLIED);
        assertThat(new Attempts().count()).isZero();
        assertThat(new Attempts().describeUncertainty()).isEmpty();
    }

    private static Attempts replay(Attempts attempts, String sequence) {
        for (String attempt : sequence.trim().split(" +")) {
            String[] parts = attempt.split("@");
            String where = "replica " + parts[1];
            switch (parts[0]) {
                case "lost" -> attempts.noReply(where, true);
                case "unreached" -> attempts.noReply(where, false);
                default -> attempts.retryAfter(where, Status.valueOf(parts[0]));
            }
        }
        return attempts;
    }
}
