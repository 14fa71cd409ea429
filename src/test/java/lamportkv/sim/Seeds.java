package lamportkv.sim;

/** Seeds for the simulations' random generators. */
public final class Seeds {
    private Seeds() {
    }

    /**
     * Spreads consecutive seeds over the whole range (SplitMix64's finalizer): with raw seeds
     * 1..n, java.util.Random's first draws are too alike and a run would, say, only ever pick
     * 4 or 5 replicas.
     */
    public static long scramble(long seed) {
        long z = seed + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
