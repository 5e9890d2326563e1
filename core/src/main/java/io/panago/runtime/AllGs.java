package io.panago.runtime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Every goroutine (Go's {@code allgs}), for goroutine dumps.
 *
 * <h2>Implementation overview</h2>
 * A singly linked list through {@link G#alllink}. Spawning pushes at the head by CAS (a G is
 * fully linked before it is published). Dead Gs are unlinked lazily by one sweeper at a time
 * (sysmon, or a dump) under {@link #SWEEP}: the sweeper only rewrites {@code alllink} of nodes
 * behind the head it started from and never removes that head, while pushers only write their
 * own node and the head, so the two never write the same field.
 */
final class AllGs {
    private static final VarHandle HEAD;
    private static final Object SWEEP = new Object();

    static {
        try {
            HEAD = MethodHandles.lookup().findStaticVarHandle(AllGs.class, "head", G.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through HEAD
    private static volatile G head;
    /** Goroutines added since the last sweep (racy counter, a hint only). */
    private static volatile long addedSinceSweep;

    private AllGs() {
    }

    static void add(G g) {
        for (;;) {
            G h = head;
            g.alllink = h;
            if (HEAD.compareAndSet(h, g)) {
                break;
            }
        }
        addedSinceSweep++;
    }

    private static volatile long lastSweep;

    /**
     * True when enough goroutines were added that a sweep is worth its walk, or a second has
     * passed since the last one (so the dead of a burst do not wait for the next burst).
     */
    static boolean sweepDue(long now) {
        long added = addedSinceSweep;
        return added > 4096 || (added > 0 && now - lastSweep > 1_000_000_000L);
    }

    /** Unlinks dead goroutines. */
    static void sweep() {
        synchronized (SWEEP) {
            addedSinceSweep = 0;
            lastSweep = Sched.nanotime();
            G prev = head;
            if (prev == null) {
                return;
            }
            for (G cur = prev.alllink; cur != null; cur = cur.alllink) {
                if (cur.state() == G.DEAD) {
                    prev.alllink = cur.alllink;
                } else {
                    prev = cur;
                }
            }
        }
    }

    /** The live goroutines, newest first. */
    static List<G> snapshot() {
        synchronized (SWEEP) {
            sweep();
            List<G> out = new ArrayList<>();
            for (G g = head; g != null; g = g.alllink) {
                if (g.state() != G.DEAD) {
                    out.add(g);
                }
            }
            return out;
        }
    }
}
