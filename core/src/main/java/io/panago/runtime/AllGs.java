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
    /**
     * {@code Sched.goidgen} at the last sweep: ids handed out since then count the goroutines
     * added (a hint only; P's take ids in batches), with no shared write per spawn.
     */
    private static volatile long goidAtSweep;

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
    }

    private static volatile long lastSweep;

    /** Goroutines the last sweep kept: the length of its walk. */
    private static volatile long keptAtSweep;

    /**
     * True when enough goroutines were added that a sweep is worth its walk, or a second has
     * passed since the last one (so the dead of a burst do not wait for the next burst). "Enough"
     * grows with the live goroutines a sweep must walk, as a heap's GC trigger does: with a fixed
     * step, a million live goroutines cost sysmon a full walk every few thousand spawns.
     */
    static boolean sweepDue(long now) {
        long added = Sched.goidgen.get() - goidAtSweep;
        return added > Math.max(4096, keptAtSweep) || (added > 0 && now - lastSweep > 1_000_000_000L);
    }

    /** Unlinks dead goroutines. */
    static void sweep() {
        synchronized (SWEEP) {
            goidAtSweep = Sched.goidgen.get();
            lastSweep = Sched.nanotime();
            G prev = head;
            if (prev == null) {
                return;
            }
            long kept = 1;
            for (G cur = prev.alllink; cur != null; cur = cur.alllink) {
                if (cur.state() == G.DEAD) {
                    prev.alllink = cur.alllink;
                } else {
                    prev = cur;
                    kept++;
                }
            }
            keptAtSweep = kept;
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
