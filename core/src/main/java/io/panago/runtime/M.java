package io.panago.runtime;

import java.util.concurrent.locks.LockSupport;

/**
 * A carrier: a daemon platform thread that runs goroutines (Go's {@code m}). It needs a
 * {@link P} to run goroutine code, but may be blocked (in {@code Go.blocking}, on a pinned
 * park, or stuck in a goroutine that does not yield) without one.
 *
 * <p>Every field but {@link #nextp}, {@link #spinning} (set by the starter before the wake-up)
 * and the note is owned by this thread.
 */
final class M extends Thread {
    final long mid;
    /** The P this M holds, or null. Only this thread writes it. */
    P p;
    /** The ownership epoch of {@link #p} (see {@link P#state}). */
    long pEpoch;
    /** The P this M held when it entered {@code Go.blocking}. */
    P oldp;
    /** The P handed to this M by {@code startm}, read when it wakes. */
    volatile P nextp;
    /** The goroutine mounted on this M, or null while it runs scheduler code. */
    G curg;
    /** Whether this M is looking for work (counted in {@code Sched.nmspinning}). */
    volatile boolean spinning;
    /** Second result of runqget/findRunnable: run the G in the current time slice. */
    boolean inheritTime;
    /** Link in the idle M list (guarded by the scheduler lock). */
    M schedlink;
    /** The scheduler's own identity on this thread, returned by {@code getg} outside goroutines. */
    final G g0;
    /** Scratch list for netpoll results. */
    final GList pollList = new GList();
    /** Scratch list for the part of a poll's result that goes to the global queue. */
    final GList injectList = new GList();
    /** The last goroutine this M ran gave up its time slice (Gosched); see Sched.pollFair. */
    boolean yielded;
    private volatile boolean woken;
    private int rand;

    M(long id, long g0id) {
        super(null, null, "panago-M" + id, Sched.stackSize, false);
        this.mid = id;
        this.g0 = new G(g0id, this);
        this.rand = (int) (id * 0x9E3779B9L) | 1;
        setDaemon(true);
    }

    @Override
    public void run() {
        Sched.mstart(this);
    }

    /** Go's {@code notesleep(&m.park)}: blocks until {@link #notewakeup}. */
    void notesleep() {
        while (!woken) {
            LockSupport.park(this);
            Thread.interrupted(); // an interrupt must not turn this wait into a spin
        }
        woken = false;
    }

    /** Go's {@code notewakeup(&m.park)}. */
    void notewakeup() {
        woken = true;
        LockSupport.unpark(this);
    }

    /** Go's {@code cheaprand}: xorshift, per M. */
    int fastrand() {
        int x = rand;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        rand = x;
        return x;
    }
}
