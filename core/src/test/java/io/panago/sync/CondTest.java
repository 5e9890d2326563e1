package io.panago.sync;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.panago.Chan;
import io.panago.TestMode;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Go's {@code sync/cond_test.go}. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CondTest {

    /** Go's TestCondSignal: each signal wakes exactly one waiter. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void signalWakesOneWaiter(TestMode mode) throws Exception {
        mode.run(() -> {
            Mutex m = new Mutex();
            Cond c = new Cond(m);
            int n = 2;
            Chan<Boolean> running = Chan.make(n);
            Chan<Boolean> awake = Chan.make(n);
            for (int i = 0; i < n; i++) {
                mode.go(() -> {
                    m.lock();
                    running.send(true);
                    c.await();
                    awake.send(true);
                    m.unlock();
                });
            }
            for (int i = 0; i < n; i++) {
                running.recv();
            }
            until(() -> c.parked() == n);
            for (int i = n; i > 0; i--) {
                assertNull(awake.tryRecv(), "goroutine not asleep");
                m.lock();
                c.signal();
                m.unlock();
                awake.recv();
                assertNull(awake.tryRecv(), "too many goroutines awake");
            }
            c.signal();
        });
    }

    /** Go's TestCondSignalGenerations: waiters wake in the order they began waiting. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void signalWakesInFifoOrder(TestMode mode) throws Exception {
        mode.run(() -> {
            Mutex m = new Mutex();
            Cond c = new Cond(m);
            int n = 20;
            Chan<Integer> running = Chan.make(n);
            Chan<Integer> awake = Chan.make(n);
            for (int i = 0; i < n; i++) {
                int me = i;
                mode.go(() -> {
                    m.lock();
                    running.send(me);
                    c.await();
                    awake.send(me);
                    m.unlock();
                });
                // Wait until it has taken its ticket (it does so before unlocking m).
                assertEquals(i, running.recv());
            }
            for (int i = 0; i < n; i++) {
                m.lock();
                c.signal();
                m.unlock();
                assertEquals(i, awake.recv());
            }
        });
    }

    /** Go's TestCondBroadcast: broadcast wakes every waiter. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void broadcastWakesEveryWaiter(TestMode mode) throws Exception {
        mode.run(() -> {
            Mutex m = new Mutex();
            Cond c = new Cond(m);
            int n = 50;
            int[] generation = {0};
            Chan<Integer> awake = Chan.make(n);
            for (int i = 0; i < n; i++) {
                mode.go(() -> {
                    m.lock();
                    int g = generation[0];
                    while (generation[0] == g) {
                        c.await();
                    }
                    m.unlock();
                    awake.send(1);
                });
            }
            until(() -> c.parked() == n);
            m.lock();
            generation[0]++;
            c.broadcast();
            m.unlock();
            for (int i = 0; i < n; i++) {
                awake.recv();
            }
        });
    }

    /** A signal between a waiter's ticket and its park is not lost. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void signalsRacingWithWaitersAreNotLost(TestMode mode) throws Exception {
        mode.run(() -> {
            Mutex m = new Mutex();
            Cond c = new Cond(m);
            int rounds = mode == TestMode.THREADS ? 500 : 5000;
            int[] tokens = {0};
            Chan<Boolean> done = Chan.make();
            mode.go(() -> {
                for (int i = 0; i < rounds; i++) {
                    m.lock();
                    while (tokens[0] == 0) {
                        c.await();
                    }
                    tokens[0]--;
                    m.unlock();
                }
                done.send(true);
            });
            for (int i = 0; i < rounds; i++) {
                m.lock();
                tokens[0]++;
                c.signal();
                m.unlock();
            }
            done.recv();
        });
    }
}
