package io.panago.runtime;

import io.panago.PanicHandler;

import java.util.concurrent.CompletionException;

/**
 * Uncaught throwables in goroutines (Go's runtime/panic.go). By default a panic is printed as
 * Go prints one (message, goroutine id, stack) and fails the goroutine's {@code Go.run}; a
 * {@link PanicHandler} replaces both.
 */
public final class Panics {
    private static volatile PanicHandler handler;

    private Panics() {
    }

    /** Sets the handler (null restores the default); returns the previous one. For io.panago.Go. */
    public static PanicHandler setHandler(PanicHandler h) {
        PanicHandler old = handler;
        handler = h;
        return old;
    }

    /** A goroutine's task threw {@code t}; runs on that goroutine, which then ends. */
    static void gopanic(G g, Throwable t) {
        PanicHandler h = handler;
        if (h != null) {
            try {
                h.panicked(g.id, t);
                return;
            } catch (Throwable e) {
                t.addSuppressed(e);
            }
        }
        System.err.print(Traceback.panic(g.id, t));
        System.err.flush();
        RunRoot r = g.root;
        if (r != null) {
            r.finish(null, t);
        }
    }

    /** A timer function threw: report it like a panic; the scheduler carries on. */
    static void timerFailed(Throwable e) {
        System.err.print(Traceback.panic(0, e));
        System.err.flush();
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
