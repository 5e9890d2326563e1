package io.panago.runtime;

import io.panago.PanicHandler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletionException;

/**
 * Uncaught throwables in goroutines (Go's runtime/panic.go). By default a panic is printed as
 * Go prints one (message, goroutine id, stack) and fails the goroutine's {@code Go.run} (or, once
 * that has returned, the innermost enclosing one still waiting); a
 * {@link PanicHandler} replaces both.
 */
public final class Panics {
    private static volatile PanicHandler handler;
    private static final VarHandle HANDLER;

    static {
        try {
            HANDLER = MethodHandles.lookup().findStaticVarHandle(Panics.class, "handler", PanicHandler.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Panics() {
    }

    /**
     * Loads the panic path (this class and {@link Traceback}) while the runtime starts. A panic
     * may come when nothing else works, the descriptor table full included, and loading a class
     * from a directory needs a descriptor: the first panic then threw NoClassDefFoundError out
     * of the goroutine's entry, killing its carrier with its P, and the run waited for ever.
     */
    static void link() {
        Traceback.link();
    }

    /**
     * Sets the handler (null restores the default); returns the previous one. For io.panago.Go.
     * One atomic swap: a read then a write let two racing calls return the same previous
     * handler, and a caller restoring it then dropped the other's.
     */
    public static PanicHandler setHandler(PanicHandler h) {
        return (PanicHandler) HANDLER.getAndSet(h);
    }

    /**
     * A goroutine's task threw {@code t}; runs on that goroutine, which then ends. Never throws:
     * anything thrown out of here would escape the continuation and kill its carrier, leaving
     * the goroutine counted and its {@code Go.run} waiting. A handler that throws (also one that
     * rethrows {@code t} to decline it) gets the default behaviour, with what it threw added as
     * suppressed unless that is {@code t} itself; a panic whose printing throws (its
     * {@code getMessage} does) is still reported and still fails the run, as Go's
     * {@code preprintpanics} reports "panic while printing panic value" and still dies.
     */
    static void gopanic(G g, Throwable t) {
        PanicHandler h = handler;
        if (h != null) {
            try {
                h.panicked(g.id, t);
                return;
            } catch (Throwable e) {
                if (e != t) {
                    try {
                        t.addSuppressed(e);
                    } catch (Throwable ignored) {
                        // no heap for the list: the panic itself still goes on
                    }
                }
            }
        }
        try {
            System.err.print(Traceback.panic(g.id, t));
            System.err.flush();
        } catch (Throwable e) {
            try {
                System.err.println("panic: " + t.getClass().getName()
                        + " [panic while printing panic value: " + e.getClass().getName() + "]");
                System.err.flush();
            } catch (Throwable ignored) {
                // stderr itself fails: the run still learns of the panic below
            }
        }
        // The innermost Go.run still waiting: one that has returned passes it to the run that
        // called it (a nested run's goroutine is a goroutine of the enclosing run too).
        for (RunRoot r = g.root; r != null && !r.finish(null, t); r = r.parent) {
            // next
        }
    }

    /** A timer function threw: report it like a panic; the scheduler carries on. */
    static void timerFailed(Throwable e) {
        report(e);
    }

    /**
     * An error escaped the scheduler's own code on an M, which goes on scheduling; a short nap
     * keeps an error that repeats from spinning a core.
     */
    static void schedulerFailed(Throwable e) {
        report(e);
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }

    /** Prints e as a panic of no goroutine; never throws (stderr or the heap may fail). */
    private static void report(Throwable e) {
        try {
            System.err.print(Traceback.panic(0, e));
            System.err.flush();
        } catch (Throwable ignored) {
            // nothing more can be done for it
        }
    }

    /** Rethrows an unchecked throwable as is; wraps a checked one in a CompletionException. */
    static RuntimeException rethrowable(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new CompletionException(t);
    }
}
