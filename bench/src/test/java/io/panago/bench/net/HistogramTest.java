package io.panago.bench.net;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HistogramTest {
    @Test
    void smallValuesAreExact() {
        Histogram h = new Histogram();
        for (int v = 1; v <= 20; v++) {
            h.record(v);
        }
        assertEquals(10, h.percentile(0.5));
        assertEquals(20, h.percentile(1.0));
        assertEquals(20, h.max());
        assertEquals(20, h.count());
    }

    @Test
    void everyValueFallsInsideItsBucket() {
        Random rnd = new Random(42);
        for (int i = 0; i < 100_000; i++) {
            long v = rnd.nextLong(1L << rnd.nextInt(1, 62));
            int idx = Histogram.index(v);
            assertTrue(Histogram.lowerBound(idx) <= v && v < Histogram.lowerBound(idx + 1),
                    v + " outside bucket " + idx);
        }
    }

    @Test
    void percentilesAreWithinThreePercentOfTheExactOnes() {
        Random rnd = new Random(7);
        Histogram h = new Histogram();
        long[] samples = new long[50_000];
        for (int i = 0; i < samples.length; i++) {
            // log-normal-ish latencies from ~1 µs to ~100 ms
            samples[i] = (long) Math.exp(rnd.nextGaussian() * 2 + 11);
            h.record(samples[i]);
        }
        Arrays.sort(samples);
        for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
            long exact = samples[(int) Math.ceil(q * samples.length) - 1];
            long got = h.percentile(q);
            assertTrue(Math.abs(got - exact) <= exact * 0.032, "q=" + q + ": " + got + " vs " + exact);
        }
    }

    @Test
    void resetForgetsEverything() {
        Histogram h = new Histogram();
        h.record(1_000_000);
        h.reset();
        assertEquals(0, h.count());
        assertEquals(0, h.max());
        assertEquals(0, h.percentile(0.99));
        h.record(5);
        assertEquals(5, h.percentile(0.99));
    }

    @Test
    void percentilesStayWithinABucketAndMergingAddsSamples() {
        Histogram h = new Histogram();
        for (long v = 1; v <= 100_000; v++) {
            h.record(v * 1000);
        }
        assertEquals(100_000, h.count());
        long p50 = h.percentile(0.5), p99 = h.percentile(0.99);
        assertTrue(Math.abs(p50 - 50_000_000L) < 50_000_000L * 0.02, "p50 " + p50);
        assertTrue(Math.abs(p99 - 99_000_000L) < 99_000_000L * 0.02, "p99 " + p99);
        assertEquals(100_000_000L, h.max());
        assertEquals(h.max(), h.percentile(1.0));
        Histogram other = new Histogram();
        other.record(5);
        h.add(other);
        assertEquals(5, h.percentile(1e-9));
        assertEquals(0, new Histogram().percentile(0.5));
    }
}
