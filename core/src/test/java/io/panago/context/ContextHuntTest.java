package io.panago.context;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.Go;
import io.panago.RecvChan;
import io.panago.Select;
import io.panago.TestMode;
import io.panago.sync.WaitGroup;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Bug hunt in io.panago.context: Go's context.go semantics not covered by ContextTest. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ContextHuntTest {

    private static final Context.Key<String> K = new Context.Key<>("k");

    private static boolean isClosed(RecvChan<Void> c) {
        Chan.Received<Void> r = c.tryRecv();
        return r != null && !r.ok();
    }

    /** Go: a cause given to the parent's cancel is every descendant's Cause, through values. */
    @Test
    void causeReachesGrandchildrenThroughValues() {
        CancelContext root = Context.withCancel(Context.background());
        Context v = Context.withValue(root, K, "x");
        CancelContext child = Context.withTimeout(v, Duration.ofHours(1));
        Context leaf = Context.withValue(Context.withCancel(child), K, "y");
        IOException why = new IOException("why");
        root.cancel(why);
        assertSame(why, Context.cause(leaf));
        assertSame(why, Context.cause(v));
        assertSame(Context.CANCELED, leaf.err());
        assertTrue(isClosed(leaf.done()));
        assertFalse(((TimerCtx) child).holdsTimer());
        // A later cancel of the child changes nothing.
        child.cancel(new IOException("late"));
        assertSame(why, Context.cause(child));
        assertEquals("y", leaf.value(K));
    }

    /** Go: WithoutCancel of a cancelled context: Done nil, Err nil, Cause nil, no deadline. */
    @Test
    void withoutCancelOfACancelledContext() {
        CancelContext p = Context.withTimeout(Context.withValue(Context.background(), K, "v"), Duration.ofHours(1));
        p.cancel(new IOException("c"));
        Context w = Context.withoutCancel(p);
        assertSame(Chan.nil(), w.done());
        assertNull(w.err());
        assertNull(Context.cause(w));
        assertTrue(w.deadline().isEmpty());
        assertEquals("v", w.value(K));
        CancelContext c = Context.withCancel(Context.withValue(w, K, "u"));
        assertNull(c.err());
        assertTrue(c.deadline().isEmpty());
        c.cancel();
        assertSame(Context.CANCELED, Context.cause(c));
    }

    /** Go: a deadline already passed with a cause: DeadlineExceeded, Cause is the cause. */
    @Test
    void pastDeadlineWithCause() {
        IOException why = new IOException("late");
        CancelContext c = Context.withDeadlineCause(Context.background(), Instant.now().minusSeconds(1), why);
        assertSame(Context.DEADLINE_EXCEEDED, c.err());
        assertSame(why, Context.cause(c));
        assertTrue(isClosed(c.done()));
        c.cancel(new IOException("other"));
        assertSame(why, Context.cause(c));
    }

    /** AfterFunc's stop racing cancellation: exactly one of "stopped" and "f ran". */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void afterFuncStopRacingCancelIsExclusive(TestMode mode) throws Exception {
        mode.run(() -> {
            for (int i = 0; i < 300; i++) {
                CancelContext ctx = Context.withCancel(Context.background());
                AtomicInteger ran = new AtomicInteger();
                Chan<Void> fDone = Chan.make();
                AfterFunc stop = Context.afterFunc(ctx, () -> {
                    ran.incrementAndGet();
                    fDone.close();
                });
                Chan<Void> start = Chan.make();
                Chan<Void> cancelled = Chan.make();
                mode.go(() -> {
                    start.recv();
                    ctx.cancel();
                    cancelled.close();
                });
                start.close();
                boolean stopped = stop.stop();
                cancelled.recv();
                if (stopped) {
                    assertFalse(stop.stop());
                    TestMode.sleep(Duration.ofMillis(1));
                    assertEquals(0, ran.get(), "f ran although stop returned true");
                } else {
                    Select sel = new Select();
                    var d = sel.recv(fDone);
                    assertEquals(d.index(), sel.select(Duration.ofSeconds(10)), "f never ran");
                    assertEquals(1, ran.get());
                }
                assertFalse(((CancelCtx) ctx).hasAnyChild(), "after-func context left registered");
            }
        });
    }

    /** Deadline children created while the parent is being cancelled: all done, no timer held. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void deadlineChildrenRacingParentCancelHoldNoTimer(TestMode mode) throws Exception {
        mode.run(() -> {
            for (int round = 0; round < 50; round++) {
                CancelContext parent = Context.withCancel(Context.background());
                List<CancelContext> kids = java.util.Collections.synchronizedList(new ArrayList<>());
                WaitGroup wg = new WaitGroup();
                for (int g = 0; g < 3; g++) {
                    wg.add(1);
                    mode.go(() -> {
                        for (int i = 0; i < 30; i++) {
                            kids.add(Context.withTimeout(parent, Duration.ofHours(1)));
                        }
                        wg.done();
                    });
                }
                parent.cancel();
                wg.await();
                for (CancelContext k : kids) {
                    assertSame(Context.CANCELED, k.err());
                    assertTrue(isClosed(k.done()));
                    assertFalse(((TimerCtx) k).holdsTimer(), "timer kept by a cancelled context");
                }
                assertFalse(((CancelCtx) parent).hasAnyChild());
            }
        });
    }

    /** A timeout fires for goroutines parked in a select on done, at GOMAXPROCS 1. */
    @Test
    void timeoutWakesEverySelectAtGomaxprocs1() throws Exception {
        int old = Go.gomaxprocs(1);
        try {
            Go.run(() -> {
                CancelContext ctx = Context.withTimeout(Context.background(), Duration.ofMillis(20));
                WaitGroup wg = new WaitGroup();
                AtomicInteger woke = new AtomicInteger();
                for (int i = 0; i < 50; i++) {
                    Context child = i % 2 == 0 ? Context.withCancel(ctx) : Context.withValue(ctx, K, "v");
                    wg.go(() -> {
                        Select sel = new Select();
                        var d = sel.recv(child.done());
                        if (sel.select(Duration.ofSeconds(10)) == d.index()
                                && child.err() == Context.DEADLINE_EXCEEDED) {
                            woke.incrementAndGet();
                        }
                    });
                }
                wg.await();
                assertEquals(50, woke.get());
            });
        } finally {
            Go.gomaxprocs(old);
        }
    }

    /**
     * Go's cancel holds a context's lock while it cancels that context's children, so when a
     * cancel function returns every descendant is done, even while another goroutine is
     * cancelling a middle context of the same tree at the same time.
     */
    @Test
    void cancelReturnsOnlyOnceEveryDescendantIsDone() throws Exception {
        int rounds = 300;
        int width = 200;
        int late = 0;
        for (int round = 0; round < rounds; round++) {
            CancelContext root = Context.withCancel(Context.background());
            CancelContext mid = Context.withCancel(root);
            List<Context> leaves = new ArrayList<>();
            for (int i = 0; i < width; i++) {
                leaves.add(Context.withCancel(mid));
            }
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            Thread other = Thread.ofPlatform().daemon().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                mid.cancel();
            });
            go.countDown();
            while (mid.err() == null) {
                Thread.onSpinWait();
            }
            root.cancel();
            for (Context leaf : leaves) {
                if (leaf.err() == null) {
                    late++;
                    break;
                }
            }
            other.join(10_000);
        }
        assertEquals(0, late, "rounds in which root.cancel() returned with a descendant not yet done");
    }
}
