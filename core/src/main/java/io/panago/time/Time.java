package io.panago.time;

import io.panago.Chan;
import io.panago.RecvChan;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Go's {@code time} package functions for timers and tickers; all run on the runtime's
 * timers and park goroutines, not threads.
 */
public final class Time {
    private Time() {}

    /**
     * A channel that receives the time once {@code d} has elapsed, Go's
     * {@code time.After}. Equivalent to {@code newTimer(d).c()}. As before Go 1.23, the
     * timer is not reclaimed until it fires: in a loop, time a select out with
     * {@link io.panago.Select#select(Duration)}, or keep a {@link Timer} and stop it.
     *
     * @param d how long until the time is delivered
     * @return the new timer's channel
     */
    public static RecvChan<Instant> after(Duration d) {
        return newTimer(d).c();
    }

    /**
     * A timer that delivers the time on its channel after {@code d}, Go's {@code NewTimer}.
     *
     * @param d how long until the timer expires
     * @return the new, running timer
     */
    public static Timer newTimer(Duration d) {
        return new Timer(Objects.requireNonNull(d, "d"), 0, null);
    }

    /**
     * Runs {@code f} in its own goroutine after {@code d}, Go's {@code time.AfterFunc};
     * the returned timer's {@link Timer#stop()} cancels it if it has not started.
     *
     * @param d how long until {@code f} starts
     * @param f the function to run
     * @return the new, running timer; its {@link Timer#c()} is {@code null}
     */
    public static Timer afterFunc(Duration d, Runnable f) {
        return new Timer(Objects.requireNonNull(d, "d"), 0, Objects.requireNonNull(f, "f"));
    }

    /**
     * A ticker that delivers the time every {@code period}, Go's {@code NewTicker}.
     *
     * @param period the time between ticks
     * @return the new, running ticker
     * @throws IllegalArgumentException if {@code period} is not positive
     */
    public static Ticker newTicker(Duration period) {
        return new Ticker(Objects.requireNonNull(period, "period"));
    }

    /**
     * The channel of a new ticker that is never stopped, Go's {@code time.Tick}; for a
     * non-positive period Go's nil channel ({@link Chan#nil()}), whose receive blocks forever.
     *
     * @param period the time between ticks
     * @return the new ticker's channel, or the nil channel
     */
    public static RecvChan<Instant> tick(Duration period) {
        if (Objects.requireNonNull(period, "period").isNegative() || period.isZero()) {
            return Chan.nil();
        }
        return newTicker(period).c();
    }
}
