package io.panago.runtime;

import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * The one class that touches {@code jdk.internal.vm}: a goroutine's continuation. Everything
 * else (and every public signature) sees only {@link G}, so io.panago.net compiles and runs
 * without the add-exports flag that io.panago.core needs.
 */
final class GCont extends Continuation {
    private static final ContinuationScope SCOPE = new ContinuationScope("panago");

    private final G g;

    GCont(G g) {
        super(SCOPE, g::body);
        this.g = g;
    }

    /**
     * Called by {@link Continuation#yield} on the goroutine's own stack when it cannot be
     * frozen (a native frame, a critical section, a monitor where the VM cannot release it).
     * Instead of failing, the park happens on the carrier thread with the P handed off.
     */
    @Override
    protected void onPinned(Pinned reason) {
        Sched.yieldPinned(g, reason.name());
    }

    /** Yields the current goroutine's continuation; returns when it is resumed. */
    static void yieldCurrent() {
        Continuation.yield(SCOPE);
    }

    /** The stack of this unmounted continuation, innermost frame first. */
    StackTraceElement[] stack() {
        return getStackTrace();
    }
}
