package io.panago.runtime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A goroutine (Go's {@code g}), or the stand-in of a plain thread that uses the runtime.
 *
 * <p>Status values follow runtime2.go and are documented by who owns the goroutine's stack
 * while it is in that state. Every change is a CAS on {@link #status}. The {@link #WAKE} bit
 * may be added to RUNNABLE, RUNNING or SYSCALL: it records a {@code goready} that arrived before
 * the park it ends had committed, and it is consumed by that park.
 */
public final class G {
    /** Just allocated; owned by its creator, not yet visible to the scheduler. */
    static final int IDLE = 0;
    /** On a run queue, not running. The stack is owned by whoever dequeues it. */
    static final int RUNNABLE = 1;
    /** Running on an M, which owns the stack. Also a plain thread's stand-in while it runs. */
    static final int RUNNING = 2;
    /** In {@code Go.blocking}: running on an M that has given up its P. The M owns the stack. */
    static final int SYSCALL = 3;
    /**
     * Parked. Nobody owns the stack: the single {@code goready} that CASes WAITING to RUNNABLE
     * takes it (and queues the goroutine, or unparks the thread it waits on).
     */
    static final int WAITING = 4;
    /** Finished; the stack has been released. */
    static final int DEAD = 6;
    /** A wake-up arrived early (see the class comment); or-ed into RUNNABLE/RUNNING/SYSCALL. */
    static final int WAKE = 8;
    /**
     * Go's {@code _Gscan}: or-ed into WAITING or RUNNABLE while a goroutine dump reads the
     * unmounted stack. Whoever wants to change the status spins until it is cleared, so the
     * continuation is never mounted while it is walked.
     */
    static final int SCAN = 16;

    static final VarHandle STATUS;

    static {
        try {
            STATUS = MethodHandles.lookup().findVarHandle(G.class, "status", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final long id;
    /** The continuation running this goroutine; null for a stand-in, and once dead. */
    GCont cont;
    /** The stand-in's thread; null for a goroutine. */
    final Thread thread;
    /** Status word (see the constants); accessed through {@link #STATUS}. */
    volatile int status;

    /** The M running this goroutine; written by that M before it mounts the continuation. */
    M m;
    /** Link in the global run queue or a {@link GList}; owned by whoever holds the list. */
    G schedlink;
    /** What the goroutine wants from the scheduler when it yields (Sched.Y_*); owned by the stack's owner. */
    int yieldKind;
    ParkCommit waitCommit;
    Object waitArg;
    /**
     * Why it is parked. Plain: written before the park's yield, read by dumps under the SCAN
     * bit (whose CAS orders it) or racily for a running goroutine, where staleness is harmless.
     */
    WaitReason waitReason;
    /** A throwable thrown by the park's commit step, rethrown from {@code gopark}. */
    Throwable parkFailure;
    /**
     * The thread blocked for this G while it is WAITING: the stand-in's thread, or the carrier of
     * a pinned goroutine. Written before the CAS to WAITING, read by the goready after its CAS.
     */
    Thread parkedOn;

    /** Id of the goroutine that started this one, 0 if a plain thread did. */
    long parentId;
    /** The {@code Go.run} this goroutine belongs to (inherited by the goroutines it starts). */
    RunRoot root;
    /** The goroutine's code. */
    Runnable task;
    /** Link in the all-goroutines list ({@link AllGs}). */
    G alllink;
    /** Nesting depth of {@code lockOSThread}; owned by the goroutine itself. */
    int lockedm;
    /**
     * Nesting depth of {@code Go.blocking} (only the outermost call enters the syscall state);
     * 0 while a park or yield inside one has left that state. Owned by the goroutine itself.
     */
    int blockingDepth;
    /** The spare channel wait record (see {@link #acquireSudog}); owned by this goroutine. */
    private Object sudogCache;
    /** Lazily made timer of {@code Go.sleep}, and its deadline. */
    RTimer sleepTimer;
    long sleepWhen;

    G(long id, Runnable task, RunRoot root) {
        this.id = id;
        this.thread = null;
        this.task = task;
        this.root = root;
        this.cont = new GCont(this);
    }

    G(long id, Thread thread) {
        this.id = id;
        this.thread = thread;
        this.status = RUNNING;
    }

    /** The goroutine id (Go's goid): unique, greater than zero. Stand-ins have ids too. */
    public long id() {
        return id;
    }

    /** False for a plain thread's stand-in. */
    public boolean isGoroutine() {
        return thread == null;
    }

    /**
     * Takes this goroutine's spare wait record of the channel package, or null (Go's
     * {@code acquireSudog}, whose per-P cache is per goroutine here: a goroutine waits on one
     * plain send or receive at a time, so one spare saves the allocation of every later wait).
     * Only the goroutine itself (or the thread of a stand-in) may call it.
     */
    public Object acquireSudog() {
        Object s = sudogCache;
        sudogCache = null;
        return s;
    }

    /**
     * Keeps {@code s} as the spare (Go's {@code releaseSudog}). The caller must be this
     * goroutine, and no other thread may still reach {@code s}.
     */
    public void releaseSudog(Object s) {
        sudogCache = s;
    }

    boolean casStatus(int expect, int update) {
        return STATUS.compareAndSet(this, expect, update);
    }

    /** Status without the WAKE and SCAN bits. */
    int state() {
        return status & ~(WAKE | SCAN);
    }

    /** Body of the continuation: the task, with an escaping throwable turned into a panic. */
    void body() {
        try {
            task.run();
        } catch (Throwable t) {
            Panics.gopanic(this, t);
        }
    }

    /** Go's status name, as printed in goroutine dumps. */
    String statusText() {
        int s = state();
        return switch (s) {
            case IDLE -> "idle";
            case RUNNABLE -> "runnable";
            case RUNNING -> "running";
            case SYSCALL -> "syscall";
            case WAITING -> {
                WaitReason r = waitReason;
                yield r == null || r == WaitReason.ZERO ? "waiting" : r.toString();
            }
            case DEAD -> "dead";
            default -> "unknown " + s;
        };
    }

    /** "goroutine 7 [chan receive]", as Go prints it. */
    @Override
    public String toString() {
        return (thread == null ? "goroutine " : "thread-goroutine ") + id + " [" + statusText() + "]";
    }
}
