package io.panago.runtime;

import io.panago.PanicHandler;

import java.io.PrintWriter;
import java.io.StringWriter;
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
        System.err.print(format(g.id, t));
        System.err.flush();
        RunRoot r = g.root;
        if (r != null) {
            r.finish(null, t);
        }
    }

    /** Go's panic output: the message, then the goroutine and its stack. */
    static String format(long goid, Throwable t) {
        StringWriter sw = new StringWriter();
        PrintWriter pw = new PrintWriter(sw);
        pw.print("panic: ");
        pw.println(t);
        pw.println();
        pw.print("goroutine ");
        pw.print(goid);
        pw.println(" [running]:");
        t.printStackTrace(pw);
        pw.flush();
        return sw.toString();
    }

    /** A timer function threw: report it like a panic; the scheduler carries on. */
    static void timerFailed(Throwable e) {
        System.err.print(format(0, e));
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
