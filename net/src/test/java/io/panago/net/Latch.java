package io.panago.net;

import io.panago.runtime.G;
import io.panago.runtime.ParkCommit;
import io.panago.runtime.RTimer;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A count-down latch that parks goroutines (and blocks plain threads) through the runtime, so
 * tests can join goroutines without pinning a carrier in {@code CountDownLatch.await}. A
 * timed await lets a test fail with what went wrong instead of hanging.
 */
final class Latch {
    private int count;
    private final List<Waiter> waiters = new ArrayList<>();

    Latch(int count) {
        this.count = count;
    }

    /** One parked caller; whoever moves it out of WAITING first (count-down or timer) readies it. */
    private static final class Waiter {
        static final int WAITING = 0, PARKED = 1, DONE = 2;
        final G g = Sched.getg();
        final AtomicInteger state = new AtomicInteger();

        void wake() {
            if (state.getAndSet(DONE) == PARKED) {
                Sched.goready(g);
            }
        }
    }

    private static final ParkCommit COMMIT =
            (g, arg) -> ((Waiter) arg).state.compareAndSet(Waiter.WAITING, Waiter.PARKED);

    void countDown() {
        List<Waiter> wake;
        synchronized (this) {
            if (count == 0 || --count > 0) {
                return;
            }
            wake = new ArrayList<>(waiters);
            waiters.clear();
        }
        wake.forEach(Waiter::wake);
    }

    /** Parks until the count reaches zero. */
    void await() {
        if (!await(null)) {
            throw new AssertionError("unreachable: untimed await timed out");
        }
    }

    /** Parks until the count reaches zero (true) or {@code timeout} passes (false). */
    boolean await(Duration timeout) {
        Waiter w = new Waiter();
        synchronized (this) {
            if (count == 0) {
                return true;
            }
            waiters.add(w);
        }
        RTimer t = null;
        if (timeout != null) {
            t = new RTimer((arg, now) -> ((Waiter) arg).wake(), w);
            t.reset(Sched.nanotime() + timeout.toNanos(), 0);
        }
        Sched.gopark(COMMIT, w, WaitReason.SEMACQUIRE);
        if (t != null) {
            t.stop();
        }
        synchronized (this) {
            waiters.remove(w);
            return count == 0;
        }
    }

    synchronized int count() {
        return count;
    }
}
