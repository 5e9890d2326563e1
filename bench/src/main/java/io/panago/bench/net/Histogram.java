package io.panago.bench.net;

/**
 * A log-linear latency histogram in nanoseconds, in the manner of HdrHistogram: values below
 * 32 ns are exact, above that each power of two is split into 32 buckets, so a reported
 * percentile is within about 3% of the true sample. Recording allocates nothing. Used by the
 * echo benchmark's load client and by the echo demo (one per client goroutine, merged with
 * {@link #add} at the end).
 */
public final class Histogram {
    private static final int SUB_BITS = 5;
    private static final int SUB = 1 << SUB_BITS;
    private static final int BUCKETS = (64 - SUB_BITS) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long max;

    /** Counts one sample, in nanoseconds (negative counts as 0). */
    public void record(long nanos) {
        long v = Math.max(0, nanos);
        counts[index(v)]++;
        total++;
        if (v > max) {
            max = v;
        }
    }

    void reset() {
        java.util.Arrays.fill(counts, 0);
        total = 0;
        max = 0;
    }

    /** Adds {@code other}'s samples to this one. */
    public void add(Histogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        max = Math.max(max, other.max);
    }

    /** Samples recorded. */
    public long count() {
        return total;
    }

    /** The largest sample, exact; 0 if none. */
    public long max() {
        return max;
    }

    /**
     * The value at quantile {@code q} (0 < q <= 1): the midpoint of the bucket holding the
     * sample of rank ceil(q * count), capped at the largest sample; the largest sample itself
     * for the top rank; 0 if there are none.
     */
    public long percentile(double q) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        if (rank >= total) {
            return max;
        }
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, (lowerBound(i) + lowerBound(i + 1) - 1) / 2);
            }
        }
        return max;
    }

    static int index(long v) {
        if (v < SUB) {
            return (int) v;
        }
        int e = 63 - Long.numberOfLeadingZeros(v);
        long top = v >>> (e - SUB_BITS);
        return (e - SUB_BITS + 1) * SUB + (int) (top - SUB);
    }

    static long lowerBound(int index) {
        if (index < SUB) {
            return index;
        }
        int e = index / SUB + SUB_BITS - 1;
        long top = index % SUB + SUB;
        return top << (e - SUB_BITS);
    }
}
