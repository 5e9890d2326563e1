package io.panago.bench;

/**
 * A latency histogram for the echo demo: exact below 1,024 ns, then 64 sub-buckets per power
 * of two (under 1.6% error), counts only, so recording allocates nothing. One per client
 * goroutine; {@link #add} merges them at the end.
 */
final class EchoLatency {
    private static final int SUB_BITS = 6, SUB = 1 << SUB_BITS, LINEAR = 1024;
    private static final int BUCKETS = LINEAR + (64 - 10) * SUB;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long max;

    private static int index(long nanos) {
        if (nanos < LINEAR) {
            return (int) Math.max(nanos, 0);
        }
        int exp = 63 - Long.numberOfLeadingZeros(nanos);
        int sub = (int) (nanos >>> (exp - SUB_BITS)) & (SUB - 1);
        return LINEAR + (exp - 10) * SUB + sub;
    }

    /** The largest value that falls in bucket {@code i}. */
    private static long upper(int i) {
        if (i < LINEAR) {
            return i;
        }
        int exp = (i - LINEAR) / SUB + 10, sub = (i - LINEAR) % SUB;
        long base = (1L << exp) | ((long) sub << (exp - SUB_BITS));
        return base + (1L << (exp - SUB_BITS)) - 1;
    }

    void record(long nanos) {
        counts[index(nanos)]++;
        total++;
        if (nanos > max) {
            max = nanos;
        }
    }

    void add(EchoLatency other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        max = Math.max(max, other.max);
    }

    long count() {
        return total;
    }

    long max() {
        return max;
    }

    /** The value at quantile {@code q} (0..1), as the upper edge of its bucket; 0 if empty. */
    long quantile(double q) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(upper(i), max);
            }
        }
        return max;
    }
}
