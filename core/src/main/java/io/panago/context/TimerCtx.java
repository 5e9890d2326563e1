package io.panago.context;

import io.panago.runtime.RTimer;
import io.panago.runtime.Sched;
import io.panago.runtime.TimerFunc;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * {@link Context#withDeadline}/{@link Context#withTimeout}, Go's {@code timerCtx}: a
 * cancel context whose runtime timer cancels it with {@code DEADLINE_EXCEEDED}. Any
 * cancellation stops and drops the timer, so a context cancelled early (directly or
 * through an ancestor) holds no timer.
 */
final class TimerCtx extends CancelCtx implements TimerFunc {
    private final Instant deadline;
    private final Throwable deadlineCause;
    /** Guarded by {@link #mu}; null once cancelled. */
    private RTimer timer;

    private TimerCtx(Context parent, Instant deadline, Throwable deadlineCause) {
        super(parent);
        this.deadline = deadline;
        this.deadlineCause = deadlineCause;
    }

    static CancelContext create(Context parent, Instant deadline, Duration left, Throwable cause) {
        Optional<Instant> cur = parent.deadline();
        if (cur.isPresent() && cur.get().isBefore(deadline)) {
            return CancelCtx.create(parent);
        }
        TimerCtx c = new TimerCtx(parent, deadline, cause);
        c.propagateCancel();
        if (left.isNegative() || left.isZero()) {
            c.cancel(true, DEADLINE_EXCEEDED, cause);
            return c;
        }
        long nanos = left.compareTo(Duration.ofDays(365 * 100)) > 0 ? Long.MAX_VALUE / 4 : left.toNanos();
        RTimer t = new RTimer(c, null);
        boolean live;
        c.mu.lock();
        try {
            live = c.err() == null;
            if (live) {
                c.timer = t;
            }
        } finally {
            c.mu.state = 0; // no call: see RuntimeLock.state
        }
        if (live) {
            // Armed outside the lock: a timer function may need that lock. A cancel that
            // slipped in before reset found the timer unarmed, hence the re-check.
            t.reset(Sched.nanotime() + nanos, 0);
            if (c.err() != null) {
                t.stop();
            }
        }
        return c;
    }

    @Override
    public void fire(Object arg, long now) {
        cancel(true, DEADLINE_EXCEEDED, deadlineCause);
    }

    @Override
    void cancelled() {
        RTimer t;
        mu.lock();
        try {
            t = timer;
            timer = null;
        } finally {
            mu.state = 0; // no call: see RuntimeLock.state
        }
        if (t != null) {
            t.stop();
        }
    }

    /** True while the deadline timer is still held; for tests of timer release. */
    boolean holdsTimer() {
        mu.lock();
        try {
            return timer != null;
        } finally {
            mu.state = 0; // no call: see RuntimeLock.state
        }
    }

    @Override
    public Optional<Instant> deadline() {
        return Optional.of(deadline);
    }

    @Override
    public String toString() {
        return parent + ".WithDeadline(" + deadline + " [" + Duration.between(Instant.now(), deadline) + "])";
    }
}
