package lamportkv.check;

import java.util.Objects;

/**
 * What a history check found. {@link Verdict#INCONCLUSIVE} means the search ran out of budget:
 * it is neither a pass nor a proof of a violation.
 */
public record CheckResult(Verdict verdict, String explanation) {

    public enum Verdict { OK, VIOLATION, INCONCLUSIVE }

    public CheckResult {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(explanation, "explanation");
    }

    public static CheckResult passed(String explanation) {
        return new CheckResult(Verdict.OK, explanation);
    }

    public static CheckResult violation(String explanation) {
        return new CheckResult(Verdict.VIOLATION, explanation);
    }

    public static CheckResult inconclusive(String explanation) {
        return new CheckResult(Verdict.INCONCLUSIVE, explanation);
    }

    public boolean ok() {
        return verdict == Verdict.OK;
    }

    @Override
    public String toString() {
        return verdict + ": " + explanation;
    }
}
