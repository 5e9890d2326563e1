package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * With GOMAXPROCS 1, a goroutine that keeps its carrier (plain blocking JDK code,
 * Go.blocking, a spinner) must not stop the others: sysmon hands the only P to another M.
 */
class SysmonHandoffTest {
    private static int oldProcs;

    @BeforeAll
    static void oneProc() {
        oldProcs = Go.gomaxprocs(1);
    }

    @AfterAll
    static void restore() {
        Go.gomaxprocs(oldProcs);
    }

    interface Stuck {
        void run() throws Exception;
    }

    /**
     * Runs {@code stuck} in a goroutine; once it is stuck, starts another goroutine that does a
     * little scheduler work. Returns {other's finish, stuck's finish} in nanotime.
     */
    private static long[] othersRunWhile(Stuck stuck) throws Exception {
        AtomicLong stuckDone = new AtomicLong();
        AtomicLong otherDone = new AtomicLong();
        long retakes0 = Sysmon.retakes;
        Go.run(() -> {
            G main = Sched.getg();
            G[] stuckG = new G[1];
            Go.go(() -> {
                stuckG[0] = Sched.getg();
                Sched.goready(main); // main can only run if the P leaves this carrier
                try {
                    stuck.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                stuckDone.set(Sched.nanotime());
                Sched.goready(main);
            });
            Sched.gopark((g, a) -> true, null, WaitReason.ZERO);
            Go.go(() -> {
                for (int i = 0; i < 100; i++) {
                    Go.yield();
                }
                Go.sleep(Duration.ofMillis(1));
                otherDone.set(Sched.nanotime());
                Sched.goready(main);
            });
            Sched.gopark((g, a) -> true, null, WaitReason.ZERO); // one of the two
            Sched.gopark((g, a) -> true, null, WaitReason.ZERO); // the other
            return null;
        });
        assertTrue(Sysmon.retakes > retakes0 || stuckDone.get() > otherDone.get(), "sysmon took no P");
        return new long[] {otherDone.get(), stuckDone.get()};
    }

    @Test
    void threadSleepInPlainCodeLeavesOthersRunning() throws Exception {
        long[] t = othersRunWhile(() -> Thread.sleep(500));
        assertTrue(t[0] < t[1], "the other goroutine finished only after Thread.sleep returned");
    }

    @Test
    void goBlockingLeavesOthersRunning() throws Exception {
        long[] t = othersRunWhile(() -> Go.blocking(() -> {
            Thread.sleep(500);
            return null;
        }));
        assertTrue(t[0] < t[1], "the other goroutine finished only after Go.blocking returned");
    }

    @Test
    void spinnerLeavesOthersRunning() throws Exception {
        long[] t = othersRunWhile(() -> {
            long end = System.nanoTime() + 1_000_000_000L;
            long x = 0;
            while (System.nanoTime() < end) {
                x++;
            }
            assertTrue(x > 0);
        });
        assertTrue(t[0] < t[1], "the other goroutine finished only after the spinner stopped");
    }

    /**
     * Two goroutines that ready each other hand the P over through runnext, and each hand-off
     * inherits the time slice, so only sysmon's retake ends it (Go preempts there). A goroutine
     * a plain thread readies waits in the global queue meanwhile; it must run after the first
     * retake. Without the pair's runnext going to the global queue at the retake, the new M took
     * runnext first, the slice went on, and sysmon retook the P again at its next look, 20 us
     * later: bursts of up to 13 retakes (each a hand-off of the P to another thread) before the
     * goroutine ran, and 3, 8 and 3 as this test's worst in three runs.
     */
    @Test
    void aPairHandingOffThroughRunnextLetsTheGlobalQueueInAtTheFirstRetake() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Chan<Integer> ping = Chan.make();
        Chan<Integer> pong = Chan.make();
        Chan<Long> in = Chan.make();
        Chan<Long> out = Chan.make(1);
        Go.go(() -> {
            for (Integer v : ping) {
                pong.send(v);
            }
        });
        Go.go(() -> {
            while (!stop.get()) {
                ping.send(1);
                pong.recv();
            }
            ping.close();
        });
        Go.go(() -> {
            for (Long before : in) {
                out.send(Sysmon.retakes - before); // retakes between the ready and this run
            }
        });
        long worst = 0;
        try {
            for (int i = 0; i < 20; i++) {
                in.send(Sysmon.retakes); // from this plain thread: to the global queue
                worst = Math.max(worst, out.recv());
            }
        } finally {
            stop.set(true);
            in.close();
        }
        assertTrue(worst <= 2, "a goroutine in the global queue waited for " + worst + " retakes");
    }

    /**
     * Back-to-back short Go.blocking calls keep the P without a new time slice (each call's
     * exit takes it straight back), and each of sysmon's looks finds a new call: as Go's,
     * sysmon still takes the P once the slice has lasted 10 ms, so a sleeper (a timer, with
     * no idle P to serve it) and a goroutine queued behind the caller run. A guard thread ends
     * the loop after 10 s; the sleeper must have woken long before.
     */
    @Test
    void backToBackBlockingCallsDoNotStarveTimersOrTheQueue() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean guardEnded = new AtomicBoolean();
        Thread guard = Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(10_000);
                guardEnded.set(!stop.getAndSet(true));
            } catch (InterruptedException e) {
                // the test is over
            }
        });
        boolean[] queuedRan = new boolean[1];
        Go.run(() -> {
            Chan<Void> looping = Chan.make(1);
            Chan<Void> loopDone = Chan.make(1);
            Go.go(() -> {
                looping.send(null);
                for (int i = 0; !stop.get(); i++) {
                    try {
                        Go.blocking(() -> {
                            Thread.sleep(1);
                            return null;
                        });
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    if (i == 20) {
                        Go.go(() -> queuedRan[0] = !stop.get()); // queued on the looping P
                    }
                }
                loopDone.send(null);
            });
            looping.recv();
            Go.sleep(Duration.ofMillis(10));
            for (int i = 0; i < 10 && !queuedRan[0]; i++) {
                Go.sleep(Duration.ofMillis(50));
            }
            stop.set(true);
            loopDone.recv();
            return null;
        });
        guard.interrupt();
        assertFalse(guardEnded.get(), "the sleeper woke only after the blocking loop was stopped");
        assertTrue(queuedRan[0], "the goroutine queued behind the blocking loop ran only after it");
    }

    @Test
    void blockingRunsOnWhenItsPWasTaken() throws Exception {
        // After the hand-off the stuck goroutine has no P; it must still finish its work and
        // be scheduled again afterwards.
        int r = Go.run(() -> {
            int v = Go.blocking(() -> {
                Thread.sleep(100);
                return 7;
            });
            for (int i = 0; i < 10; i++) {
                Go.yield();
            }
            Go.sleep(Duration.ofMillis(1));
            return v;
        });
        assertEquals(7, r);
        assertEquals(1, Go.gomaxprocs());
    }

    @Test
    void netpollWaiterRunsWhileASpinnerHoldsTheOnlyP() throws Exception {
        try (PollDescTest.EventFd efd = new PollDescTest.EventFd()) {
            PollDesc pd = PollDesc.open(efd.fd);
            try {
                AtomicLong woke = new AtomicLong();
                AtomicLong spinEnd = new AtomicLong();
                Go.run(() -> {
                    G main = Sched.getg();
                    Go.go(() -> {
                        assertEquals(PollDesc.OK, efd.await(pd));
                        woke.set(Sched.nanotime());
                        Sched.goready(main);
                    });
                    Go.sleep(Duration.ofMillis(20)); // the reader parks on epoll
                    Go.go(() -> {
                        long end = System.nanoTime() + 1_000_000_000L;
                        while (System.nanoTime() < end) {
                            Thread.onSpinWait();
                        }
                        spinEnd.set(Sched.nanotime());
                        Sched.goready(main);
                    });
                    Thread signaller = new Thread(() -> {
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        }
                        efd.signal();
                    });
                    signaller.start();
                    Sched.gopark((g, a) -> true, null, WaitReason.ZERO);
                    Sched.gopark((g, a) -> true, null, WaitReason.ZERO);
                    return null;
                });
                assertTrue(woke.get() < spinEnd.get(), "the reader waited for the spinner");
            } finally {
                pd.close();
            }
        }
    }
}
