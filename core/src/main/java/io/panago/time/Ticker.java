package io.panago.time;

import io.panago.RecvChan;
import java.time.Duration;
import java.time.Instant;

/**
 * Delivers the time on {@link #c()} every period, Go's {@code time.Ticker}. A slow
 * receiver misses ticks rather than queueing them (the channel holds one). After
 * {@link #stop()} or {@link #reset(Duration)} returns, no tick from before the call is
 * received (Go 1.23).
 */
public final class Ticker {
    private final Timer t;

    Ticker(Duration period) {
        long ns = checkPeriod(period, "non-positive interval for NewTicker");
        this.t = new Timer(period, ns, null);
    }

    /**
     * The channel on which ticks are delivered.
     *
     * @return the tick channel, which holds at most one tick
     */
    public RecvChan<Instant> c() {
        return t.c();
    }

    /** Turns the ticker off; no further ticks are delivered. Does not close the channel. */
    public void stop() {
        t.stop();
    }

    /**
     * Stops the ticker and restarts it with period {@code d}; the next tick arrives after
     * {@code d}.
     *
     * @param d the new period
     * @throws IllegalArgumentException if {@code d} is not positive
     */
    public void reset(Duration d) {
        long ns = checkPeriod(java.util.Objects.requireNonNull(d, "d"), "non-positive interval for Ticker.Reset");
        t.resetPeriodic(d, ns);
    }

    private static long checkPeriod(Duration d, String message) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(message);
        }
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
