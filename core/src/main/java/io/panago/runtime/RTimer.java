package io.panago.runtime;

/**
 * A runtime timer (Go's {@code timer}, runtime/time.go): calls {@link TimerFunc#fire} on a
 * scheduler thread once {@link Sched#nanotime()} reaches its deadline, then every
 * {@code period} nanoseconds if periodic. Timers live in the scheduler's heap ({@link Timers});
 * the earliest deadline bounds how long an idle M sleeps in netpoll.
 */
public final class RTimer {
    final TimerFunc f;
    final Object arg;
    /** Deadline in nanotime; guarded by {@link Timers#LOCK}. */
    long when;
    /** Period in nanoseconds, 0 for one-shot; guarded by {@link Timers#LOCK}. */
    long period;
    /** Position in the heap, -1 when not armed; guarded by {@link Timers#LOCK}. */
    int index = -1;

    /**
     * A disarmed timer.
     *
     * @param f   what to run when it fires
     * @param arg passed to {@code f}
     */
    public RTimer(TimerFunc f, Object arg) {
        if (f == null) {
            throw new NullPointerException("f");
        }
        this.f = f;
        this.arg = arg;
    }

    /**
     * Arms or re-arms the timer (Go's {@code timer.reset}).
     *
     * @param when   deadline in {@link Sched#nanotime()}; in the past means as soon as possible
     * @param period repeat interval in nanoseconds, 0 for one-shot
     * @return true if it was armed before this call
     */
    public boolean reset(long when, long period) {
        if (period < 0) {
            throw new IllegalArgumentException("negative period " + period);
        }
        Sched.start();
        boolean wasArmed;
        boolean earliest;
        synchronized (Timers.LOCK) {
            wasArmed = index >= 0;
            this.when = when;
            this.period = period;
            if (wasArmed) {
                Timers.fix(this);
            } else {
                Timers.add(this);
            }
            earliest = index == 0;
        }
        if (earliest) {
            Sched.wakeNetPoller(when);
        }
        return wasArmed;
    }

    /**
     * Disarms the timer (Go's {@code timer.stop}).
     *
     * @return true if it was armed and now will not fire; false if it had fired (or is firing)
     *         or was never armed
     */
    public boolean stop() {
        synchronized (Timers.LOCK) {
            if (index < 0) {
                return false;
            }
            Timers.remove(this);
            return true;
        }
    }
}
