package io.panago.runtime;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@code Go.run}: the caller parks on it until the main goroutine returns or a goroutine of
 * its tree panics, whichever comes first. Goroutines inherit the root of the goroutine that
 * started them. Public only as a handle that {@link Sched#currentRun()} gives out and
 * {@link Sched#newproc(Runnable, RunRoot)} takes back; it has no public members.
 */
public final class RunRoot {
    static final ParkCommit COMMIT = (g, arg) -> true;

    final G waiter;
    /**
     * The run of the goroutine that called this {@code Go.run} (null from a plain thread): a
     * goroutine of this tree that panics after this run has ended fails that run instead, as it
     * too started the goroutine, indirectly ({@link Panics#gopanic}).
     */
    final RunRoot parent;
    private final AtomicBoolean done = new AtomicBoolean();
    volatile Object result;
    volatile Throwable failure;

    RunRoot(G waiter, RunRoot parent) {
        this.waiter = waiter;
        this.parent = parent;
    }

    /** Ends the wait with a result or a failure; only the first call counts. */
    boolean finish(Object r, Throwable f) {
        if (!done.compareAndSet(false, true)) {
            return false;
        }
        result = r;
        failure = f;
        Sched.goready(waiter);
        return true;
    }

    boolean isDone() {
        return done.get();
    }
}
