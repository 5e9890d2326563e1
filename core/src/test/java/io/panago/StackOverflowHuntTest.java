package io.panago;

import io.panago.context.CancelContext;
import io.panago.context.Context;
import io.panago.sync.Cond;
import io.panago.sync.Mutex;
import io.panago.sync.Semaphore;
import io.panago.time.Time;
import io.panago.time.Timer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A {@link StackOverflowError} can strike at any call, so also at a call inside one of the
 * runtime's short critical sections. Deep recursion that uses a channel, a select, a
 * semaphore, a condition variable, a timer or a context at each level overflows inside
 * such a section nearly every time (the section's calls are the deepest point of each
 * level). Each such error used to leave that object's lock held: every later use spun for
 * ever, carriers included. Each test overflows many times, from a goroutine and from a
 * plain thread, shifting where the overflow strikes, and after each overflow checks from a
 * fresh thread, within a bound, that the object still works and still keeps its order.
 */
class StackOverflowHuntTest {
    private static final int ROUNDS = 24;

    /** One level's use of the object under test; {@code level} counts from the top. */
    @FunctionalInterface
    private interface Op {
        void run(int level);
    }

    private static void pad(Op op, int n) {
        if (n > 0) {
            pad(op, n - 1);
        } else {
            down(op, 0);
        }
    }

    private static void down(Op op, int level) {
        op.run(level);
        down(op, level + 1);
    }

    /**
     * Overflows {@code rounds} times with {@code op} at each level, in a goroutine and on a
     * plain thread, {@code pad} extra frames first so the overflow falls at a different call
     * each time; after each overflow {@code check} must finish within 20 s on a new thread.
     */
    private static void hunt(Op op, Runnable check) throws Exception {
        hunt(ROUNDS, op, check);
    }

    private static void hunt(int rounds, Op op, Runnable check) throws Exception {
        for (int r = 0; r < rounds; r++) {
            int padding = r * 7 % 53;
            boolean inGoroutine = r % 2 == 0;
            Runnable overflow = () -> {
                try {
                    pad(op, padding);
                    fail("no StackOverflowError");
                } catch (StackOverflowError expected) {
                    // where it struck is the point of the test
                }
            };
            if (inGoroutine) {
                Go.run(overflow);
            } else {
                within("the overflow on a thread, round " + r, overflow);
            }
            within("the check after round " + r + (inGoroutine ? " (goroutine)" : " (thread)"), check);
        }
    }

    private static void within(String what, Runnable task) throws Exception {
        CompletableFuture<Void> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                task.run();
                f.complete(null);
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "overflow-hunt");
        t.setDaemon(true);
        t.start();
        try {
            f.get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(what + ": hung (a lock left held?)", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(what + ": " + e.getCause(), e.getCause());
        }
    }

    @Test
    void aBufferedChannelStaysUsableAndInOrder() throws Exception {
        Chan<Integer> ch = Chan.make(4);
        hunt(level -> {
            ch.trySend(level);
            ch.trySend(-level);
            ch.tryRecv();
            ch.tryRecv();
        }, () -> {
            while (ch.tryRecv() != null) {
                // drain what the overflowing side left
            }
            assertEquals(0, ch.len());
            for (int i = 0; i < 10; i++) {
                ch.send(i);
                ch.send(i + 100);
                assertEquals(i, ch.recv());
                assertEquals(i + 100, ch.recv());
            }
            assertEquals(0, ch.len());
        });
    }

    @Test
    void aSelectAndItsChannelsStayUsable() throws Exception {
        Chan<Integer> in = Chan.make();
        Chan<Integer> out = Chan.make();
        Select sel = new Select();
        Select.RecvCase<Integer> r = sel.recv(in);
        Select.SendCase<Integer> s = sel.send(out, 7);
        // Only runs that do not park: a goroutine that parks has its frames moved to the heap,
        // and its recursion then goes on far beyond the carrier's stack.
        hunt(level -> assertEquals(Select.DEFAULT, sel.trySelect()), () -> {
            Go.go(() -> in.send(5));
            assertEquals(r.index(), sel.select());
            assertEquals(5, r.value());
            Go.go(() -> assertEquals(7, out.recv()));
            assertEquals(s.index(), sel.select());
            assertFalse(in.trySend(1), "a stale sudog took a send");
        });
    }

    @Test
    void aSemaphoreStaysUsableAndCountsRight() throws Exception {
        Semaphore sem = new Semaphore(3);
        hunt(level -> {
            if (sem.tryAcquire(2)) {
                sem.release(2);
            }
        }, () -> {
            // 2 is right too: the overflow may strike at the call of release itself, after a
            // tryAcquire that took its 2 (the user's code then leaks them, as Go's would), or
            // inside tryAcquire after it took them. Any other count is a corrupt semaphore.
            long held = sem.held();
            assertTrue(held == 0 || held == 2, "held " + held);
            if (held == 2) {
                sem.release(2);
            }
            assertTrue(sem.tryAcquire(3));
            sem.release(3);
        });
    }

    @Test
    void aCondStaysUsable() throws Exception {
        Mutex mu = new Mutex();
        Cond cond = new Cond(mu);
        // Few rounds: each level throws, and filling in a deep stack's trace is slow.
        hunt(6, level -> {
            try {
                cond.await(); // not holding mu: its ticket is given up under the list's lock
                fail("await without the lock returned");
            } catch (IllegalStateException expected) {
                // fatal in Go; here it throws, and the ticket is forfeited
            }
            cond.signal();
        }, () -> {
            Chan<Boolean> woke = Chan.make(1);
            Go.go(() -> {
                mu.lock();
                try {
                    cond.await();
                } finally {
                    mu.unlock();
                }
                woke.send(true);
            });
            while (woke.tryRecv() == null) {
                cond.signal();
                Go.sleep(Duration.ofMillis(1));
            }
        });
    }

    @Test
    void aTimerStaysUsable() throws Exception {
        Timer t = Time.newTimer(Duration.ofHours(1));
        hunt(level -> {
            t.reset(Duration.ofHours(1));
            t.stop();
        }, () -> {
            t.stop();
            while (t.c().tryRecv() != null) {
                // a stale expiry, if any
            }
            t.reset(Duration.ofMillis(1));
            assertNotNull(t.c().recv());
        });
    }

    @Test
    void aContextTreeStaysUsable() throws Exception {
        CancelContext root = Context.withCancel(Context.background());
        hunt(level -> Context.withCancel(root).cancel(), () -> {
            CancelContext child = Context.withCancel(root);
            child.cancel();
            child.done().recv();
            assertNull(root.err());
        });
        CancelContext last = Context.withCancel(root);
        root.cancel();
        within("a cancel of the root", () -> last.done().recv());
    }
}
