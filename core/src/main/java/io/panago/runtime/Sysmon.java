package io.panago.runtime;

import java.util.concurrent.locks.LockSupport;

/**
 * Go's {@code sysmon}: a platform thread outside the Ps that keeps the scheduler honest.
 * Every 20 &micro;s (backing off to 10 ms after 1 ms without a retake, as Go) it
 * <ul>
 * <li>polls the network if nobody has for 10 ms, and injects what it finds;</li>
 * <li>retakes a P whose M has been in {@code Go.blocking} since its last look (&ge; 20 &micro;s)
 *     when there is other work, or for more than 10 ms in any case (Go's {@code retake});</li>
 * <li>retakes a P whose goroutine has run 10 ms without yielding while there is other work
 *     (runnable goroutines, due timers, descriptors nobody polls). Go would preempt the
 *     goroutine; a continuation cannot be preempted, so its carrier keeps it and the P goes to
 *     another M ({@link Sched#handoffp}). This covers a goroutine blocked in plain JDK code
 *     ({@code Thread.sleep}, a monitor, file I/O) as well as a spinner;</li>
 * <li>sweeps dead goroutines out of the all-goroutines list.</li>
 * </ul>
 */
final class Sysmon {
    /** Go's forcePreemptNS: how long a goroutine may run before its P is taken. */
    static final long FORCE_PREEMPT_NS = 10_000_000L;
    /** How long the network may go unpolled while goroutines wait on it. */
    static final long POLL_INTERVAL_NS = 10_000_000L;

    private static final GList pollList = new GList();
    /** Number of Ps retaken so far (tests observe hand-offs through it). */
    static volatile long retakes;

    private Sysmon() {
    }

    /** The sysmon thread, once started; it never ends. */
    static volatile Thread thread;

    static void start() {
        Thread t = new Thread(Sysmon::loop, "panago-sysmon");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private static void loop() {
        long delayNs = 20_000;
        int idle = 0;
        for (;;) {
            if (idle == 0) {
                delayNs = 20_000;
            } else if (idle > 50) {
                delayNs *= 2;
            }
            if (delayNs > 10_000_000) {
                delayNs = 10_000_000;
            }
            LockSupport.parkNanos(delayNs);
            try {
                idle = round(idle);
            } catch (Throwable e) {
                // An OutOfMemoryError (the heap full, or no thread for a new M): sysmon must
                // outlive it, or Ps it hands off and timers nobody runs would wait for good.
                Panics.schedulerFailed(e);
                idle = 1;
            }
        }
    }

    /** One round of {@link #loop}: returns the new idle count. */
    private static int round(int idle) {
        long now = Sched.nanotime();
        long lp = Sched.lastpoll.get();
        if (Sched.netpoll.anyWaiters() && lp != 0 && lp + POLL_INTERVAL_NS < now
                && Sched.lastpoll.compareAndSet(lp, now)) {
            Sched.netpoll.poll(0, pollList);
            Sched.injectglist(pollList);
        }
        if ((Timers.next <= now || Sched.runqsize != 0) && Sched.npidle > 0 && Sched.nmspinning.get() == 0) {
            // Overdue timers, or queued goroutines (an M that could not be started), and
            // nobody to run them.
            Sched.startm(null, false);
        }
        // As Go: only a retake resets the back-off. Under network load the poll above finds
        // work every time, and resetting on it kept sysmon waking every 20 us (a wake-up,
        // and on a one-core server a preemption of the running M, per few messages).
        idle = retake(now) != 0 ? 0 : idle + 1;
        if (AllGs.sweepDue(now)) {
            AllGs.sweep();
        }
        return idle;
    }

    /** Go's {@code retake}; returns the number of Ps taken. */
    private static int retake(long now) {
        return retake(Sched.allp, now) + retake(Sched.retiring, now);
    }

    private static int retake(P[] ps, long now) {
        int n = 0;
        for (P pp : ps) {
            long s = pp.state;
            int code = (int) (s & 7);
            if (code == P.SYSCALL) {
                // As Go's retake: a goroutine that has kept its P for 10 ms loses it, also when
                // every look finds it in a new Go.blocking call (back-to-back short calls: the
                // exitsyscall fast path keeps the P without a new time slice). Else it starved
                // every goroutine queued behind it, and every timer while no P was idle.
                boolean longSlice = false;
                long st = pp.schedtick();
                if (pp.sysmonSchedtick != st) {
                    pp.sysmonSchedtick = st;
                    pp.sysmonSchedwhen = now;
                } else if (pp.sysmonSchedwhen + FORCE_PREEMPT_NS <= now) {
                    longSlice = true;
                }
                long t = pp.syscalltick();
                if (!longSlice && pp.sysmonSyscalltick != t) {
                    pp.sysmonSyscalltick = t;
                    pp.sysmonSyscallwhen = now;
                    continue;
                }
                // Keep the P with its M if there is nothing else to do, unless it has been away
                // long: handing off would only wake an M for nothing.
                if (pp.runqempty() && Sched.nmspinning.get() + Sched.npidle > 0
                        && pp.sysmonSyscallwhen + FORCE_PREEMPT_NS > now) {
                    continue;
                }
                if (pp.retake(s)) {
                    n++;
                    retakes++;
                    Sched.handoffp(pp);
                }
            } else if (code == P.USER) {
                long t = pp.schedtick();
                if (pp.sysmonSchedtick != t) {
                    pp.sysmonSchedtick = t;
                    pp.sysmonSchedwhen = now;
                    continue;
                }
                if (pp.sysmonSchedwhen + FORCE_PREEMPT_NS > now || !otherWork(pp, now)) {
                    continue;
                }
                if (pp.retake(s)) {
                    n++;
                    retakes++;
                    // Go preempts the goroutine here and puts it on the global queue, which ends
                    // the time slice that goroutines readied through runnext inherit. A
                    // continuation cannot be preempted, so the goroutine waiting in runnext goes
                    // there instead: else two goroutines readying each other keep the P retake
                    // after retake (the new M takes runnext first), and the global queue waits.
                    G next = pp.takeRunnext();
                    if (next != null) {
                        Sched.globrunqput(next);
                    }
                    Sched.handoffp(pp);
                }
            }
        }
        return n;
    }

    /** Whether a P stuck with one goroutine is holding up anything else. */
    private static boolean otherWork(P pp, long now) {
        if (!pp.runqempty() || Sched.runqsize > 0) {
            return true;
        }
        if (Sched.npidle > 0) {
            return false; // an idle P can serve timers and the network
        }
        return Timers.next <= now || (Sched.netpoll.anyWaiters() && Sched.lastpoll.get() != 0);
    }
}
