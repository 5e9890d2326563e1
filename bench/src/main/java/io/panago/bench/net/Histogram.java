package io.panago.bench.net;

/**
 * A log-linear latency histogram in nanoseconds, in the manner of HdrHistogram: values below
 * 32 ns are exact, above that each power of two is split into 32 buckets, so a reported
 * percentile is within about 3% of the true sample. Recording allocates nothing.
 */
final class Histogram {
    private static final int SUB_BITS = 5;
    private static final int SUB = 1 << SUB_BITS;
    private static final int BUCKETS = (64 - SUB_BITS) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long max;

    void record(long nanos) {
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

    long count() {
        return total;
    }

    long max() {
        return max;
    }

    /**
     * The value at quantile {@code q} (0 < q <= 1): the midpoint of the bucket holding the
     * sample of rank ceil(q * count), capped at the largest sample; 0 if there are none.
     */
    long percentile(double q) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
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
