package io.panago.runtime;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The goroutine scheduler (Go's runtime/proc.go) and the park/ready contract every blocking
 * operation of panago is built on.
 *
 * <h2>Goroutine scheduler</h2>
 * The scheduler's job is to spread runnable goroutines over carrier threads. Three concepts,
 * as in Go:
 * <ul>
 * <li><b>G</b>: a goroutine, a {@code jdk.internal.vm.Continuation} plus status, wait reason
 *     and id ({@link G}).</li>
 * <li><b>M</b>: a carrier, a daemon platform thread ({@link M}).</li>
 * <li><b>P</b>: the right to run goroutine code, with a local run queue ({@link P});
 *     {@code GOMAXPROCS} of them. An M needs a P to run goroutines, but can be blocked
 *     without one.</li>
 * </ul>
 * An M runs {@link #schedule}: find a runnable G (local {@code runnext}, local queue, the global
 * queue every 61st round and whenever the local queue is empty, the network poller, then
 * stealing half of another P's queue; a busy P also polls the network when nobody has for a
 * millisecond, 0.1 ms after a goroutine yields, see {@code pollFair}), mount its continuation,
 * and when it yields, act on what the goroutine asked for (park with a commit step, reschedule,
 * give up the P).
 *
 * <h2>Parking and unparking Ms</h2>
 * As in Go: Ms spin looking for work before they sleep, at most half as many spinning Ms as busy
 * Ps, and whoever makes work runnable calls {@link #wakep}, which starts one spinning M if there
 * is an idle P and nobody spins. A spinning M that finds work stops spinning and calls
 * {@code wakep} itself, so parallelism ramps up one M at a time. The last spinning M to give
 * up re-checks every queue after it has dropped its spinning count; the submitter stores its
 * work before it reads that count (both sequentially consistent), so one of them always sees
 * the other: no work is left behind with idle Ms. An idle M with timers or descriptors to watch
 * blocks in {@link Netpoll#poll} with the next timer as timeout; the others sleep on their own
 * note ({@link M#notesleep}).
 *
 * <p>Rejected, as Go rejected them: a central queue (does not scale); handing a readied G
 * straight to an idle M with its own P (thread thrashing, lost locality); waking an M for every
 * readied G (too many wake-ups). Rejected for the JVM: a ForkJoinPool as carrier pool (its
 * work-stealing deque has no runnext, no P to hand off on a blocked carrier, and compensating
 * threads instead of Go's hand-off), and parking Ms with {@code Object.wait} (a continuation must
 * never be mounted while the carrier holds a monitor; the loop here holds none when it mounts).
 *
 * <h2>Blocked carriers</h2>
 * The JVM cannot preempt a continuation, so a goroutine that blocks its carrier in plain JDK
 * code, runs long without yielding, sits in {@code Go.blocking}, or is pinned (cannot yield)
 * keeps its M. What it must not keep is its P: the P's status says whether its M runs
 * goroutine code ({@link P#USER}) or a blocking call ({@link P#SYSCALL}), and sysmon takes such a
 * P away by CAS and hands it to another M ({@link #handoffp}), exactly like Go's {@code retake}
 * for syscalls. The M notices when it next needs its P, and its goroutine then runs without one
 * until it yields, when it goes to the global queue. A park that cannot yield (a native frame on
 * the stack, or {@code lockOSThread}) blocks the carrier instead, with the P handed off first
 * ({@link #yieldPinned}, Go's {@code entersyscallblock}). When GOMAXPROCS shrinks, a P beyond it
 * is destroyed by its own M at its next scheduling round; until then it stays in
 * {@link #retiring}, where sysmon can still take it from a stuck M.
 *
 * <h2>Finding the current G</h2>
 * A continuation resumes on whatever carrier picked it up, and C2 treats
 * {@code Thread.currentThread()} as constant within a compiled method, so a hot loop that yields
 * could keep seeing the carrier it started on (and its ThreadLocals). {@link #getg} therefore
 * asks for the current thread through a method handle held in a non-final field: C2 cannot
 * inline the target, so the read happens in another compiled method on every call, after any
 * migration. The M it returns knows its mounted G.
 */
public final class Sched {
    /** See {@link #nanotime()}: its first readings are 1 and above. First, before any use. */
    private static final long NANOTIME_ORIGIN = System.nanoTime() - 1;
    /** Yield requests a goroutine leaves in {@link G#yieldKind} for its M. */
    static final int Y_NONE = 0, Y_PARK = 1, Y_GOSCHED = 2, Y_EXITSYSCALL = 3;

    /** Go's sched.lock: idle Ms and Ps, the global run queue, GOMAXPROCS changes. */
    static final Object lock = new Object();
    private static M midle;
    private static int nmidle;
    private static P pidle;
    private static final GRing runq = new GRing();
    /** Size of the global run queue; written under {@link #lock}, read racily. */
    static volatile int runqsize;
    /** Number of idle Ps; written under {@link #lock}, read racily. */
    static volatile int npidle;
    static volatile P[] allp = new P[0];
    /**
     * Ps beyond GOMAXPROCS that were busy when it shrank: their Ms destroy them at their next
     * scheduling round, but until then sysmon must still see them, or a goroutine stuck on one
     * would strand that P's run queue. Written under {@link #lock}.
     */
    static volatile P[] retiring = new P[0];
    static volatile int gomaxprocs;
    static final AtomicInteger nmspinning = new AtomicInteger();
    /** Go's sched.needspinning: wakep found no idle P; the next M about to idle spins instead. */
    static volatile boolean needspinning;
    /** nanotime of the last network poll; 0 while an M is blocked in netpoll. */
    static final AtomicLong lastpoll = new AtomicLong(1);
    /** How stale the last non-blocking poll may get before a busy P polls (see pollFair). */
    static final long FAIR_POLL_NS = 1_000_000L;
    /** The same right after a goroutine gave up its time slice (see pollFair). */
    static final long FAIR_POLL_AFTER_YIELD_NS = 100_000L;
    /** nanotime of the last non-blocking poll by an M (see pollFair). */
    private static volatile long lastNonblockingPoll;
    private static final VarHandle LAST_NONBLOCKING_POLL;
    /** Polls by pollFair that found something (tests). */
    static final AtomicLong fairPolls = new AtomicLong();
    /** Deadline of the M blocked in netpoll, 0 if none. */
    static volatile long pollUntil;
    static final AtomicLong goidgen = new AtomicLong();
    private static final AtomicLong mgen = new AtomicLong();
    static final AtomicInteger mcount = new AtomicInteger();
    /** Successful steals (rare next to scheduling rounds; for tests and schedtrace). */
    static final AtomicLong steals = new AtomicLong();
    /** Ms started or woken by {@link #startm}: each a thread wake-up (for tests and schedtrace). */
    static final AtomicLong mstarts = new AtomicLong();
    /** Ms that could not be made or started (OutOfMemoryError); see {@link #startm}. */
    static final AtomicLong mstartFailures = new AtomicLong();
    /** Scratch list of {@link #startm}'s failure path, which must not allocate; lock held. */
    private static final GList stranded = new GList();
    /** Parks that blocked their carrier because the goroutine was pinned (tests, dumps). */
    static final AtomicLong pinnedParks = new AtomicLong();
    private static final LongAdder ngoroutines = new LongAdder();
    static Netpoll netpoll;
    private static volatile boolean started;

    private static final ThreadLocal<G> STAND_INS =
            ThreadLocal.withInitial(() -> new G(goidgen.incrementAndGet(), Thread.currentThread()));

    /** Not final on purpose: see "Finding the current G" above. */
    private static MethodHandle currentThread;

    static {
        try {
            currentThread = MethodHandles.lookup().findStatic(Thread.class, "currentThread",
                    MethodType.methodType(Thread.class));
            LAST_NONBLOCKING_POLL = MethodHandles.lookup().findStaticVarHandle(Sched.class,
                    "lastNonblockingPoll", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Sched() {
    }

    // ---------------------------------------------------------------- contract

    /**
     * The current goroutine; on a plain thread its stand-in G (created lazily), on a carrier
     * outside any goroutine the carrier's own G. Never null. Correct after a goroutine has
     * migrated between carriers, including in C2-compiled loops.
     */
    public static G getg() {
        Thread t = currentThread();
        if (t instanceof M m) {
            G g = m.curg;
            return g != null ? g : m.g0;
        }
        return STAND_INS.get();
    }

    /**
     * Parks the current goroutine (Go's {@code gopark}). In a goroutine the continuation yields
     * first; then the scheduler runs {@code commit.commit(g, arg)} on the carrier, and if it
     * returns false the goroutine is runnable again at once. On a plain thread the commit runs at
     * once and, if it returns true, the thread blocks until {@link #goready}. Exactly one
     * {@code goready} ends one park, and one that arrives before the commit has run is kept: the
     * park then returns at once. A throwable thrown by {@code commit} is rethrown here.
     *
     * @param commit short, non-blocking, non-parking commit step (Go's unlockf)
     * @param arg    passed to {@code commit}
     * @param reason shown in goroutine dumps while parked
     */
    public static void gopark(ParkCommit commit, Object arg, WaitReason reason) {
        Thread t = currentThread();
        if (t instanceof M m) {
            G g = m.curg;
            if (g == null) {
                throw new IllegalStateException("gopark on a scheduler thread (in a timer function, "
                        + "a park commit step or the poller): these must not park");
            }
            if (g.blockingDepth > 0) {
                int depth = leaveSyscall(g);
                try {
                    gopark(commit, arg, reason);
                } finally {
                    reenterSyscall(g, depth);
                }
                return;
            }
            g.waitCommit = commit;
            g.waitArg = arg;
            g.waitReason = reason;
            g.yieldKind = Y_PARK;
            if (g.lockedm != 0) {
                yieldPinned(g, "LOCKED"); // lockOSThread: park on this carrier, never migrate
            } else {
                yieldOrPin(g);
            }
            // Resumed, maybe on another carrier: only locals from here on.
            Throwable f = g.parkFailure;
            if (f != null) {
                g.parkFailure = null;
                throw Panics.rethrowable(f);
            }
            return;
        }
        parkOnThread(STAND_INS.get(), commit, arg, reason);
    }

    /**
     * Makes a parked goroutine (or stand-in) runnable (Go's {@code goready}). Callable from any
     * thread, goroutine, timer function, commit step or poller. A goroutine goes to the current
     * P's {@code runnext} when there is one, else to the global queue.
     *
     * @throws IllegalStateException if {@code g} is not parked and a goready is already pending
     */
    public static void goready(G g) {
        for (;;) {
            int s = g.status;
            if ((s & G.SCAN) != 0) {
                Thread.onSpinWait(); // a dump is reading its stack
                continue;
            }
            int st = s & ~G.WAKE;
            if (st == G.WAITING) {
                if (g.casStatus(G.WAITING, G.RUNNABLE)) {
                    Thread waiter = g.parkedOn;
                    if (waiter != null) {
                        LockSupport.unpark(waiter);
                    } else {
                        ready(g);
                    }
                    return;
                }
            } else if ((s & G.WAKE) != 0 || st == G.DEAD || st == G.IDLE) {
                throw new IllegalStateException("goready of " + g + ": not parked (a second goready?)");
            } else if (g.casStatus(s, s | G.WAKE)) {
                return; // its park has not committed yet: it will resume at once
            }
        }
    }

    /**
     * The poller's goready (Go's {@code netpollready}): a goroutine parked on a descriptor
     * becomes RUNNABLE and is appended to {@code out}; one parked on a thread is unparked; one
     * whose park has not committed yet gets the WAKE bit.
     */
    static void readyInto(G g, GList out) {
        for (;;) {
            int s = g.status;
            if ((s & G.SCAN) != 0) {
                Thread.onSpinWait();
                continue;
            }
            if ((s & ~G.WAKE) == G.WAITING) {
                if (g.casStatus(G.WAITING, G.RUNNABLE)) {
                    Thread waiter = g.parkedOn;
                    if (waiter != null) {
                        LockSupport.unpark(waiter);
                    } else {
                        out.push(g);
                    }
                    return;
                }
            } else if ((s & G.WAKE) != 0 || g.casStatus(s, s | G.WAKE)) {
                return;
            }
        }
    }

    /**
     * Yields the processor (Go's {@code Gosched}): the goroutine goes to the back of its P's run
     * queue, or, when goroutines wait in the global queue, behind them there, as Go always
     * does. On a plain thread, {@link Thread#yield()}.
     */
    public static void gosched() {
        Thread t = currentThread();
        if (t instanceof M m && m.curg != null && m.curg.lockedm == 0) {
            G g = m.curg;
            if (g.blockingDepth > 0) {
                int depth = leaveSyscall(g);
                try {
                    gosched();
                } finally {
                    reenterSyscall(g, depth);
                }
                return;
            }
            g.yieldKind = Y_GOSCHED;
            yieldOrPin(g);
            return;
        }
        if (t instanceof M m && m.curg != null && m.curg.blockingDepth == 0) {
            goschedLocked(m); // lockOSThread
            return;
        }
        Thread.yield();
    }

    /**
     * Gosched of a goroutine locked to its carrier (lockOSThread), which must not resume on
     * another carrier: instead of queueing it, hand its P to another M when there is other work
     * (Go's Gosched queues it and its M hands the P on in {@code stoplockedm}), let that M run,
     * then take an idle P if there is one; without one it runs on without a P, as after a
     * pinned park ({@link #yieldPinned}). It was a bare {@code Thread.yield}: with the only P
     * kept, nothing else ran until sysmon took it after ~10 ms. Inside {@code Go.blocking} the
     * P is already in the syscall state, which sysmon hands off.
     */
    private static void goschedLocked(M m) {
        P pp = m.p;
        if (pp != null) {
            if (pp.runqempty() && runqsize == 0 && Timers.next > nanotime()) {
                Thread.yield();
                return; // nothing else to run: keep the P
            }
            m.p = null;
            if (pp.cas(m.pEpoch, P.USER, P.RUNNING)) {
                handoffp(pp);
            }
        }
        Thread.yield();
        acquireIdleP(m);
    }

    /**
     * Monotonic nanoseconds since just before the runtime's classes loaded: the clock of timers,
     * deadlines and sysmon (Go's {@code nanotime}). Always at least 1, so 0 can mean "no
     * deadline" or "not set" (as Go's time package offsets its clock by {@code startNano}), and
     * values from {@link System#nanoTime()}, which may be negative or 0, are never mixed in.
     */
    public static long nanotime() {
        return System.nanoTime() - NANOTIME_ORIGIN;
    }

    // ---------------------------------------------------------------- API behind io.panago.Go

    /**
     * Starts a goroutine running {@code task} (Go's {@code newproc}); it belongs to the current
     * goroutine's {@code Go.run}, if any. For io.panago.Go.
     */
    public static G newproc(Runnable task) {
        return newproc(task, null, true);
    }

    /**
     * The {@code Go.run} the current goroutine belongs to, or null outside one: for code that
     * starts a goroutine later on its behalf from wherever it is triggered (an
     * {@code afterFunc}), with {@link #newproc(Runnable, RunRoot)}.
     */
    public static RunRoot currentRun() {
        M m = currentM();
        G g = m == null ? null : m.curg;
        return g == null ? null : g.root;
    }

    /**
     * Starts a goroutine running {@code task} that belongs to {@code run} (from
     * {@link #currentRun()}; null for none), whichever goroutine or thread calls this: its panic
     * fails that run, as if the goroutine that took {@code run} had started it.
     */
    public static G newproc(Runnable task, RunRoot run) {
        return newproc(task, run, false);
    }

    private static G newproc(Runnable task, RunRoot run, boolean inherit) {
        start();
        Thread t = currentThread();
        RunRoot root = run;
        if (t instanceof M m) {
            G cur = m.curg;
            if (inherit && cur != null) {
                root = cur.root;
            }
            P pp = m.p;
            if (pp != null) {
                boolean user = cur != null;
                if (!user || pp.cas(m.pEpoch, P.USER, P.RUNNING)) {
                    G g;
                    try {
                        if (pp.goidcache == pp.goidcacheend) {
                            // Go's goidcache: ids in batches, so spawns do not fight over one counter.
                            pp.goidcache = goidgen.getAndAdd(16) + 1;
                            pp.goidcacheend = pp.goidcache + 16;
                        }
                        // The one allocation, first: an OutOfMemoryError leaves nothing counted.
                        g = new G(pp.goidcache++, task, root);
                        g.parentId = cur != null ? cur.id : 0;
                        g.status = G.RUNNABLE;
                        ngoroutines.increment();
                        AllGs.add(g);
                        pp.runqput(g, true);
                    } finally {
                        // Even on an error: a P left RUNNING under a running goroutine would be
                        // dropped by its M at the next park, as if sysmon had taken it.
                        if (user) {
                            pp.setState(m.pEpoch, P.USER);
                        }
                    }
                    wakep();
                    return g;
                }
                m.p = null; // sysmon took it
            }
        }
        return newprocGlobal(task, root);
    }

    /** newproc with no P at hand: the goroutine goes to the global queue. */
    static G newprocGlobal(Runnable task, RunRoot root) {
        G g = new G(goidgen.incrementAndGet(), task, root);
        M m = currentM();
        if (m != null && m.curg != null) {
            g.parentId = m.curg.id;
        }
        g.status = G.RUNNABLE;
        ngoroutines.increment();
        AllGs.add(g);
        globrunqput(g);
        wakep();
        return g;
    }

    /**
     * Runs {@code main} as a goroutine and waits for it (see {@code Go.run}). The first panic
     * of a goroutine started by it, directly or not, also ends the wait.
     */
    public static <T> T run(Callable<T> main) throws Exception {
        start();
        G caller = getg();
        RunRoot root = new RunRoot(caller, caller.root);
        newproc(() -> {
            T r;
            try {
                r = main.call();
            } catch (Throwable e) {
                root.finish(null, e);
                return;
            }
            root.finish(r, null);
        }, root, false);
        gopark(RunRoot.COMMIT, root, WaitReason.GO_RUN);
        Throwable f = root.failure;
        if (f != null) {
            if (f instanceof Exception e) {
                throw e;
            }
            throw Panics.rethrowable(f);
        }
        @SuppressWarnings("unchecked")
        T r = (T) root.result;
        return r;
    }

    /**
     * Runs {@code call} with the P handed off when it blocks long (Go's
     * {@code entersyscall}/{@code exitsyscall}); a plain call outside goroutines.
     */
    public static <T> T blocking(Callable<T> call) throws Exception {
        Thread t = currentThread();
        if (!(t instanceof M m) || m.curg == null) {
            return call.call();
        }
        G g = m.curg;
        if (g.blockingDepth > 0) {
            // Nested: the outer call keeps the syscall state (and so the hand-off) to its end;
            // leaving it here would leave the rest of the outer call blocking a carrier with a P.
            g.blockingDepth++;
            try {
                return call.call();
            } finally {
                g.blockingDepth--;
            }
        }
        g.blockingDepth = 1;
        entersyscall(m, g);
        try {
            return call.call();
        } finally {
            g.blockingDepth = 0;
            // A park inside the call may have moved the goroutine to another carrier.
            exitsyscall((M) currentThread(), g);
        }
    }

    /**
     * A park or yield inside {@code Go.blocking}: the goroutine leaves the syscall state (its
     * status back to RUNNING) so that it parks and is readied as any goroutine, and
     * {@link #reenterSyscall} puts it back once it runs again, on whichever carrier that is.
     * Without this a park there returned at once (the commit's CAS from RUNNING failed) and
     * its goready came later to some other park. It does not take a P first, as
     * {@link #exitsyscall} may have to wait for one, and a park's commit step may hold a lock
     * (a channel's) until the yield: its M takes the P back after the yield ({@link #execute}).
     * Returns the nesting depth to restore.
     */
    private static int leaveSyscall(G g) {
        int depth = g.blockingDepth;
        g.blockingDepth = 0;
        toRunning(g);
        return depth;
    }

    private static void reenterSyscall(G g, int depth) {
        entersyscall((M) currentThread(), g);
        g.blockingDepth = depth;
    }

    /** Go's {@code timeSleep}: parks the current goroutine (or thread) for at least {@code ns}. */
    public static void sleep(long ns) {
        if (ns <= 0) {
            return;
        }
        start();
        G g = getg();
        long now = nanotime();
        long when = now + ns;
        if (when < now) {
            when = Long.MAX_VALUE;
        }
        if (g.sleepTimer == null) {
            g.sleepTimer = new RTimer(SLEEP_READY, g);
        }
        g.sleepWhen = when;
        gopark(SLEEP_COMMIT, null, WaitReason.SLEEP);
    }

    private static final TimerFunc SLEEP_READY = (arg, now) -> goready((G) arg);
    private static final ParkCommit SLEEP_COMMIT = (g, arg) -> {
        g.sleepTimer.reset(g.sleepWhen, 0);
        return true;
    };

    /** Number of live goroutines (stand-ins not counted). */
    public static int numGoroutine() {
        return (int) ngoroutines.sum();
    }

    /** Current GOMAXPROCS (starting the runtime if needed). */
    public static int gomaxprocs() {
        start();
        return gomaxprocs;
    }

    /**
     * Sets GOMAXPROCS and returns the previous value; {@code n < 1} only queries, as in Go.
     * Safe while goroutines run: extra Ps are destroyed by their Ms at their next scheduling
     * point, their queues moved to the global queue.
     */
    public static int gomaxprocs(int n) {
        start();
        if (n < 1) {
            return gomaxprocs;
        }
        int old = procresize(n);
        if (n > old) {
            wakep();
        }
        return old;
    }

    /**
     * Go's {@code LockOSThread}: until the matching {@link #unlockOSThread}, the current
     * goroutine stays on its carrier. Its parks block the carrier (with the P handed off, as a
     * pinned park) instead of yielding, and {@code gosched} hands the P to other goroutines
     * instead of yielding ({@link #goschedLocked}). Calls nest. A no-op
     * outside goroutines.
     */
    public static void lockOSThread() {
        if (currentThread() instanceof M m && m.curg != null) {
            m.curg.lockedm++;
        }
    }

    /** Go's {@code UnlockOSThread}: undoes one {@link #lockOSThread}; extra calls are ignored. */
    public static void unlockOSThread() {
        if (currentThread() instanceof M m && m.curg != null && m.curg.lockedm > 0) {
            m.curg.lockedm--;
        }
    }

    /**
     * Every goroutine's id, state, wait reason and stack, in the shape of Go's goroutine dump
     * ({@code runtime.Stack(buf, true)}). For io.panago.Go.
     */
    public static String dump() {
        return Traceback.dump();
    }

    /** True when called from goroutine code. */
    public static boolean inGoroutine() {
        return currentThread() instanceof M m && m.curg != null;
    }

    /**
     * Starts the runtime if it is not running: checks the JVM flags, makes the Ps, starts
     * sysmon. Carriers are started on demand.
     *
     * @throws IllegalStateException naming the missing JVM flag
     */
    public static void start() {
        if (!started) {
            startSlow();
        }
    }

    private static synchronized void startSlow() {
        if (started) {
            return;
        }
        Flags.check();
        stackSize = stackSize(System.getProperty("panago.stacksize"));
        // Initialised now, not first under a full heap: a class whose initialiser fails is
        // unusable for good, and the goroutine counter (a LongAdder) needs these once spawns
        // and exits contend (its cells' class met a full heap once in OutOfMemoryRecoveryTest:
        // every contended spawn after it threw NoClassDefFoundError).
        java.util.concurrent.ThreadLocalRandom.current();
        try {
            Class.forName("java.util.concurrent.atomic.Striped64$Cell", true, null);
        } catch (ClassNotFoundException otherJdk) {
            // a JDK that names it otherwise: initialised at first contention, as before
        }
        Panics.link();
        netpoll = Netpoll.create();
        lastpoll.set(nanotime());
        procresize(initialProcs());
        Sysmon.start();
        DumpSignal.install();
        started = true;
    }

    /**
     * Stack size of the carrier threads, from {@code -Dpanago.stacksize}: bytes, or a number
     * with {@code k}, {@code m} or {@code g} as {@code -Xss} takes it; 0 (the default) leaves the
     * JVM's thread stack size ({@code -Xss}). It bounds how deep a goroutine can call between
     * two parks: the frames of a parked goroutine live in the heap.
     */
    static volatile long stackSize;

    static long stackSize(String s) {
        if (s == null || s.isBlank()) {
            return 0;
        }
        String t = s.trim().toLowerCase(java.util.Locale.ROOT);
        int shift = switch (t.charAt(t.length() - 1)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0 || n > (Long.MAX_VALUE >> shift) || !digits.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("-Dpanago.stacksize=" + s
                    + ": expected a size in bytes, or with k, m or g (as -Xss), such as 64m");
        }
        return n << shift;
    }

    private static int initialProcs() {
        String s = System.getProperty("panago.maxprocs");
        if (s == null || s.isBlank()) {
            s = System.getenv("GOMAXPROCS");
        }
        if (s != null) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // As Go: an unusable GOMAXPROCS is ignored.
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    // ---------------------------------------------------------------- current thread

    /** The current thread, read so that C2 cannot reuse a value from before a yield. */
    static Thread currentThread() {
        try {
            return (Thread) currentThread.invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** The current M, or null on other threads. */
    static M currentM() {
        return currentThread() instanceof M m ? m : null;
    }

    // ---------------------------------------------------------------- the M loop

    /** Go's {@code mstart}: the body of every carrier. */
    static void mstart(M m) {
        P pp = m.nextp;
        m.nextp = null;
        acquirep(m, pp);
        for (;;) {
            try {
                schedule(m);
            } catch (Throwable e) {
                // An error in the scheduler's own code (an OutOfMemoryError while the heap is
                // full): an M that died would take its P and every goroutine queued on it along.
                Panics.schedulerFailed(e);
                if (m.p == null) {
                    // It struck while this M had no P (the blocking poll runs after releasep):
                    // wait as an idle M until one is handed over. Going round again without
                    // one threw a NullPointerException in findRunnable every millisecond, for
                    // good.
                    try {
                        if (m.spinning) {
                            m.spinning = false;
                            nmspinning.decrementAndGet();
                        }
                        stopm(m);
                    } catch (Throwable again) {
                        Panics.schedulerFailed(again);
                    }
                }
            }
        }
    }

    /** Go's {@code schedule}: one round: find a G and run it. */
    private static void schedule(M m) {
        G gp = findRunnable(m);
        if (m.spinning) {
            resetspinning(m);
        }
        execute(m, gp, m.inheritTime);
        if (m.p == null) {
            stopm(m);
        }
    }

    /**
     * Go's {@code execute}: runs gp on m until it yields or ends, then does what it asked for.
     * Mounts with no monitor held (a monitor held across {@code Continuation.run} would be
     * stranded on this carrier).
     */
    private static void execute(M m, G gp, boolean inheritTime) {
        for (;;) {
            P pp = m.p;
            if (!inheritTime) {
                pp.tick();
            }
            toRunning(gp);
            m.curg = gp;
            gp.m = m;
            pp.setState(m.pEpoch, P.USER);
            // Goroutines are not interrupted: an interrupt of this carrier that arrived while it
            // ran no goroutine (waiting in the poller, or in scheduler code) must not reach the
            // one it mounts now, which would see it on resuming from a park it did not ask to end.
            Thread.interrupted();
            gp.cont.run();
            m.curg = null;
            // An interrupt a goroutine set on its carrier (catch-and-reinterrupt idioms) must
            // not leak into the next goroutine on it, nor make this M's parks spin.
            Thread.interrupted();
            P cur = m.p; // Go.blocking may have moved this M to another P
            if (cur == null) {
                // It parked or yielded inside Go.blocking (leaveSyscall): take back the P left
                // in the syscall state, unless sysmon has handed it off.
                P oldp = m.oldp;
                if (oldp != null) {
                    m.oldp = null;
                    if (oldp.cas(m.pEpoch, P.SYSCALL, P.RUNNING)) {
                        m.p = oldp;
                    }
                }
            } else if (!cur.cas(m.pEpoch, P.USER, P.RUNNING)) {
                m.p = null; // retaken by sysmon while the goroutine ran
            }
            if (gp.cont.isDone()) {
                gdestroy(gp);
                return;
            }
            int kind = gp.yieldKind;
            gp.yieldKind = Y_NONE;
            switch (kind) {
                case Y_PARK -> {
                    if (parkCommit(gp)) {
                        return;
                    }
                    if (m.p == null) {
                        toRunnable(gp);
                        globrunqput(gp);
                        wakep();
                        return;
                    }
                    inheritTime = true; // Go's park_m: an aborted park runs on at once
                }
                case Y_GOSCHED -> {
                    m.yielded = true;
                    toRunnable(gp);
                    if (m.p != null && runqsize == 0) {
                        m.p.runqput(gp, false);
                    } else {
                        // Behind what waits in the global queue (Go puts every Gosched there),
                        // or goroutines that yield would keep the local queue from ever
                        // emptying and the global one would get a turn in 61 rounds: when
                        // goroutines arrive there faster than that, it grows for ever.
                        globrunqput(gp);
                        wakep();
                    }
                    return;
                }
                case Y_EXITSYSCALL -> {
                    toRunnable(gp);
                    globrunqput(gp);
                    wakep();
                    return;
                }
                default -> throw new IllegalStateException("goroutine " + gp.id + " yielded outside the runtime");
            }
        }
    }

    /** Runs a park's commit step on the carrier; true if the goroutine stays parked. */
    private static boolean parkCommit(G gp) {
        if (runCommit(gp) && gp.casStatus(G.RUNNING, G.WAITING)) {
            return true; // from here on gp belongs to its goready: do not touch it
        }
        toRunning(gp); // consumes an early goready (the WAKE bit)
        return false;
    }

    /**
     * Runs the commit step the goroutine left for its park; true to stay parked. A throwable
     * from it aborts the park and is rethrown from gopark.
     */
    private static boolean runCommit(G g) {
        ParkCommit c = g.waitCommit;
        Object a = g.waitArg;
        g.waitCommit = null;
        g.waitArg = null;
        try {
            return c == null || c.commit(g, a);
        } catch (Throwable e) {
            g.parkFailure = e;
            return false;
        }
    }

    /**
     * RUNNABLE, SYSCALL or RUNNING (each maybe with WAKE) to RUNNING, keeping WAKE unless
     * running: from RUNNING it consumes an aborted park's early goready, from the others it is
     * the goready of a park still to come (a channel wait inside Go.blocking, whose waiter was
     * found before it parked).
     */
    private static void toRunning(G gp) {
        for (;;) {
            int s = gp.status;
            if ((s & G.SCAN) != 0) {
                Thread.onSpinWait();
                continue;
            }
            int st = s & ~G.WAKE;
            int next = st == G.RUNNING ? G.RUNNING : G.RUNNING | (s & G.WAKE);
            if (st != G.RUNNABLE && st != G.RUNNING && st != G.SYSCALL) {
                throw new IllegalStateException("bad status to run " + gp);
            }
            if (gp.casStatus(s, next)) {
                return;
            }
        }
    }

    private static void toRunnable(G gp) {
        for (;;) {
            int s = gp.status;
            if (gp.casStatus(s, G.RUNNABLE | (s & G.WAKE))) {
                return;
            }
        }
    }

    private static void gdestroy(G gp) {
        gp.status = G.DEAD;
        gp.cont = null;
        gp.task = null;
        gp.m = null;
        gp.sleepTimer = null;
        ngoroutines.decrement();
    }

    /**
     * Go's {@code findRunnable}: returns a runnable G, blocking as long as needed. Returns with
     * {@code m.p} held and {@code m.inheritTime} set.
     */
    private static G findRunnable(M m) {
        for (;;) {
            P pp = m.p;
            P[] all = allp; // may still be the old array: procresize sets gomaxprocs first
            if (pp.id >= gomaxprocs || pp.id >= all.length || all[pp.id] != pp) {
                // A GOMAXPROCS change retired pp (retire re-checks under the lock). Not only
                // by id: a P on its way to an M (taken off the idle list, still IDLE) is in
                // neither allp nor retiring after a shrink, and after a regrow its slot holds
                // a fresh P; here it goes at the M's first scheduling point.
                if (m.spinning) {
                    // An idle M must not stay counted as spinning, or wakep would never wake
                    // anyone again; retire's wakep comes after this.
                    m.spinning = false;
                    nmspinning.decrementAndGet();
                }
                if (retire(m, pp)) {
                    stopm(m);
                    continue;
                }
            }
            long now = 0;
            if (Timers.next != Long.MAX_VALUE) {
                now = nanotime();
                if (now >= Timers.next) {
                    Timers.runDue(now);
                }
            }
            boolean yielded = m.yielded;
            m.yielded = false;
            // anyWaiters first: the only load paid by schedulers without descriptors.
            if (netpoll.anyWaiters() && !pp.runqempty() && lastpoll.get() != 0) {
                if (now == 0) {
                    now = nanotime();
                }
                pollFair(m, pp, now, yielded ? FAIR_POLL_AFTER_YIELD_NS : FAIR_POLL_NS);
            }
            // Fairness: now and then the global queue goes first, or two goroutines that keep
            // readying each other through runnext would starve it.
            if (pp.schedtick() % 61 == 0 && runqsize > 0) {
                G gp;
                synchronized (lock) {
                    gp = globrunqget(pp, 1);
                }
                if (gp != null) {
                    m.inheritTime = false;
                    return gp;
                }
            }
            G gp = pp.runqget(m);
            if (gp != null) {
                return gp;
            }
            m.inheritTime = false;
            if (runqsize != 0) {
                synchronized (lock) {
                    gp = globrunqget(pp, 0);
                }
                if (gp != null) {
                    return gp;
                }
            }
            if (netpoll.anyWaiters() && lastpoll.get() != 0) {
                GList list = m.pollList;
                lastNonblockingPoll = nanotime();
                netpoll.poll(0, list);
                if (!list.isEmpty()) {
                    gp = list.pop();
                    injectglist(list, m, pp, false);
                    return gp;
                }
            }
            int procs = gomaxprocs;
            if (m.spinning || 2 * nmspinning.get() < procs - npidle) {
                if (!m.spinning) {
                    becomeSpinning(m);
                }
                gp = stealWork(m, pp);
                if (gp != null) {
                    return gp;
                }
            }

            // Nothing found: give up the P.
            synchronized (lock) {
                if (runqsize != 0) {
                    gp = globrunqget(pp, 0);
                    if (gp != null) {
                        return gp;
                    }
                }
                if (!m.spinning && needspinning) {
                    becomeSpinning(m); // see needspinning
                    continue;
                }
                releasep(m);
                pidleput(pp);
            }
            boolean wasSpinning = m.spinning;
            if (m.spinning) {
                // The last spinning M to give up re-checks everything after dropping the count:
                // a submitter that saw the count still > 0 did not call wakep.
                m.spinning = false;
                if (nmspinning.decrementAndGet() < 0) {
                    throw new IllegalStateException("findRunnable: negative nmspinning");
                }
                P np = null;
                synchronized (lock) {
                    if (runqsize != 0) {
                        np = pidlegetSpinning();
                        if (np != null) {
                            acquirep(m, np);
                            becomeSpinning(m);
                            gp = globrunqget(np, 0);
                        }
                    }
                }
                if (gp != null) {
                    return gp;
                }
                if (np != null) {
                    continue;
                }
                if (checkRunqsNoP(m)) {
                    continue;
                }
            }
            long next = Timers.next;
            if ((netpoll.anyWaiters() || next != Long.MAX_VALUE) && lastpoll.getAndSet(0) != 0) {
                pollUntil = next == Long.MAX_VALUE ? 0 : next;
                long delay = -1;
                if (next != Long.MAX_VALUE) {
                    delay = Math.max(0, next - nanotime());
                }
                GList list = m.pollList;
                try {
                    netpoll.poll(delay, list);
                } catch (Throwable t) {
                    // mstart reports it and parks this M, which has no P, as idle; another M
                    // or sysmon polls from now on, and what the poll had already readied runs.
                    pollUntil = 0;
                    lastpoll.set(nanotime());
                    injectglist(list);
                    throw t;
                }
                pollUntil = 0;
                lastpoll.set(nanotime());
                P np;
                synchronized (lock) {
                    np = pidleget();
                }
                if (np == null) {
                    injectglist(list);
                } else {
                    acquirep(m, np);
                    if (!list.isEmpty()) {
                        gp = list.pop();
                        injectglist(list, m, np, false);
                        // Not spinning again, as Go's findRunnable: a spinning M that finds
                        // work wakes another (resetspinning), and an M coming out of the
                        // poll with work would wake the one that just stopped, which then
                        // blocks in the poll itself: two goroutines talking over a socket
                        // were handed from M to M by a futex and an epoll wake-up every
                        // round trip (0.9 context switches each, where Go stays on one M).
                        return gp;
                    }
                    if (wasSpinning) {
                        becomeSpinning(m);
                    }
                    continue;
                }
            } else if (next != Long.MAX_VALUE) {
                long pu = pollUntil;
                if (pu == 0 || pu > next) {
                    netpoll.wakeup(); // the poller sleeps past our next timer
                }
            }
            stopm(m);
        }
    }

    /**
     * Network fairness (not in Go, whose goroutines share this flaw): goroutines that never run
     * dry (a bulk transfer whose reads and writes keep succeeding, each yielding on its I/O
     * budget) keep the local queue non-empty, so findRunnable never reaches its own poll and a
     * newly readable descriptor would wait for sysmon's, up to {@link Sysmon#POLL_INTERVAL_NS}.
     * So when nobody has polled for {@code period}, poll without blocking and queue what is
     * ready behind the current work: its wait is bounded by one round of that queue. What is
     * found never overtakes goroutines already waiting in the global queue. One clock read per
     * round while descriptors have waiters; nothing otherwise.
     *
     * <p>The period is {@link #FAIR_POLL_NS}, and {@link #FAIR_POLL_AFTER_YIELD_NS} right after
     * a goroutine gave up its time slice: that is what a connection whose data never runs out
     * does on its I/O budget, and then a light connection beside it is found within 0.1 ms
     * instead of 1 ms (bulk echo: the light probe's p50 1.06 ms to 0.12-0.16 ms). Ping-pong
     * traffic parks instead of yielding, so it keeps the longer period and its cheaper polls.
     */
    private static void pollFair(M m, P pp, long now, long period) {
        long last = lastNonblockingPoll;
        if (now - last < period || !LAST_NONBLOCKING_POLL.compareAndSet(last, now)) {
            return;
        }
        GList list = m.pollList;
        netpoll.poll(0, list);
        if (list.isEmpty()) {
            return;
        }
        fairPolls.incrementAndGet();
        if (runqsize != 0) {
            // Goroutines readied earlier already wait in the global queue: queue these behind
            // them, or every fair poll would overtake them and, with a local queue that never
            // empties, they would get one turn per 61 ticks (a 1,000-connection ping-pong
            // showed a 58 ms p99 that way, against 14 ms for the C server).
            globrunqputbatch(list);
            return;
        }
        injectglist(list, m, pp, true);
    }

    /**
     * Go's {@code injectglist} for an M that owns pp: one goroutine per idle P goes to the
     * global queue with an M started for it, the rest to pp's local queue (the first to
     * runnext if {@code runnextFirst}). As in Go, what this M's own poll finds stays local:
     * through the global queue each would cost the lock and, behind a local queue that keeps
     * refilling, wait for the one-in-61 fairness turn.
     */
    private static void injectglist(GList list, M m, P pp, boolean runnextFirst) {
        int idle = npidle;
        if (idle > 0) {
            GList glob = m.injectList;
            while (idle-- > 0 && !list.isEmpty()) {
                glob.push(list.pop());
            }
            injectglist(glob);
        }
        G first = runnextFirst ? list.pop() : null;
        if (first != null) {
            // Not Go's tail: the queue is full of goroutines that never run dry, and what a
            // fair poll finds is usually one light connection; in runnext it waits one time
            // slice instead of a round of the whole queue.
            pp.runqput(first, true);
        }
        for (G g = list.pop(); g != null; g = list.pop()) {
            pp.runqput(g, false);
        }
    }

    /**
     * After dropping spinning without a P: if some P has local work, take an idle P and spin
     * again (Go's {@code checkRunqsNoP}). True if m now holds a P.
     */
    private static boolean checkRunqsNoP(M m) {
        for (P p2 : allp) {
            if (!p2.runqempty()) {
                P np;
                synchronized (lock) {
                    np = pidlegetSpinning();
                }
                if (np != null) {
                    acquirep(m, np);
                    becomeSpinning(m);
                    return true;
                }
                break;
            }
        }
        return false;
    }

    /** Go's {@code stealWork}: four passes over the Ps in random order; runnext in the last. */
    private static G stealWork(M m, P pp) {
        P[] ps = allp;
        int n = ps.length;
        for (int i = 0; i < 4; i++) {
            boolean stealRunNext = i == 3;
            int start = (m.fastrand() & Integer.MAX_VALUE) % n;
            for (int j = 0; j < n; j++) {
                P p2 = ps[(start + j) % n];
                if (p2 == pp || p2.code() == P.IDLE) {
                    continue;
                }
                if (!p2.runqempty()) {
                    G gp = pp.runqsteal(p2, stealRunNext);
                    if (gp != null) {
                        steals.incrementAndGet();
                        return gp;
                    }
                }
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- Ms and Ps

    /** Go's {@code stopm}: puts m on the idle list and sleeps until startm gives it a P. */
    static void stopm(M m) {
        if (m.spinning) {
            throw new IllegalStateException("stopm: an idle M still counted as spinning");
        }
        synchronized (lock) {
            m.schedlink = midle;
            midle = m;
            nmidle++;
        }
        m.notesleep();
        P pp = m.nextp;
        m.nextp = null;
        acquirep(m, pp);
    }

    /**
     * Go's {@code startm}: runs pp (an idle P, or any idle P if null) on an idle or new M. With
     * {@code spinning}, the caller has already counted the new M in nmspinning.
     */
    static void startm(P pp, boolean spinning) {
        M nm;
        synchronized (lock) {
            if (pp == null) {
                pp = pidleget();
                if (pp == null) {
                    if (spinning) {
                        nmspinning.decrementAndGet();
                    }
                    return;
                }
            }
            nm = midle;
            if (nm != null) {
                midle = nm.schedlink;
                nm.schedlink = null;
                nmidle--;
            }
        }
        mstarts.incrementAndGet();
        if (nm == null) {
            boolean counted = false;
            try {
                nm = new M(mgen.incrementAndGet(), goidgen.incrementAndGet());
                mcount.incrementAndGet();
                counted = true;
                nm.spinning = spinning;
                nm.nextp = pp;
                nm.start();
            } catch (OutOfMemoryError e) {
                // No heap for the M, or no native thread (a process limit): give the P back,
                // its queue to the global one; sysmon starts an M for queued work once it can.
                if (counted) {
                    mcount.decrementAndGet();
                }
                if (spinning) {
                    nmspinning.decrementAndGet();
                }
                synchronized (lock) {
                    pp.runqdrain(stranded);
                    runq.pushAll(stranded);
                    runqsize = runq.size();
                    pidleput(pp);
                }
                mstartFailures.incrementAndGet();
            }
            return;
        }
        nm.spinning = spinning;
        nm.nextp = pp;
        nm.notewakeup();
    }

    /**
     * Go's {@code wakep}: starts a spinning M if there is an idle P and nobody is spinning.
     * Called by whoever makes a goroutine runnable.
     */
    static void wakep() {
        if (nmspinning.get() != 0) {
            return;
        }
        if (npidle == 0) {
            // Nobody to wake; but a P about to be released should spin instead (needspinning).
            if (!needspinning) {
                needspinning = true;
            }
            return;
        }
        if (!nmspinning.compareAndSet(0, 1)) {
            return;
        }
        P pp;
        synchronized (lock) {
            pp = pidlegetSpinning();
            if (pp == null) {
                nmspinning.decrementAndGet();
                return;
            }
        }
        startm(pp, true);
    }

    /**
     * Go's {@code handoffp}: the caller owns pp (status RUNNING) and will not run goroutines
     * with it: start an M for it if there is work, else put it on the idle list.
     */
    static void handoffp(P pp) {
        pp.m = null;
        if (!pp.runqempty() || runqsize != 0) {
            startm(pp, false);
            return;
        }
        if (nmspinning.get() + npidle == 0 && nmspinning.compareAndSet(0, 1)) {
            needspinning = false;
            startm(pp, true);
            return;
        }
        synchronized (lock) {
            boolean start = runqsize != 0
                    // The last P: someone must watch timers and descriptors.
                    || (npidle == gomaxprocs - 1 && lastpoll.get() != 0
                        && (Timers.next != Long.MAX_VALUE || netpoll.anyWaiters()));
            if (!start) {
                pidleput(pp);
                return;
            }
        }
        startm(pp, false);
    }

    private static void becomeSpinning(M m) {
        m.spinning = true;
        nmspinning.incrementAndGet();
        needspinning = false;
    }

    private static void resetspinning(M m) {
        m.spinning = false;
        if (nmspinning.decrementAndGet() < 0) {
            throw new IllegalStateException("resetspinning: negative nmspinning");
        }
        wakep();
    }

    static void acquirep(M m, P pp) {
        long e = pp.epoch() + 1;
        pp.state = P.pack(e, P.RUNNING);
        pp.m = m;
        m.p = pp;
        m.pEpoch = e;
    }

    private static void releasep(M m) {
        P pp = m.p;
        m.p = null;
        pp.m = null;
    }

    /** Go's {@code pidleput}; lock held. A P beyond GOMAXPROCS is destroyed instead. */
    private static void pidleput(P pp) {
        if (pp.id >= gomaxprocs || allp[pp.id] != pp) {
            destroyp(pp);
            return;
        }
        pp.setState(pp.epoch(), P.IDLE);
        pp.m = null;
        pp.link = pidle;
        pidle = pp;
        npidle++;
    }

    /** Go's {@code pidleget}; lock held. */
    private static P pidleget() {
        P pp = pidle;
        if (pp != null) {
            pidle = pp.link;
            pp.link = null;
            npidle--;
        }
        return pp;
    }

    private static P pidlegetSpinning() {
        P pp = pidleget();
        if (pp == null) {
            needspinning = true;
        }
        return pp;
    }

    /** Lock held, pp owned: moves its queue to the global queue and marks it dead. */
    private static void destroyp(P pp) {
        GList l = new GList();
        pp.runqdrain(l);
        runq.pushAll(l);
        runqsize = runq.size();
        pp.m = null;
        pp.setState(pp.epoch(), P.DEAD);
    }

    /** A GOMAXPROCS decrease reached m's P: destroy it. True if m lost its P. */
    private static boolean retire(M m, P pp) {
        synchronized (lock) {
            if (pp.id < gomaxprocs && allp[pp.id] == pp) {
                return false;
            }
            releasep(m);
            destroyp(pp);
        }
        wakep();
        return true;
    }

    /** Go's {@code procresize}: sets the number of Ps. Returns the old GOMAXPROCS. */
    private static int procresize(int n) {
        synchronized (lock) {
            int old = gomaxprocs;
            P[] oldp = allp;
            // Everything is allocated before anything changes: a size that cannot be allocated
            // (OutOfMemoryError) leaves GOMAXPROCS and the Ps as they were. GOMAXPROCS used to
            // be set first and stayed at the impossible value with the old Ps.
            P[] np = new P[n];
            boolean[] fresh = new boolean[n];
            for (int i = 0; i < n; i++) {
                // A slot that comes back takes back its P if that is still busy (its M has not
                // reached a scheduling point since the decrease): a fresh one beside it left
                // the old one alive outside allp, where nobody looked at its queue.
                P pp = i < oldp.length ? oldp[i] : retiringP(i);
                fresh[i] = pp == null || pp.code() == P.DEAD;
                np[i] = fresh[i] ? new P(i) : pp;
            }
            gomaxprocs = n; // before allp, as findRunnable expects
            // Published whole before any new P is made idle: sysmon, stealing and the dump read
            // allp without the lock and must never see an empty slot (pidleput checks allp).
            allp = np;
            for (int i = 0; i < n; i++) {
                if (fresh[i]) {
                    pidleput(np[i]);
                }
            }
            java.util.ArrayList<P> stillBusy = new java.util.ArrayList<>();
            for (P pp : retiring) {
                if (pp.id >= n && pp.code() != P.DEAD) {
                    stillBusy.add(pp);
                }
            }
            // A set, not a walk of the list per P: that made shrinking from 100,000 Ps take
            // tens of seconds under the scheduler lock.
            java.util.Set<P> onIdleList = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (P q = pidle; q != null; q = q.link) {
                onIdleList.add(q);
            }
            for (int i = n; i < oldp.length; i++) {
                // Not only the busy ones: a P taken off the idle list stays IDLE until the M it
                // was handed to acquires it (startm, wakep, acquireIdleP, the poll path), and
                // left out here it ran a goroutine outside allp and retiring, out of sysmon's
                // sight, until its M's next scheduling point retired it.
                if (oldp[i].code() != P.DEAD && !onIdleList.contains(oldp[i])) {
                    stillBusy.add(oldp[i]);
                }
            }
            retiring = stillBusy.toArray(new P[0]);
            // Idle Ps beyond n go now; busy ones when their M next schedules.
            P keep = null;
            int kept = 0;
            for (P pp = pidle; pp != null; ) {
                P nextp = pp.link;
                if (pp.id >= n) {
                    destroyp(pp);
                } else {
                    pp.link = keep;
                    keep = pp;
                    kept++;
                }
                pp = nextp;
            }
            pidle = keep;
            npidle = kept;
            return old;
        }
    }

    /** Lock held: the P with this id waiting in {@link #retiring} to be destroyed, if any. */
    private static P retiringP(int id) {
        for (P pp : retiring) {
            if (pp.id == id && pp.code() != P.DEAD) {
                return pp;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- run queues

    /** Go's {@code globrunqput}. */
    static void globrunqput(G g) {
        synchronized (lock) {
            runq.push(g);
            runqsize = runq.size();
        }
    }

    /** Go's {@code globrunqputbatch}. */
    static void globrunqputbatch(GList list) {
        synchronized (lock) {
            runq.pushAll(list);
            runqsize = runq.size();
        }
    }

    /** Go's {@code globrunqget}; lock held. Moves a fair share to pp's local queue. */
    private static G globrunqget(P pp, int max) {
        int size = runq.size();
        if (size == 0) {
            return null;
        }
        int n = size / gomaxprocs + 1;
        if (n > size) {
            n = size;
        }
        if (max > 0 && n > max) {
            n = max;
        }
        if (n > P.RUNQ_SIZE / 2) {
            n = P.RUNQ_SIZE / 2;
        }
        G gp = runq.pop();
        for (n--; n > 0; n--) {
            pp.runqput(runq.pop(), false);
        }
        runqsize = runq.size();
        return gp;
    }

    /**
     * Go's {@code injectglist}: makes a list of readied goroutines runnable, starting Ms for
     * idle Ps as needed.
     */
    static void injectglist(GList list) {
        int n = list.size;
        if (n == 0) {
            return;
        }
        globrunqputbatch(list);
        for (; n > 0 && npidle > 0; n--) {
            startm(null, false);
        }
    }

    /**
     * Go's {@code ready}: queues a goroutine that just became RUNNABLE, on the current P's
     * runnext if there is one.
     */
    static void ready(G g) {
        Thread t = currentThread();
        if (t instanceof M m) {
            P pp = m.p;
            if (pp != null) {
                if (m.curg == null) {
                    pp.runqput(g, true);
                    wakep();
                    return;
                }
                if (pp.cas(m.pEpoch, P.USER, P.RUNNING)) {
                    pp.runqput(g, true);
                    pp.setState(m.pEpoch, P.USER);
                    wakep();
                    return;
                }
                m.p = null; // retaken by sysmon
            }
        }
        globrunqput(g);
        wakep();
    }

    /**
     * For a waiter on a descriptor or operation that has just been counted: a thread's park
     * (virtual or not) leaves no M looking for work, so make sure some M will poll (an idle one
     * goes to the blocking poll, as there is a waiter now) rather than leave the event to
     * sysmon's 10 ms round. An M already blocked in the poller (lastpoll 0) is woken by the
     * event itself; a goroutine's park leaves its M looking anyway.
     */
    static void pollForThread(G g) {
        if (!g.isGoroutine() && lastpoll.get() != 0) {
            wakeNetPoller(Long.MAX_VALUE);
        }
    }

    /**
     * Go's {@code wakeNetPoller}: a timer at {@code when} was added; make sure some M will be
     * awake by then.
     */
    static void wakeNetPoller(long when) {
        if (lastpoll.get() == 0) {
            long pu = pollUntil;
            if (pu == 0 || pu > when) {
                netpoll.wakeup();
            }
        } else {
            wakep();
        }
    }

    // ---------------------------------------------------------------- parks off the M loop

    /** gopark on a plain thread: commit at once, then block the thread until goready. */
    private static void parkOnThread(G g, ParkCommit commit, Object arg, WaitReason reason) {
        if (!commit.commit(g, arg)) {
            g.status = G.RUNNING; // consume an early goready, if any
            return;
        }
        g.parkedOn = g.thread;
        g.waitReason = reason;
        if (g.casStatus(G.RUNNING, G.WAITING)) {
            parkUntilReady(g);
        }
        g.status = G.RUNNING;
    }

    /**
     * Blocks the calling thread until {@link #goready} has moved g out of WAITING. Like Go's
     * blocking operations this is not interruptible, but it keeps an interrupt: LockSupport.park
     * returns at once while the flag is set, so the flag is cleared while waiting (no spinning)
     * and set again afterwards for the caller to see.
     */
    private static void parkUntilReady(G g) {
        boolean interrupted = false;
        while (g.state() == G.WAITING) {
            LockSupport.park(g);
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Yields g's continuation for the park or Gosched it has set up. Freezing the frames needs
     * heap; when the heap is full, the yield fails with an OutOfMemoryError before anything
     * else has seen the request, and g then parks on its carrier instead, as a pinned goroutine
     * does (a Gosched becomes a no-op).
     */
    private static void yieldOrPin(G g) {
        try {
            GCont.yieldCurrent();
        } catch (OutOfMemoryError e) {
            yieldPinned(g, "OOM");
        }
    }

    /**
     * Called from {@link GCont#onPinned} when a goroutine cannot yield: performs the requested
     * park on the carrier thread, with the P handed off first (Go's {@code entersyscallblock}),
     * and afterwards takes an idle P if there is one; without one the goroutine runs on without
     * a P until it next yields, when it goes to the global queue. Gosched is a no-op here.
     */
    static void yieldPinned(G g, String reason) {
        M m = g.m;
        int kind = g.yieldKind;
        g.yieldKind = Y_NONE;
        if (kind != Y_PARK) {
            return;
        }
        pinnedParks.incrementAndGet();
        P pp = m.p;
        if (pp != null) {
            m.p = null;
            if (pp.cas(m.pEpoch, P.USER, P.RUNNING)) {
                handoffp(pp);
            }
        }
        P oldp = m.oldp; // a park inside Go.blocking (leaveSyscall) left its P in the syscall state
        if (oldp != null) {
            m.oldp = null;
            if (oldp.cas(m.pEpoch, P.SYSCALL, P.RUNNING)) {
                handoffp(oldp);
            }
        }
        if (runCommit(g)) {
            g.parkedOn = m;
            if (g.casStatus(G.RUNNING, G.WAITING)) {
                parkUntilReady(g);
            }
        }
        toRunning(g);
        // Only once running: a dump takes a RUNNABLE goroutine without parkedOn for unmounted.
        g.parkedOn = null;
        acquireIdleP(m);
    }

    /** Takes an idle P for m if there is one; m then runs goroutine code (state USER). */
    private static void acquireIdleP(M m) {
        if (npidle == 0) {
            return;
        }
        P np;
        synchronized (lock) {
            np = pidleget();
        }
        if (np != null) {
            acquirep(m, np);
            np.setState(m.pEpoch, P.USER);
        }
    }

    /** Go's {@code entersyscall}: the P may be retaken by sysmon while {@code Go.blocking} runs. */
    private static void entersyscall(M m, G g) {
        P pp = m.p;
        // Without a P, m.oldp stays: a yield inside Go.blocking that the JVM pinned was a
        // no-op, and the P it left in the syscall state is still this M's to take back.
        if (pp != null) {
            m.oldp = null;
            pp.syscallTick();
            if (pp.cas(m.pEpoch, P.USER, P.SYSCALL)) {
                m.oldp = pp;
            }
            m.p = null;
        }
        for (;;) {
            int s = g.status;
            if (g.casStatus(s, G.SYSCALL | (s & G.WAKE))) {
                break;
            }
        }
    }

    /**
     * Go's {@code exitsyscall}: takes the old P back if sysmon has not, else an idle P, else
     * yields to the global queue (Go's {@code exitsyscall0}).
     */
    private static void exitsyscall(M m, G g) {
        toRunning(g);
        P oldp = m.oldp;
        m.oldp = null;
        if (oldp != null && oldp.cas(m.pEpoch, P.SYSCALL, P.USER)) {
            m.p = oldp;
            return;
        }
        acquireIdleP(m);
        if (m.p != null || g.lockedm != 0) {
            // Locked to this carrier (lockOSThread): run on without a P, as a pinned goroutine
            // does, rather than queue and resume on another carrier.
            return;
        }
        g.yieldKind = Y_EXITSYSCALL;
        GCont.yieldCurrent(); // if pinned, yieldPinned ignores it and we run on without a P
    }

    // ---------------------------------------------------------------- introspection

    /** Number of Ms on the idle list (tests). */
    static int idleMs() {
        synchronized (lock) {
            return nmidle;
        }
    }

    /** Snapshot of the scheduler's counters, for tests and dumps. */
    static String schedtrace() {
        StringBuilder sb = new StringBuilder();
        sb.append("SCHED gomaxprocs=").append(gomaxprocs)
          .append(" idleprocs=").append(npidle)
          .append(" threads=").append(mcount.get())
          .append(" spinningthreads=").append(nmspinning.get())
          .append(" needspinning=").append(needspinning ? 1 : 0)
          .append(" idlethreads=").append(nmidle)
          .append(" steals=").append(steals.get())
          .append(" mstarts=").append(mstarts.get())
          .append(" retakes=").append(Sysmon.retakes)
          .append(" runqueue=").append(runqsize)
          .append(" [");
        P[] ps = allp;
        for (int i = 0; i < ps.length; i++) {
            sb.append(i == 0 ? "" : " ").append(ps[i].runqsize());
        }
        sb.append(']');
        for (P pp : retiring) {
            if (pp.code() != P.DEAD) {
                sb.append(" retiring P").append(pp.id).append('=').append(pp.runqsize());
            }
        }
        return sb.toString();
    }
}
