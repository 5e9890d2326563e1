package io.panago.time;

import io.panago.Chan;
import io.panago.RecvChan;
import io.panago.internal.RuntimeLock;
import io.panago.runtime.RTimer;
import io.panago.runtime.RunRoot;
import io.panago.runtime.Sched;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A single event in the future, Go's {@code time.Timer}: when it expires the current
 * {@link Instant} is delivered on {@link #c()}, or, for {@link Time#afterFunc}, a
 * function starts in its own goroutine. Runs on the runtime's timers (Go's
 * {@code runtime/time.go}); no thread is created per timer.
 *
 * <p>{@link #stop()} and {@link #reset(Duration)} follow Go 1.23: once either returns, no
 * value from before the call can be received, whether it was still in flight or already
 * waiting in the channel.
 *
 * <p>Implementation overview. The channel has a one-value buffer so an expiry never
 * waits for a receiver (Go 1.23 hides that buffer; here {@code len(c)} may show it).
 * {@code mu} orders expiries against stop/reset: the runtime timer's function delivers
 * under {@code mu} and only while {@code armed}; stop/reset clear or re-arm under
 * {@code mu} and drain the buffer there, so nothing delivered before them stays
 * visible. One case is left: the runtime has already taken an expiry (its heap lock is
 * released before the function runs) but the function has not reached {@code mu} when
 * a reset re-arms. That expiry carries the {@code now} the runtime read before the
 * reset, which is below the new deadline {@code notBefore}; a real expiry of the new
 * arming always has {@code now >= when}. So the function drops any expiry with
 * {@code now < notBefore}. Ticker expiries drop a tick when the buffer is full, as
 * Go's do.
 */
public final class Timer {
    private final RuntimeLock mu = new RuntimeLock();
    private final Chan<Instant> c;
    private final Runnable f;
    /** The {@code Go.run} of the goroutine that made an afterFunc timer: f's panic fails it. */
    private final RunRoot run;
    private final RTimer rt;
    /** Ticker period in nanoseconds, 0 for a one-shot timer; guarded by {@link #mu}. */
    private long period;
    /** Guarded by {@link #mu}. */
    private boolean armed;
    /** Deadline of the current arming; earlier expiries are stale. Guarded by {@link #mu}. */
    private long notBefore;

    Timer(Duration d, long period, Runnable f) {
        this.period = period;
        this.f = f;
        this.run = f == null ? null : Sched.currentRun();
        this.c = f == null ? Chan.make(1) : null;
        // The runtime calls back through a lambda, so that no public method of Timer can fire it.
        this.rt = new RTimer((arg, now) -> fire(now), null);
        long when = when(d);
        mu.lock();
        armed = true;
        notBefore = when;
        try {
            mu.unlock();
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        rt.reset(when, period);
    }

    /**
     * The channel on which the expiry time is delivered; {@code null} for a timer made by
     * {@link Time#afterFunc}.
     *
     * @return the expiry channel, or {@code null}
     */
    public RecvChan<Instant> c() {
        return c;
    }

    /**
     * Prevents the timer from firing. Returns true if this call stopped it, meaning no
     * value will be received from this expiry (including one that was ready but not yet
     * received); false if it had already fired and been received, or was stopped.
     *
     * @return true if the timer was active: armed, or its value not yet received
     */
    public boolean stop() {
        mu.lock();
        try {
            boolean wasActive = disarm();
            mu.unlock(); // last in the try: if this call throws, the lock is still held
            return wasActive;
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
    }

    /**
     * Re-arms the timer to expire after {@code d}, discarding any pending expiry. Returns
     * what {@link #stop()} would have: true if the timer was active.
     *
     * @param d how long from now until the timer expires
     * @return true if the timer was active, as {@link #stop()} tells it
     */
    public boolean reset(Duration d) {
        long when = when(Objects.requireNonNull(d, "d")); // before the lock: a throw must not leave it held
        mu.lock();
        return rearm(when, period);
    }

    /** Ticker's reset: a new period, first tick after {@code d}. */
    void resetPeriodic(Duration d, long newPeriod) {
        long when = when(Objects.requireNonNull(d, "d"));
        mu.lock();
        rearm(when, newPeriod);
    }

    /**
     * Called holding {@link #mu}; arms the runtime timer before releasing it, as Go's
     * {@code timer.modify} does under {@code t.mu}: armed outside it, a stop or reset that
     * ran in between would be overtaken (a stopped ticker left ticking, or a reset's
     * deadline replaced by an earlier reset's, whose expiry is then dropped as stale).
     */
    private boolean rearm(long when, long newPeriod) {
        try {
            boolean wasActive = disarm();
            armed = true;
            period = newPeriod;
            notBefore = when;
            rt.reset(when, newPeriod);
            mu.unlock(); // last in the try: if this call throws, the lock is still held
            return wasActive;
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
    }

    /** Under {@link #mu}. */
    private boolean disarm() {
        boolean active = armed;
        if (armed) {
            armed = false;
            rt.stop();
        }
        if (c != null && c.tryRecv() != null) {
            active = true;
        }
        return active;
    }

    /** The runtime timer's function: deliver unless stopped or reset meanwhile. */
    private void fire(long now) {
        // Allocated before any state changes, and disarmed only once delivered: an error (a
        // full heap) leaves the timer armed for the runtime's retry (Timers.runDue).
        Instant at = c != null ? Instant.now() : null;
        boolean run = false;
        long armedAt;
        mu.lock();
        try {
            armedAt = notBefore;
            if (armed && now >= notBefore) {
                if (c != null) {
                    c.trySend(at);
                } else {
                    run = true;
                }
                if (period == 0) {
                    armed = false;
                }
            }
            mu.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
        if (run) {
            try {
                Sched.newproc(f, this.run);
            } catch (Throwable t) {
                rearmUnlessChanged(armedAt);
                throw t;
            }
        }
    }

    /** After a failed start of the function: armed again for the retry, unless stopped or reset. */
    private void rearmUnlessChanged(long armedAt) {
        mu.lock();
        try {
            if (!armed && notBefore == armedAt && period == 0) {
                armed = true;
            }
            mu.unlock(); // last in the try: if this call throws, the lock is still held
        } catch (Throwable t) {
            mu.state = 0; // no call: see RuntimeLock.state
            throw t;
        }
    }

    private static long when(Duration d) {
        long ns;
        try {
            ns = d.toNanos();
        } catch (ArithmeticException e) {
            ns = d.isNegative() ? 0 : Long.MAX_VALUE / 4;
        }
        // At least now + 1: an expiry taken before this arming read a now <= this now.
        long now = Sched.nanotime();
        return now + Math.max(1, Math.min(ns, Long.MAX_VALUE / 4));
    }
}
