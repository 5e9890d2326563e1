package io.panago.runtime;

import io.panago.Go;
import io.panago.runtime.PollDescTest.EventFd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Goroutines that never run dry keep every local run queue non-empty, so findRunnable never
 * reaches its own poll: descriptors that become ready must still get in through the busy
 * scheduler's non-blocking poll ({@code Sched.pollFair}), not wait for sysmon's, and no
 * wake-up may be lost on that path.
 */
class NetpollFairnessTest {

    @Test
    void readyDescriptorsGetInWhileTheRunQueueNeverEmptiesOneProc() throws Exception {
        readyDescriptorsGetInWhileBusy(1);
    }

    @Test
    void readyDescriptorsGetInWhileTheRunQueueNeverEmptiesTwoProcs() throws Exception {
        readyDescriptorsGetInWhileBusy(2);
    }

    /** What a waiter of {@link Busy#startWaiters} reports after each wait. */
    @FunctionalInterface
    private interface WaiterRun {
        void ran(int waiter, boolean pastStartUp);
    }

    /**
     * Descriptors to wait on and goroutines that never run dry (they only yield), at a given
     * GOMAXPROCS; {@link #close} stops and closes everything and checks nothing leaked.
     */
    private static final class Busy implements AutoCloseable {
        final List<EventFd> fds = new ArrayList<>();
        final List<PollDesc> pds = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final CountDownLatch ended;
        private final int old, goroutinesBefore;
        private final Set<String> fdsBefore;

        Busy(int procs, int busy, int waiters) throws Exception {
            this(procs, busy, waiters, 0, new AtomicLong());
        }

        /**
         * Each busy goroutine spins {@code sliceNanos} between yields (a bulk connection's run
         * of reads and writes up to its budget) and counts its runs in {@code busyRuns}.
         */
        Busy(int procs, int busy, int waiters, long sliceNanos, AtomicLong busyRuns) throws Exception {
            old = Go.gomaxprocs(procs);
            goroutinesBefore = Go.numGoroutine();
            fdsBefore = BackendFds.openFds();
            ended = new CountDownLatch(busy + waiters);
            for (int i = 0; i < waiters; i++) {
                EventFd e = new EventFd();
                fds.add(e);
                pds.add(PollDesc.open(e.fd));
            }
            for (int i = 0; i < busy; i++) {
                Go.go(() -> {
                    while (!stop.get()) {
                        long until = System.nanoTime() + sliceNanos;
                        while (sliceNanos > 0 && System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                        busyRuns.incrementAndGet();
                        Go.yield();
                    }
                    ended.countDown();
                });
            }
        }

        /**
         * Starts a goroutine per descriptor that waits on it until stopped; after each wait it
         * reports the run ({@code pastStartUp} false for its first three, the start-up burst),
         * counts it in {@code runs} and clears its flag in {@code pending}.
         */
        void startWaiters(AtomicLong runs, AtomicIntegerArray pending, WaiterRun onRun) {
            for (int i = 0; i < fds.size(); i++) {
                int k = i;
                EventFd e = fds.get(i);
                PollDesc pd = pds.get(i);
                Go.go(() -> {
                    int mine = 0;
                    while (e.await(pd) == PollDesc.OK && !stop.get()) {
                        onRun.ran(k, mine++ > 2);
                        runs.incrementAndGet();
                        pending.set(k, 0);
                    }
                    ended.countDown();
                });
            }
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            for (PollDesc pd : pds) {
                pd.evict(); // a waiter still parked ends with ERR_CLOSING
            }
            try {
                assertTrue(ended.await(20, TimeUnit.SECONDS), "goroutines did not end");
            } finally {
                for (PollDesc pd : pds) {
                    pd.close();
                }
                for (EventFd e : fds) {
                    e.close();
                }
                Go.gomaxprocs(old);
            }
            BackendFds.assertNoNewFds(fdsBefore, "descriptors leaked");
            assertEquals(0, Sched.netpoll.waiters.get());
            // Counted down is not yet returned: wait for the exits, so that no later test
            // counts these goroutines in its own baseline.
            long end = System.nanoTime() + 10_000_000_000L;
            while (Go.numGoroutine() > goroutinesBefore && System.nanoTime() < end) {
                Thread.sleep(1);
            }
            assertTrue(Go.numGoroutine() <= goroutinesBefore, "goroutines leaked\n" + Go.dump());
        }
    }

    private static void readyDescriptorsGetInWhileBusy(int procs) throws Exception {
        int waiters = 8, rounds = 150;
        Semaphore acks = new Semaphore(0);
        try (Busy b = new Busy(procs, 6, waiters)) {
            for (int i = 0; i < waiters; i++) {
                EventFd e = b.fds.get(i);
                PollDesc pd = b.pds.get(i);
                Go.go(() -> {
                    for (int r = 0; r < rounds && e.await(pd) == PollDesc.OK; r++) {
                        acks.release();
                    }
                    b.ended.countDown();
                });
            }
            long fair0 = Sched.fairPolls.get();
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int r = 0; r < rounds; r++) {
                for (EventFd e : b.fds) {
                    e.signal();
                    if (rnd.nextInt(4) == 0) {
                        LockSupport.parkNanos(rnd.nextInt(200_000)); // vary the interleaving
                    }
                }
                assertTrue(acks.tryAcquire(waiters, 20, TimeUnit.SECONDS),
                        "a ready descriptor's goroutine never ran (lost wake-up) in round " + r);
            }
            long fair = Sched.fairPolls.get() - fair0;
            // sysmon polls at most every 10 ms; a round takes about a millisecond through the
            // busy scheduler's poll, so without it nearly every round would wait for sysmon.
            assertTrue(fair >= rounds / 2, "only " + fair + " of " + rounds
                    + " rounds got in through the busy scheduler's poll");
        }
    }

    /**
     * Many descriptors kept ready from outside (each re-signalled once its goroutine has taken
     * the last signal, as a ping-pong client does) while two goroutines that never run dry keep
     * the local queue non-empty: what the busy scheduler's polls find must queue behind the
     * goroutines readied before them. Counted in runs, not time: between two runs of one
     * waiter, the others run about once each in a fair (FIFO) order; when fresh readiness
     * overtook goroutines that had overflowed to the global queue, those waited through
     * thousands of other runs (the 1,000-connection echo's 100 ms p99).
     *
     * <p>A gap across which sysmon retook the P says nothing about the queue's order, and is
     * left out: the retake means a carrier was off the CPU for 10 ms with a goroutine mounted
     * (the OS ran something else), and the P went on running the queue without that goroutine,
     * which then saw a queue's worth of runs per 10 ms it stayed off (a CI run on a loaded
     * machine: 2,098).
     */
    @Test
    void freshReadinessNeverOvertakesGoroutinesAlreadyQueued() throws Exception {
        int waiters = 400, runsPerWaiter = 30;
        AtomicLong seq = new AtomicLong();
        AtomicIntegerArray pending = new AtomicIntegerArray(waiters);
        long[] last = new long[waiters];
        long[] maxGap = new long[waiters];
        long[] lastRetakes = new long[waiters];
        int[] runs = new int[waiters];
        AtomicLong measured = new AtomicLong(), acrossRetakes = new AtomicLong();
        try (Busy b = new Busy(1, 2, waiters)) {
            for (int i = 0; i < waiters; i++) {
                int k = i;
                EventFd e = b.fds.get(i);
                PollDesc pd = b.pds.get(i);
                Go.go(() -> {
                    while (e.await(pd) == PollDesc.OK && !b.stop.get()) {
                        // Read on both sides, so that a retake anywhere between two runs'
                        // counts of this waiter is seen.
                        long retakesBefore = Sysmon.retakes;
                        long s = seq.incrementAndGet();
                        long retakesAfter = Sysmon.retakes;
                        if (runs[k]++ > 2) { // past the start-up burst
                            if (retakesAfter == lastRetakes[k]) {
                                maxGap[k] = Math.max(maxGap[k], s - last[k]);
                                measured.incrementAndGet();
                            } else {
                                acrossRetakes.incrementAndGet();
                            }
                        }
                        last[k] = s;
                        lastRetakes[k] = retakesBefore;
                        pending.set(k, 0);
                    }
                    b.ended.countDown();
                });
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (seq.get() < (long) waiters * runsPerWaiter) {
                assertTrue(System.nanoTime() < deadline, "only " + seq.get() + " runs in 60 s");
                for (int i = 0; i < waiters; i++) {
                    if (pending.compareAndSet(i, 0, 1)) {
                        b.fds.get(i).signal();
                    }
                }
                Thread.onSpinWait();
            }
            b.stop.set(true);
            long worst = 0;
            for (int i = 0; i < waiters; i++) {
                worst = Math.max(worst, maxGap[i]);
            }
            // Retakes are rare (none in most runs, a few beside two CPU hogs): nearly every gap
            // counts.
            assertTrue(measured.get() >= 20L * waiters, measured + " gaps measured, "
                    + acrossRetakes + " across a retake");
            // FIFO: one to two runs of every other waiter between two of one waiter's runs
            // (404-977 measured, 1,160 beside two CPU hogs); with the overtaking it was ~2,650.
            assertTrue(worst <= 4L * waiters, "a waiter saw " + worst + " other runs between two of"
                    + " its own (" + waiters + " waiters; fair is about " + waiters + "; "
                    + acrossRetakes + " gaps across a retake left out)");
        }
    }

    /**
     * The overtaking above, made certain instead of likely. One goroutine, alone on the only P,
     * spawns three local queues' worth of goroutines (all but the last queue's worth overflow
     * to the global queue), then makes descriptors ready and runs past the fair-poll period, so
     * that the next scheduling round's poll finds them while goroutines wait in the global
     * queue. Those must all have left the global queue before the first waiter runs, so at most
     * a local queue's worth of spawned goroutines can still be waiting then (Go's one-in-61
     * turn of the global queue may run a waiter ahead of those). With the finds queued locally,
     * a waiter ran first, ahead of all of them.
     */
    @Test
    void readinessFoundWhileTheGlobalQueueWaitsRunsBehindIt() throws Exception {
        // A carrier off the CPU for 10 ms (a loaded machine) lets sysmon poll first, or retake
        // the P and run the queue on a second M beside the spawner: such a round checks nothing
        // and is run again.
        boolean checked = false;
        for (int attempt = 0; attempt < 5 && !checked; attempt++) {
            checked = spawnPastTheLocalQueueThenReady();
        }
        assertTrue(checked, "in five attempts, no fair poll found the descriptors undisturbed");
    }

    /**
     * One round of the test above; true if a fair poll found the descriptors and sysmon took
     * no P meanwhile, and then the order was checked.
     */
    private static boolean spawnPastTheLocalQueueThenReady() throws Exception {
        int waiters = 8, spawned = 3 * P.RUNQ_SIZE;
        AtomicInteger spawnedRan = new AtomicInteger();
        AtomicInteger waitingAtFirstWaiter = new AtomicInteger(-1);
        CountDownLatch ran = new CountDownLatch(spawned + waiters);
        AtomicBoolean overflowed = new AtomicBoolean();
        long fair0 = Sched.fairPolls.get(), retakes0 = Sysmon.retakes;
        try (Busy b = new Busy(1, 0, waiters)) {
            b.startWaiters(new AtomicLong(), new AtomicIntegerArray(waiters), (k, pastStartUp) -> {
                waitingAtFirstWaiter.compareAndSet(-1, spawned - spawnedRan.get());
                ran.countDown();
            });
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (Sched.netpoll.waiters.get() < waiters) {
                assertTrue(System.nanoTime() < deadline, "the waiters never parked");
                Thread.sleep(1);
            }
            Go.go(() -> {
                for (int i = 0; i < spawned; i++) {
                    Go.go(() -> {
                        spawnedRan.incrementAndGet();
                        ran.countDown();
                    });
                }
                overflowed.set(Sched.runqsize >= spawned - P.RUNQ_SIZE - 1);
                // The M that was idle when this goroutine started may still block in the
                // poller, and would find the descriptors itself: wake it (it finds no P and
                // stops) so that the only poller left is this P's.
                Sched.netpoll.wakeup();
                while (Sched.lastpoll.get() == 0) {
                    Thread.onSpinWait();
                }
                for (EventFd e : b.fds) {
                    e.signal();
                }
                long until = System.nanoTime() + 2 * Sched.FAIR_POLL_NS;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait(); // the next round's poll is due
                }
            });
            assertTrue(ran.await(20, TimeUnit.SECONDS), "not everything ran");
            if (Sched.fairPolls.get() == fair0 || Sysmon.retakes != retakes0) {
                return false;
            }
            assertTrue(overflowed.get(), "the spawned goroutines did not overflow to the global queue");
            int waiting = waitingAtFirstWaiter.get();
            assertTrue(waiting <= P.RUNQ_SIZE + 1, "the first waiter ran while " + waiting + " of "
                    + spawned + " goroutines runnable before its descriptor was ready still waited;"
                    + " the local queue holds " + P.RUNQ_SIZE + " of them");
        }
        return true;
    }

    /**
     * The bulk echo's light connection. Goroutines that yield on their I/O budget go to the back
     * of the local queue, which so never empties, and the global queue gets one turn in 61
     * scheduling rounds. Readiness found while anything waits there (here: goroutines a plain
     * thread starts now and then) must still get in within about a round of the local queue,
     * not a turn in 61 each: once a fair poll queued its finds behind the global queue, every
     * later one did too, and a light connection waited hundreds of bulk runs (22-41 ms in the
     * echo benchmark) instead of a few. Counted in busy runs between two runs of a waiter.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void readinessFoundWhileTheGlobalQueueWaitsRunsWithinARoundOfTheLocalQueue(int procs) throws Exception {
        int waiters = 8, runsPerWaiter = 20, busy = 3;
        AtomicLong busyRuns = new AtomicLong();
        AtomicIntegerArray pending = new AtomicIntegerArray(waiters);
        long[] last = new long[waiters];
        List<Long> gaps = Collections.synchronizedList(new ArrayList<>());
        AtomicLong runs = new AtomicLong();
        AtomicLong spawned = new AtomicLong();
        try (Busy b = new Busy(procs, busy, waiters, 200_000, busyRuns)) {
            b.startWaiters(runs, pending, (k, pastStartUp) -> {
                long now = busyRuns.get();
                if (pastStartUp) {
                    gaps.add(now - last[k]);
                }
                last[k] = now;
            });
            long deadline = System.nanoTime() + 60_000_000_000L;
            long nextSpawn = 0;
            while (runs.get() < (long) waiters * runsPerWaiter) {
                assertTrue(System.nanoTime() < deadline, "only " + runs.get() + " runs in 60 s");
                for (int i = 0; i < waiters; i++) {
                    if (pending.compareAndSet(i, 0, 1)) {
                        b.fds.get(i).signal();
                    }
                }
                if (System.nanoTime() >= nextSpawn) {
                    // From a plain thread a new goroutine goes to the global queue.
                    Go.go(spawned::incrementAndGet);
                    nextSpawn = System.nanoTime() + 2_000_000;
                }
                Thread.onSpinWait();
            }
            b.stop.set(true);
            List<Long> sorted = new ArrayList<>(gaps);
            Collections.sort(sorted);
            long median = sorted.get(sorted.size() / 2);
            // A round of the local queue is the 3 busy goroutines plus the waiters, and a fair
            // poll comes every millisecond (5 busy runs of 200 us): about 10 busy runs (3-20
            // measured). With the finds behind the global queue it was 8 waiters x 61 rounds,
            // ~400, when the waiters got in at all (see the deadline above).
            assertTrue(median <= 60, "a waiter waited a median of " + median + " busy runs between"
                    + " two of its runs (fair is about 10): " + sorted);
        }
    }

    /**
     * Beside goroutines that give up their time slice every 20 us (bulk connections on their
     * I/O budget), a descriptor that becomes ready is found by the fair poll that comes within
     * 0.1 ms of a yield, not by the one a millisecond apart. Counted in busy runs from the
     * signal to the waiter's run: a median of 1-3 measured, 14-22 with the 1 ms period.
     */
    @Test
    void readinessBesideYieldingGoroutinesIsFoundWithinAFewOfTheirRuns() throws Exception {
        int waiters = 8, busy = 3;
        AtomicLong busyRuns = new AtomicLong();
        AtomicIntegerArray pending = new AtomicIntegerArray(waiters);
        long[] signalAt = new long[waiters];
        List<Long> delays = Collections.synchronizedList(new ArrayList<>());
        AtomicLong runs = new AtomicLong();
        try (Busy b = new Busy(1, busy, waiters, 20_000, busyRuns)) {
            b.startWaiters(runs, pending, (k, pastStartUp) -> {
                if (pastStartUp) {
                    delays.add(busyRuns.get() - signalAt[k]);
                }
            });
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (runs.get() < waiters * 40L) {
                assertTrue(System.nanoTime() < deadline, "only " + runs.get() + " runs in 60 s");
                for (int i = 0; i < waiters; i++) {
                    if (pending.get(i) == 0) {
                        LockSupport.parkNanos(50_000); // time for the waiter to park again
                        if (pending.compareAndSet(i, 0, 1)) {
                            signalAt[i] = busyRuns.get();
                            b.fds.get(i).signal();
                        }
                    }
                }
            }
            b.stop.set(true);
            List<Long> sorted = new ArrayList<>(delays);
            Collections.sort(sorted);
            long median = sorted.get(sorted.size() / 2);
            assertTrue(median <= 8, "a ready descriptor waited a median of " + median
                    + " busy runs of 20 us (a poll 0.1 ms after a yield: 1-3; 1 ms apart: ~20): "
                    + sorted);
        }
    }
}
