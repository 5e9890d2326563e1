package io.panago.runtime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A processor (Go's {@code p}): the right to run goroutine code, with a local run queue.
 * There are {@code GOMAXPROCS} of them.
 *
 * <h2>Implementation overview</h2>
 * <b>Run queue</b> (Go's runqput/runqget/runqgrab): a ring of 256 slots plus a
 * {@link #runnext} slot. Only the owner writes {@link #runqtail}, with a release store after
 * the slot; consumers (the owner and thieves) take elements by CAS on {@link #runqhead} after
 * reading them, so a thief that read a slot the owner has since overwritten fails its CAS and
 * retries. {@code runnext} is taken by CAS by owner and thieves alike.
 *
 * <p><b>Ownership</b>: {@link #state} packs an epoch with a status code. Whoever moves a P out
 * of the idle list under the scheduler lock ({@code acquirep}) bumps the epoch; every later CAS
 * by that owner names its epoch, so an M whose P was retaken by sysmon can never win it back by
 * an ABA on the status alone. Codes:
 * <ul>
 * <li>{@link #IDLE}: on the idle list, owned by the scheduler lock.</li>
 * <li>{@link #RUNNING}: owned by an M running scheduler code (or by sysmon during a retake).</li>
 * <li>{@link #USER}: its M is running goroutine code. The M takes it back by CAS
 *     USER&rarr;RUNNING whenever it needs the P; sysmon may retake it by CAS (the goroutine
 *     ran ~10 ms without yielding, or blocked its carrier in plain JDK code).</li>
 * <li>{@link #SYSCALL}: its M is in {@code Go.blocking}; sysmon retakes it after ~20 &micro;s.</li>
 * <li>{@link #DEAD}: removed by a GOMAXPROCS decrease.</li>
 * </ul>
 */
final class P {
    static final int IDLE = 0, RUNNING = 1, USER = 2, SYSCALL = 3, DEAD = 4;
    static final int RUNQ_SIZE = 256;
    private static final int MASK = RUNQ_SIZE - 1;

    private static final VarHandle STATE, HEAD, TAIL, RUNNEXT, SCHEDTICK, SYSCALLTICK;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(P.class, "state", long.class);
            HEAD = l.findVarHandle(P.class, "runqhead", int.class);
            TAIL = l.findVarHandle(P.class, "runqtail", int.class);
            RUNNEXT = l.findVarHandle(P.class, "runnext", G.class);
            SCHEDTICK = l.findVarHandle(P.class, "schedtick", long.class);
            SYSCALLTICK = l.findVarHandle(P.class, "syscalltick", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int id;
    /** epoch &lt;&lt; 3 | status code; see the class comment. */
    volatile long state;
    /** The M holding this P (informational; ownership is {@link #state}). */
    volatile M m;
    /** Link in the idle P list (guarded by the scheduler lock). */
    P link;

    private final G[] runq = new G[RUNQ_SIZE];
    /** Owner-only scratch of {@link #runqputslow}: half the queue plus one. */
    private final G[] slowBatch = new G[RUNQ_SIZE / 2 + 1];
    private final GList slowList = new GList();
    /** Next slot to consume; CAS by consumers. */
    private volatile int runqhead;
    /** Next slot to fill; written only by the owner (release). */
    private int runqtail;
    /** A goroutine readied by the running one, run next in the same time slice. */
    private volatile G runnext;

    /**
     * Incremented by the owner on every new time slice, read by sysmon. Plain field with opaque
     * access ({@link #tick}, {@link #sysmonSeesSchedtick}): a volatile store would fence every
     * scheduling round for a reader that only compares values now and then.
     */
    private long schedtick;
    /** Incremented by the owner on every Go.blocking; read by sysmon (opaque, as schedtick). */
    private long syscalltick;
    /** sysmon's last observation (Go's sysmontick); only sysmon touches these. */
    long sysmonSchedtick, sysmonSchedwhen, sysmonSyscalltick, sysmonSyscallwhen;
    /** Batch of goroutine ids owned by this P (Go's goidcache). */
    long goidcache, goidcacheend;

    P(int id) {
        this.id = id;
    }

    /** Starts a new time slice; returns the new tick. Owner only. */
    long tick() {
        long t = schedtick + 1;
        SCHEDTICK.setOpaque(this, t);
        return t;
    }

    /** The owner's tick count (exact for the owner, recent for sysmon). */
    long schedtick() {
        return (long) SCHEDTICK.getOpaque(this);
    }

    /** Counts an entry into Go.blocking. Owner only. */
    void syscallTick() {
        SYSCALLTICK.setOpaque(this, syscalltick + 1);
    }

    long syscalltick() {
        return (long) SYSCALLTICK.getOpaque(this);
    }

    static long pack(long epoch, int code) {
        return epoch << 3 | code;
    }

    int code() {
        return (int) (state & 7);
    }

    long epoch() {
        return state >>> 3;
    }

    /** CAS of the status code within an ownership epoch. */
    boolean cas(long epoch, int from, int to) {
        return STATE.compareAndSet(this, pack(epoch, from), pack(epoch, to));
    }

    /** Retake by sysmon: moves an owned USER or SYSCALL P to RUNNING under a new epoch. */
    boolean retake(long seen) {
        int code = (int) (seen & 7);
        if (code != USER && code != SYSCALL) {
            return false;
        }
        return STATE.compareAndSet(this, seen, pack((seen >>> 3) + 1, RUNNING));
    }

    void setState(long epoch, int code) {
        STATE.setRelease(this, pack(epoch, code));
    }

    /** Go's runqput: puts g on the local queue (in runnext if {@code next}). Owner only. */
    void runqput(G g, boolean next) {
        if (next) {
            G old;
            do {
                old = runnext;
            } while (!RUNNEXT.compareAndSet(this, old, g));
            if (old == null) {
                return;
            }
            g = old;
        }
        for (;;) {
            int h = (int) HEAD.getAcquire(this);
            int t = runqtail;
            if (t - h < RUNQ_SIZE) {
                runq[t & MASK] = g;
                // Volatile, not just release: wakep's read of nmspinning must not pass this
                // store (the StoreLoad of Go's "delicate dance").
                TAIL.setVolatile(this, t + 1);
                return;
            }
            if (runqputslow(g, h, t)) {
                return;
            }
        }
    }

    /** Go's runqputslow: moves half the full local queue plus g to the global queue. */
    private boolean runqputslow(G g, int h, int t) {
        // The owner's own scratch, not new arrays: an OutOfMemoryError here would lose g, or
        // the runnext it displaced, after the caller had committed to queueing it.
        int n = (t - h) / 2;
        G[] batch = slowBatch;
        for (int i = 0; i < n; i++) {
            batch[i] = runq[(h + i) & MASK];
        }
        if (!HEAD.compareAndSet(this, h, h + n)) {
            return false;
        }
        batch[n] = g;
        GList list = slowList;
        for (int i = 0; i <= n; i++) {
            list.push(batch[i]);
            batch[i] = null;
        }
        Sched.globrunqputbatch(list);
        return true;
    }

    /**
     * Go's runqget: the next local goroutine, runnext first; null if none. Owner only. Sets
     * {@code m.inheritTime} when it came from runnext.
     */
    G runqget(M m) {
        G next = runnext;
        if (next != null && RUNNEXT.compareAndSet(this, next, null)) {
            m.inheritTime = true;
            return next;
        }
        m.inheritTime = false;
        return runqpop();
    }

    /** Takes what waits in runnext, or null if nothing does. Any thread. */
    G takeRunnext() {
        for (;;) {
            G next = runnext;
            if (next == null || RUNNEXT.compareAndSet(this, next, null)) {
                return next;
            }
        }
    }

    /** Go's runqempty: true if neither the queue nor runnext hold anything. Any thread. */
    boolean runqempty() {
        for (;;) {
            // Volatile reads: a spinning M drops its spinning count and then looks here; the
            // submitter stores the tail and then reads the count (see runqput).
            int h = runqhead;
            int t = (int) TAIL.getVolatile(this);
            G next = runnext;
            if (t == (int) TAIL.getVolatile(this)) {
                return h == t && next == null;
            }
        }
    }

    /** Approximate queue length (runnext included), for dumps and hand-off decisions. */
    int runqsize() {
        int n = (int) TAIL.getAcquire(this) - runqhead;
        return Math.max(n, 0) + (runnext != null ? 1 : 0);
    }

    /**
     * Go's runqgrab: takes half of this P's queue into {@code batch} starting at
     * {@code batchHead}; with {@code stealRunNext} it may take runnext when the queue is empty.
     * Returns how many it took. Any thread.
     */
    private int runqgrab(G[] batch, int batchHead, boolean stealRunNext) {
        for (;;) {
            int h = (int) HEAD.getAcquire(this);
            int t = (int) TAIL.getAcquire(this);
            int n = t - h;
            n = n - n / 2;
            if (n == 0) {
                if (stealRunNext) {
                    G next = runnext;
                    if (next != null) {
                        int c = code();
                        if (c == RUNNING || c == USER) {
                            // The owner is likely about to run it (it readied it and is parking):
                            // give it time first, or ping-pong pairs would be torn apart by
                            // thieves. Asleep, as Go's usleep(3), not spinning: the OS's timer
                            // slack stretches it to tens of µs, and all that while this M stays
                            // counted as spinning, so the pair's goreadys skip wakep's futex
                            // wake (a ping-pong at GOMAXPROCS 2 paid one per ~20 round trips
                            // with a 3 µs spin, one per ~100 asleep, and burned a core).
                            LockSupport.parkNanos(3_000);
                        }
                        if (!RUNNEXT.compareAndSet(this, next, null)) {
                            continue;
                        }
                        batch[batchHead & MASK] = next;
                        return 1;
                    }
                }
                return 0;
            }
            if (n > RUNQ_SIZE / 2) {
                continue; // read an inconsistent h and t
            }
            for (int i = 0; i < n; i++) {
                batch[(batchHead + i) & MASK] = runq[(h + i) & MASK];
            }
            if (HEAD.compareAndSet(this, h, h + n)) {
                return n;
            }
        }
    }

    /** Go's runqsteal: steals half of {@code p2}'s queue into this one and returns one G. Owner only. */
    G runqsteal(P p2, boolean stealRunNext) {
        int t = runqtail;
        int n = p2.runqgrab(runq, t, stealRunNext);
        if (n == 0) {
            return null;
        }
        n--;
        G g = runq[(t + n) & MASK];
        if (n == 0) {
            return g;
        }
        int h = (int) HEAD.getAcquire(this);
        if (t - h + n >= RUNQ_SIZE) {
            throw new IllegalStateException("runqsteal: runq overflow");
        }
        TAIL.setRelease(this, t + n);
        return g;
    }

    /** Empties the local queue into {@code out} (for a P being destroyed). Owner only. */
    void runqdrain(GList out) {
        G next = runnext;
        if (next != null && RUNNEXT.compareAndSet(this, next, null)) {
            out.push(next);
        }
        for (G g; (g = runqpop()) != null; ) {
            out.push(g);
        }
    }

    private G runqpop() {
        for (;;) {
            int h = (int) HEAD.getAcquire(this);
            int t = runqtail;
            if (t == h) {
                return null;
            }
            G g = runq[h & MASK];
            if (HEAD.compareAndSet(this, h, h + 1)) {
                return g;
            }
        }
    }
}
