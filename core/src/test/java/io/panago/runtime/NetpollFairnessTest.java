package io.panago.runtime;

import io.panago.Go;
import io.panago.runtime.PollDescTest.EventFd;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

    private static void readyDescriptorsGetInWhileBusy(int procs) throws Exception {
        int old = Go.gomaxprocs(procs);
        int goroutinesBefore = Go.numGoroutine();
        Set<String> fdsBefore = BackendFds.openFds();
        int busy = 6, waiters = 8, rounds = 150;
        List<EventFd> fds = new ArrayList<>();
        List<PollDesc> pds = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch ended = new CountDownLatch(busy + waiters);
        Semaphore acks = new Semaphore(0);
        try {
            for (int i = 0; i < waiters; i++) {
                EventFd e = new EventFd();
                fds.add(e);
                pds.add(PollDesc.open(e.fd));
            }
            for (int i = 0; i < busy; i++) {
                Go.go(() -> {
                    while (!stop.get()) {
                        Go.yield();
                    }
                    ended.countDown();
                });
            }
            for (int i = 0; i < waiters; i++) {
                EventFd e = fds.get(i);
                PollDesc pd = pds.get(i);
                Go.go(() -> {
                    for (int r = 0; r < rounds; r++) {
                        assertEquals(PollDesc.OK, e.await(pd));
                        acks.release();
                    }
                    ended.countDown();
                });
            }
            long fair0 = Sched.fairPolls.get();
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int r = 0; r < rounds; r++) {
                for (EventFd e : fds) {
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
        } finally {
            stop.set(true);
            assertTrue(ended.await(20, TimeUnit.SECONDS), "goroutines did not end");
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
        // Counted down is not yet returned: wait for the exits, so that no later test counts
        // these goroutines in its own baseline.
        long end = System.nanoTime() + 10_000_000_000L;
        while (Go.numGoroutine() > goroutinesBefore && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertTrue(Go.numGoroutine() <= goroutinesBefore, "goroutines leaked\n" + Go.dump());
    }
}
