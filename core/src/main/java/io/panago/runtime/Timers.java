package io.panago.runtime;

/**
 * The scheduler's timer heap (Go's per-P {@code timers}, runtime/time.go): a 4-ary min-heap
 * on {@link RTimer#when} under one lock.
 *
 * <p>One heap rather than Go's one per P: it keeps {@code stop}/{@code reset} simple (no
 * timer migrates between heaps), and the lock is held for a heap operation only, never while a
 * timer function runs. {@link #next} lets every scheduling round check for due timers with one
 * volatile read and no lock. If profiles ever show this lock, per-P heaps are the step after.
 */
final class Timers {
    static final Object LOCK = new Object();
    /** Earliest deadline, or Long.MAX_VALUE when no timer is armed; written under LOCK. */
    static volatile long next = Long.MAX_VALUE;

    private static RTimer[] heap = new RTimer[64];
    private static int size;

    private Timers() {
    }

    static void add(RTimer t) {
        if (size == heap.length) {
            heap = java.util.Arrays.copyOf(heap, size * 2);
        }
        heap[size] = t;
        t.index = size;
        size++;
        siftUp(t.index);
        next = heap[0].when;
    }

    static void remove(RTimer t) {
        int i = t.index;
        size--;
        RTimer last = heap[size];
        heap[size] = null;
        t.index = -1;
        if (i != size) {
            heap[i] = last;
            last.index = i;
            siftUp(i);
            siftDown(last.index);
        }
        next = size == 0 ? Long.MAX_VALUE : heap[0].when;
    }

    static void fix(RTimer t) {
        siftUp(t.index);
        siftDown(t.index);
        next = heap[0].when;
    }

    /** Number of armed timers (for dumps and tests). */
    static int count() {
        synchronized (LOCK) {
            return size;
        }
    }

    /**
     * Runs every timer due at {@code now} (Go's {@code runtimer} loop), each outside the lock.
     * A periodic timer is re-armed before its function runs, skipping periods it missed.
     */
    static void runDue(long now) {
        for (;;) {
            RTimer t;
            synchronized (LOCK) {
                if (size == 0 || heap[0].when > now) {
                    return;
                }
                t = heap[0];
                if (t.period > 0) {
                    long delta = now - t.when;
                    long w = t.when + t.period * (1 + delta / t.period);
                    t.when = w < t.when ? Long.MAX_VALUE : w; // overflow: never again
                    siftDown(0);
                    next = heap[0].when;
                } else {
                    remove(t);
                }
            }
            try {
                t.f.fire(t.arg, now);
            } catch (Throwable e) {
                if (t.period == 0) {
                    // Tried again 1 ms later, not lost (unless armed again meanwhile): a timer
                    // function fails for want of heap (a channel's Instant, a context's cancel,
                    // an afterFunc's goroutine), and timer functions tolerate a late second run,
                    // as they tolerate a fire that races a stop. Inline, with no call: under a
                    // full heap a first call of a method here failed too.
                    try {
                        synchronized (LOCK) {
                            if (t.index < 0) {
                                t.when = now + 1_000_000;
                                add(t);
                            }
                        }
                    } catch (Throwable again) {
                        // no heap even for that
                    }
                }
                Panics.timerFailed(e);
            }
        }
    }

    private static void siftUp(int i) {
        RTimer t = heap[i];
        long when = t.when;
        while (i > 0) {
            int p = (i - 1) / 4;
            if (when >= heap[p].when) {
                break;
            }
            heap[i] = heap[p];
            heap[i].index = i;
            i = p;
        }
        heap[i] = t;
        t.index = i;
    }

    private static void siftDown(int i) {
        RTimer t = heap[i];
        long when = t.when;
        for (;;) {
            int c = 4 * i + 1;
            if (c >= size) {
                break;
            }
            int best = c;
            int end = Math.min(c + 4, size);
            for (int j = c + 1; j < end; j++) {
                if (heap[j].when < heap[best].when) {
                    best = j;
                }
            }
            if (heap[best].when >= when) {
                break;
            }
            heap[i] = heap[best];
            heap[i].index = i;
            i = best;
        }
        heap[i] = t;
        t.index = i;
    }
}
