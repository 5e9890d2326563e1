package io.panago.net;

import io.panago.runtime.G;
import io.panago.runtime.ParkCommit;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;

import java.util.ArrayList;
import java.util.List;

/**
 * A count-down latch that parks goroutines (and blocks plain threads) through the runtime, so
 * tests can join goroutines without pinning a carrier in {@code CountDownLatch.await}.
 */
final class Latch {
    private int count;
    private final List<G> waiters = new ArrayList<>();

    Latch(int count) {
        this.count = count;
    }

    void countDown() {
        List<G> wake;
        synchronized (this) {
            if (count == 0 || --count > 0) {
                return;
            }
            wake = new ArrayList<>(waiters);
            waiters.clear();
        }
        wake.forEach(Sched::goready);
    }

    private static final ParkCommit COMMIT = (g, arg) -> ((Latch) arg).stillWaiting(g);

    private synchronized boolean stillWaiting(G g) {
        if (count == 0) {
            return false;
        }
        waiters.add(g);
        return true;
    }

    /** Parks until the count reaches zero. */
    void await() {
        for (;;) {
            synchronized (this) {
                if (count == 0) {
                    return;
                }
            }
            Sched.gopark(COMMIT, this, WaitReason.SEMACQUIRE);
        }
    }

    synchronized int count() {
        return count;
    }
}
