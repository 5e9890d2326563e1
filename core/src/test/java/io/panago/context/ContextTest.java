package io.panago.context;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.ChanProbe;
import io.panago.RecvChan;
import io.panago.Select;
import io.panago.TestMode;
import io.panago.sync.WaitGroup;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Go's {@code context/context_test.go}. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ContextTest {

    private static final Context.Key<String> K1 = new Context.Key<>("k1");
    private static final Context.Key<String> K2 = new Context.Key<>("k2");

    private static boolean isClosed(RecvChan<Void> c) {
        Chan.Received<Void> r = c.tryRecv();
        return r != null && !r.ok();
    }

    @Test
    void backgroundIsNeverDone() {
        Context bg = Context.background();
        assertEquals("context.Background", bg.toString());
        assertEquals("context.TODO", Context.todo().toString());
        assertTrue(bg.deadline().isEmpty());
        assertNull(bg.err());
        assertSame(Chan.nil(), bg.done());
        assertNull(Context.cause(bg));
    }

    @Test
    void cancelClosesDoneAndSetsErr() {
        CancelContext c = Context.withCancel(Context.background());
        RecvChan<Void> done = c.done();
        assertFalse(isClosed(done));
        assertNull(c.err());
        c.cancel();
        assertTrue(isClosed(done));
        assertSame(Context.CANCELED, c.err());
        assertSame(Context.CANCELED, Context.cause(c));
        c.cancel(new RuntimeException("later causes are ignored"));
        assertSame(Context.CANCELED, Context.cause(c));
        assertEquals("context.Background.WithCancel", c.toString());
    }

    @Test
    void doneRequestedAfterCancelIsClosed() {
        CancelContext c = Context.withCancel(Context.background());
        c.close();
        assertTrue(isClosed(c.done()));
    }

    /** Go's TestWithCancel: cancelling a parent cancels its children, not vice versa. */
    @Test
    void parentCancelReachesChildrenButNotTheOtherWay() {
        CancelContext parent = Context.withCancel(Context.background());
        CancelContext a = Context.withCancel(parent);
        Context v = Context.withValue(a, K1, "x");
        CancelContext b = Context.withCancel(v);
        CancelContext sibling = Context.withCancel(parent);
        b.cancel();
        assertNull(a.err());
        assertNull(parent.err());
        assertFalse(((CancelCtx) a).hasChild((CancelCtx) b), "cancelled child still registered");
        parent.cancel();
        assertSame(Context.CANCELED, a.err());
        assertSame(Context.CANCELED, sibling.err());
        assertTrue(isClosed(sibling.done()));
        assertFalse(((CancelCtx) parent).hasChild((CancelCtx) sibling));
    }

    @Test
    void childOfDoneParentIsDoneAtOnce() {
        CancelContext parent = Context.withCancel(Context.background());
        parent.cancel(new IllegalStateException("why"));
        CancelContext child = Context.withCancel(Context.withValue(parent, K1, "v"));
        assertSame(Context.CANCELED, child.err());
        assertEquals("why", Context.cause(child).getMessage());
    }

    @Test
    void valuesAreFoundUpTheChainAndShadowed() {
        Context c1 = Context.withValue(Context.background(), K1, "c1k1");
        Context c2 = Context.withCancel(c1);
        Context c3 = Context.withValue(c2, K2, "c3k2");
        Context c4 = Context.withValue(c3, K1, "c4k1");
        assertEquals("c1k1", c3.value(K1));
        assertEquals("c3k2", c4.value(K2));
        assertEquals("c4k1", c4.value(K1));
        assertNull(c1.value(K2));
        assertNull(c4.value(new Context.Key<String>("k1")), "keys compare by identity");
    }

    @Test
    void withoutCancelKeepsValuesButNotCancellation() {
        CancelContext parent = Context.withTimeout(Context.withValue(Context.background(), K1, "v"), Duration.ofHours(1));
        Context detached = Context.withoutCancel(parent);
        CancelContext child = Context.withCancel(detached);
        parent.cancel();
        assertNull(detached.err());
        assertNull(child.err());
        assertTrue(detached.deadline().isEmpty());
        assertEquals("v", child.value(K1));
        assertNull(Context.cause(detached));
        child.cancel();
    }

    @Test
    void deadlineInThePastIsExceededAtOnce() {
        CancelContext c = Context.withDeadline(Context.background(), Instant.now().minusSeconds(1));
        assertSame(Context.DEADLINE_EXCEEDED, c.err());
        assertTrue(c.err().isTimeout());
        assertFalse(Context.CANCELED.isTimeout());
        assertFalse(((TimerCtx) c).holdsTimer());
    }

    @Test
    void laterDeadlineThanParentsIsJustACancelContext() {
        CancelContext parent = Context.withTimeout(Context.background(), Duration.ofSeconds(10));
        CancelContext child = Context.withTimeout(parent, Duration.ofSeconds(100));
        assertEquals(parent.deadline(), child.deadline());
        assertFalse(child instanceof TimerCtx);
        parent.cancel();
        assertSame(Context.CANCELED, child.err());
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void timeoutCancelsWithDeadlineExceededAndCause(TestMode mode) throws Exception {
        mode.run(() -> {
            IllegalStateException why = new IllegalStateException("too slow");
            CancelContext c = Context.withTimeoutCause(Context.background(), Duration.ofMillis(20), why);
            CancelContext child = Context.withCancel(c);
            assertTrue(c.deadline().isPresent());
            long t0 = System.nanoTime();
            child.done().recv();
            assertTrue(System.nanoTime() - t0 >= 15_000_000L);
            assertSame(Context.DEADLINE_EXCEEDED, c.err());
            assertSame(Context.DEADLINE_EXCEEDED, child.err());
            assertSame(why, Context.cause(child));
            // The timer function drops the timer after it has closed done (as Go's
            // timerCtx.cancel does), so a receiver on another carrier can get here first.
            long until = System.nanoTime() + 10_000_000_000L;
            while (((TimerCtx) c).holdsTimer() && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            assertFalse(((TimerCtx) c).holdsTimer(), "the fired timer was never dropped");
        });
    }

    @Test
    void cancelReleasesTheTimer() {
        CancelContext root = Context.withCancel(Context.background());
        CancelContext t = Context.withTimeout(root, Duration.ofHours(1));
        assertTrue(((TimerCtx) t).holdsTimer());
        root.cancel();
        assertFalse(((TimerCtx) t).holdsTimer());
        assertSame(Context.CANCELED, t.err());
    }

    /**
     * A tree of cancel, timeout and value contexts with a goroutine parked in a select on
     * every leaf; cancelling the root wakes them all with CANCELED, detaches every child
     * and releases every timer.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void treeCancelledFromTheRoot(TestMode mode) throws Exception {
        mode.run(() -> {
            CancelContext root = Context.withCancel(Context.background());
            List<Context> leaves = new ArrayList<>();
            List<CancelCtx> inner = new ArrayList<>();
            build(root, 3, leaves, inner);
            WaitGroup wg = new WaitGroup();
            AtomicInteger woke = new AtomicInteger();
            Chan<Integer> never = Chan.make();
            List<Chan<Void>> doneChans = new ArrayList<>();
            for (Context leaf : leaves) {
                wg.add(1);
                @SuppressWarnings("unchecked")
                Chan<Void> d = (Chan<Void>) leaf.done();
                doneChans.add(d);
                mode.go(() -> {
                    Select sel = new Select();
                    sel.recv(never);
                    var dc = sel.recv(d);
                    if (sel.select() == dc.index() && leaf.err() == Context.CANCELED) {
                        woke.incrementAndGet();
                    }
                    wg.done();
                });
            }
            until(() -> doneChans.stream().allMatch(d -> d.len() == 0 && isParkedOn(d)));
            root.cancel();
            wg.await();
            assertEquals(leaves.size(), woke.get());
            for (CancelCtx c : inner) {
                assertSame(Context.CANCELED, c.err());
                if (c instanceof TimerCtx t) {
                    assertFalse(t.holdsTimer());
                }
            }
            assertFalse(((CancelCtx) root).hasAnyChild());
        });
    }

    private static boolean isParkedOn(Chan<Void> d) {
        return ChanProbe.waitingReceivers(d) > 0;
    }

    private static void build(Context parent, int depth, List<Context> leaves, List<CancelCtx> inner) {
        if (depth == 0) {
            leaves.add(parent);
            return;
        }
        for (int i = 0; i < 3; i++) {
            Context c = switch (i) {
                case 0 -> Context.withCancel(parent);
                case 1 -> Context.withTimeout(parent, Duration.ofHours(1));
                default -> Context.withCancel(Context.withValue(parent, K1, "d" + depth));
            };
            inner.add((CancelCtx) c);
            build(c, depth - 1, leaves, inner);
        }
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void afterFuncRunsOnceInItsOwnGoroutineAfterCancel(TestMode mode) throws Exception {
        mode.run(() -> {
            CancelContext c = Context.withCancel(Context.background());
            Chan<Boolean> ran = Chan.make(2);
            AfterFunc af = Context.afterFunc(c, () -> ran.send(true));
            assertNull(ran.tryRecv());
            c.cancel();
            assertTrue(ran.recv());
            assertFalse(af.stop(), "stop after the function started");
            c.cancel();
            assertNull(ran.tryRecv());
        });
    }

    @Test
    void afterFuncStoppedBeforeCancelNeverRuns() throws Exception {
        CancelContext c = Context.withCancel(Context.background());
        Chan<Boolean> ran = Chan.make(1);
        AfterFunc af = Context.afterFunc(c, () -> ran.send(true));
        assertTrue(af.stop());
        assertFalse(af.stop());
        assertFalse(((CancelCtx) c).hasAnyChild(), "stopped after-func still registered");
        c.cancel();
        // Give a wrongly started function the chance to run: it must not.
        Thread.sleep(20);
        assertNull(ran.tryRecv());
    }

    /** The deadline's timer function cancels the tree and starts the after-funcs. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void afterFuncRunsWhenADeadlineExpires(TestMode mode) throws Exception {
        mode.run(() -> {
            CancelContext c = Context.withTimeout(Context.background(), Duration.ofMillis(5));
            Chan<ContextError> ran = Chan.make(1);
            Context.afterFunc(Context.withValue(c, K1, "v"), () -> ran.send(c.err()));
            assertSame(Context.DEADLINE_EXCEEDED, ran.recv());
        });
    }

    @Test
    void afterFuncOnDoneContextRunsAtOnce() {
        CancelContext c = Context.withCancel(Context.background());
        c.cancel();
        Chan<Boolean> ran = Chan.make(1);
        Context.afterFunc(c, () -> ran.send(true));
        assertTrue(ran.recv());
    }

    /**
     * Many goroutines derive, cancel and watch contexts of one parent while the parent is
     * cancelled: every context ends up done and none stays registered.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void concurrentDeriveAndCancelRacingWithParentCancel(TestMode mode) throws Exception {
        mode.run(() -> {
            for (int round = 0; round < (mode == TestMode.THREADS ? 20 : 100); round++) {
                CancelContext parent = Context.withCancel(Context.background());
                WaitGroup wg = new WaitGroup();
                int parties = 8;
                wg.add(parties);
                List<CancelContext> all = java.util.Collections.synchronizedList(new ArrayList<>());
                for (int p = 0; p < parties; p++) {
                    mode.go(() -> {
                        for (int i = 0; i < 50; i++) {
                            CancelContext c = ThreadLocalRandom.current().nextBoolean()
                                    ? Context.withCancel(parent)
                                    : Context.withTimeout(parent, Duration.ofMinutes(1));
                            all.add(c);
                            if (ThreadLocalRandom.current().nextBoolean()) {
                                c.cancel();
                            }
                        }
                        wg.done();
                    });
                }
                parent.cancel();
                wg.await();
                for (CancelContext c : all) {
                    assertNotNull(c.err());
                    assertTrue(isClosed(c.done()));
                }
                assertFalse(((CancelCtx) parent).hasAnyChild());
            }
        });
    }

    /**
     * Chains as deep as Go's growing stacks allow: cancelling the root of 100,000 nested
     * cancel contexts (with deadline and after-func ones among them) reaches the leaf, runs
     * the after-funcs, and leaves every lock free. It overflowed the stack at a few thousand,
     * with the locks on the path left held (a later Context.cause hung).
     */
    @Test
    void cancellingTheRootOfADeepChainReachesTheLeaf() throws Exception {
        int depth = 100_000;
        CancelContext root = Context.withCancel(Context.background());
        Context c = root;
        AtomicInteger afterFuncs = new AtomicInteger();
        List<CancelContext> timed = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            if (i % 10_000 == 0) {
                // each earlier than its parent's, or it would be a plain cancel context
                CancelContext t = Context.withTimeout(c, Duration.ofMinutes(60 - i / 10_000));
                timed.add(t);
                c = t;
                Context.afterFunc(c, afterFuncs::incrementAndGet);
            } else {
                c = Context.withCancel(c);
            }
        }
        Context leaf = c;
        assertTrue(leaf.deadline().isPresent());
        Throwable why = new IllegalStateException("shut down");
        root.cancel(why);
        assertSame(Context.CANCELED, leaf.err());
        assertSame(why, Context.cause(leaf));
        assertSame(why, Context.cause(root)); // the root's lock is free
        for (CancelContext t : timed) {
            assertFalse(((TimerCtx) t).holdsTimer(), "a deadline timer outlived its cancel");
        }
        until(() -> afterFuncs.get() == depth / 10_000, "after-funcs ran");
        assertFalse(((CancelCtx) root).hasAnyChild());
    }

    /** The same for a deep chain of values: deadline, done, err and value walk up without recursion. */
    @Test
    void aDeepChainOfValuesAnswersWithoutRecursion() throws Exception {
        int depth = 100_000;
        CancelContext root = Context.withTimeout(Context.background(), Duration.ofHours(1));
        Context.Key<Integer> k = new Context.Key<>("k");
        Context c = root;
        for (int i = 0; i < depth; i++) {
            c = i % 1_000 == 0 ? Context.withCancel(c) : Context.withValue(c, k, i);
        }
        Context leaf = c;
        assertEquals(depth - 1, leaf.value(k));
        assertEquals(root.deadline(), leaf.deadline());
        assertNull(leaf.err());
        RecvChan<Void> done = leaf.done();
        assertNotNull(done);
        Context child = Context.withCancel(leaf);
        assertEquals(depth - 1, child.value(k));
        root.cancel();
        assertSame(Context.CANCELED, child.err());
        assertSame(Context.CANCELED, leaf.err());
        assertTrue(isClosed(done));
    }

    /** Durations past what Instant holds saturate, as Go's time arithmetic: never, or now. */
    @Test
    void withTimeoutSaturatesHugeDurations() {
        CancelContext never = Context.withTimeout(Context.background(), Duration.ofSeconds(Long.MAX_VALUE));
        assertNull(never.err());
        assertTrue(never.deadline().isPresent());
        never.cancel();
        CancelContext past = Context.withTimeout(Context.background(), Duration.ofSeconds(Long.MIN_VALUE));
        assertSame(Context.DEADLINE_EXCEEDED, past.err());
    }
}
