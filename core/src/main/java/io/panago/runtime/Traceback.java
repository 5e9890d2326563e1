package io.panago.runtime;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Goroutine stacks as Go prints them (Go's runtime/traceback.go): the dump of every goroutine
 * ({@code runtime.Stack(buf, true)}, SIGQUIT) and the stack of a panic. Frames of the scheduler
 * below the goroutine's own code are left out.
 */
final class Traceback {
    private Traceback() {
    }

    /** Every live goroutine: "goroutine N [state]:", its frames, "created by goroutine M". */
    static String dump() {
        StringBuilder sb = new StringBuilder();
        G self = Sched.inGoroutine() ? Sched.getg() : null;
        List<G> all = AllGs.snapshot();
        all.sort(Comparator.comparingLong(g -> g.id));
        if (self != null) {
            appendGoroutine(sb, self, trim(new Throwable().getStackTrace(), 1), "running");
        }
        for (G g : all) {
            if (g != self) {
                appendOne(sb, g);
            }
        }
        return sb.toString();
    }

    private static void appendOne(StringBuilder sb, G g) {
        for (;;) {
            int s = g.status;
            int st = s & ~(G.WAKE | G.SCAN);
            if ((s & G.SCAN) != 0) {
                Thread.onSpinWait();
                continue;
            }
            if (st == G.DEAD) {
                return;
            }
            GCont c = g.cont;
            // Unmounted: parked or queued, but not parked on its carrier (a pinned or locked
            // goroutine, parkedOn set, stays mounted, also once readied and RUNNABLE until its
            // carrier marks it running; walking a mounted continuation gave no frames).
            if ((st == G.WAITING || st == G.RUNNABLE) && g.parkedOn == null && c != null) {
                if (!g.casStatus(s, s | G.SCAN)) {
                    continue;
                }
                if (g.parkedOn != null) {
                    // It ran and parked on its carrier meanwhile, back to the same status: the
                    // SCAN bit now holds it there, mounted, with parkedOn set (yieldPinned).
                    G.STATUS.getAndBitwiseAnd(g, ~G.SCAN);
                    continue;
                }
                String state = g.statusText();
                StackTraceElement[] frames;
                try {
                    frames = trim(c.stack(), 0);
                } finally {
                    G.STATUS.getAndBitwiseAnd(g, ~G.SCAN);
                }
                appendGoroutine(sb, g, frames, state);
                return;
            }
            // Mounted (running, in Go.blocking, or pinned on its carrier): the carrier's stack,
            // if the goroutine is still there when we have read it.
            M m = g.m;
            String state = g.statusText();
            StackTraceElement[] frames = m != null && m.curg == g ? m.getStackTrace() : null;
            if (frames != null && (m.curg != g)) {
                frames = null;
            }
            appendGoroutine(sb, g, frames == null ? null : ownFrames(frames), state);
            return;
        }
    }

    private static void appendGoroutine(StringBuilder sb, G g, StackTraceElement[] frames, String state) {
        sb.append("goroutine ").append(g.id).append(" [").append(state);
        if (g.lockedm > 0 || g.parkedOn != null) {
            sb.append(", locked to thread");
        }
        sb.append("]:\n");
        if (frames == null) {
            sb.append("\t(stack unavailable: it was being mounted or moved while read)\n");
        } else {
            for (StackTraceElement f : frames) {
                sb.append("\tat ").append(f).append('\n');
            }
        }
        if (g.parentId != 0) {
            sb.append("created by goroutine ").append(g.parentId).append('\n');
        }
        sb.append('\n');
    }

    /** Loads this class; see {@link Panics#link}. */
    static void link() {
    }

    /** Go's panic output: the message, then the goroutine and its stack. */
    static String panic(long goid, Throwable t) {
        StringWriter sw = new StringWriter();
        PrintWriter pw = new PrintWriter(sw);
        pw.print("panic: ");
        pw.println(t);
        pw.println();
        pw.print("goroutine ");
        pw.print(goid);
        pw.println(" [running]:");
        Set<Throwable> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            if (c != t) {
                pw.print("Caused by: ");
                pw.println(c);
            }
            for (StackTraceElement f : trim(c.getStackTrace(), 0)) {
                pw.print("\tat ");
                pw.println(f);
            }
            for (Throwable s : c.getSuppressed()) {
                pw.print("\tSuppressed: ");
                pw.println(s);
            }
        }
        pw.flush();
        return sw.toString();
    }

    /**
     * The goroutine's frames on its carrier's stack: those above {@code G.body}; null, printed
     * as unavailable, when there is no such frame (the carrier is mounting it or has just left
     * its code). Without this the whole carrier stack, scheduler frames and all, was printed as
     * the goroutine's; printing no frame at all looked like a goroutine with an empty stack.
     */
    private static StackTraceElement[] ownFrames(StackTraceElement[] carrier) {
        StackTraceElement[] own = trim(carrier, 0);
        return own.length == carrier.length ? null : own;
    }

    /**
     * Drops the first {@code skip} frames and everything from the runtime's goroutine entry
     * ({@code G.body}) down, which is the scheduler's, not the goroutine's.
     */
    static StackTraceElement[] trim(StackTraceElement[] frames, int skip) {
        int end = frames.length;
        for (int i = skip; i < frames.length; i++) {
            if (frames[i].getClassName().equals(G.class.getName()) && frames[i].getMethodName().equals("body")) {
                end = i;
                break;
            }
        }
        if (skip >= end) {
            return new StackTraceElement[0];
        }
        return java.util.Arrays.copyOfRange(frames, skip, end);
    }
}
