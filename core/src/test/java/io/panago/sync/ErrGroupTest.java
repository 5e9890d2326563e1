package io.panago.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Chan;
import io.panago.TestMode;
import io.panago.context.Context;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code golang.org/x/sync/errgroup}'s behaviour as a structured scope. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ErrGroupTest {

    /** A null task is refused at the call; with a limit, it takes no slot. */
    @org.junit.jupiter.api.Test
    void aNullTaskIsRefused() throws Exception {
        ErrGroup g = new ErrGroup();
        g.setLimit(1);
        assertEquals("task", assertThrows(NullPointerException.class, () -> g.go(null)).getMessage());
        assertEquals("task", assertThrows(NullPointerException.class, () -> g.tryGo(null)).getMessage());
        assertTrue(g.tryGo(() -> { }));
        g.await();
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void awaitWaitsForEveryChild(TestMode mode) throws Exception {
        mode.run(() -> {
            AtomicInteger done = new AtomicInteger();
            try (ErrGroup g = new ErrGroup()) {
                for (int i = 0; i < 50; i++) {
                    g.go(done::incrementAndGet);
                }
                g.await();
                assertEquals(50, done.get());
                // Await cancels the group's context once everyone is done, as in Go.
                assertSame(Context.CANCELED, g.context().err());
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void firstFailureCancelsTheOthersAndIsRethrown(TestMode mode) throws Exception {
        mode.run(() -> {
            IOException boom = new IOException("boom");
            AtomicInteger cancelled = new AtomicInteger();
            try (ErrGroup g = ErrGroup.withContext(Context.background())) {
                Context ctx = g.context();
                for (int i = 0; i < 5; i++) {
                    g.go(() -> {
                        ctx.done().recv();
                        cancelled.incrementAndGet();
                        throw ctx.err();
                    });
                }
                g.go(() -> {
                    throw boom;
                });
                assertSame(boom, assertThrows(IOException.class, g::await));
                assertEquals(5, cancelled.get());
                assertSame(boom, Context.cause(ctx));
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void parentCancellationReachesTheChildren(TestMode mode) throws Exception {
        mode.run(() -> {
            try (var parent = Context.withCancel(Context.background()); ErrGroup g = ErrGroup.withContext(parent)) {
                g.go(() -> g.context().done().recv());
                parent.cancel();
                g.await();
                assertSame(Context.CANCELED, g.context().err());
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void limitBoundsConcurrentChildren(TestMode mode) throws Exception {
        mode.run(() -> {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger peak = new AtomicInteger();
            Chan<Void> gate = Chan.make();
            try (ErrGroup g = new ErrGroup()) {
                g.setLimit(3);
                for (int i = 0; i < 3; i++) {
                    g.go(() -> {
                        peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                        gate.recv();
                        running.decrementAndGet();
                    });
                }
                assertFalse(g.tryGo(() -> {}));
                assertThrows(IllegalStateException.class, () -> g.setLimit(5));
                gate.close();
                for (int i = 0; i < 20; i++) {
                    g.go(() -> {
                        peak.accumulateAndGet(running.incrementAndGet(), Math::max);
                        io.panago.runtime.Sched.gosched();
                        running.decrementAndGet();
                    });
                }
                g.await();
                assertTrue(peak.get() <= 3, "peak " + peak.get());
                assertTrue(g.tryGo(() -> {}));
                g.await();
            }
        });
    }

    /**
     * As x/sync's SetLimit: removing the limit is always allowed, and children started with no
     * limit do not count against setting one; children under a limit do.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void setLimitCountsOnlyChildrenStartedUnderALimit(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Void> gate = Chan.make();
            try (ErrGroup g = new ErrGroup()) {
                g.go(gate::recv);                      // no limit yet
                g.setLimit(-1);
                g.setLimit(2);                         // the unlimited child does not count
                g.go(gate::recv);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.setLimit(4));
                assertEquals("errgroup: modify limit while 1 goroutines in the group are still active",
                        e.getMessage());
                g.setLimit(-1);                        // allowed while limited children run
                assertTrue(g.tryGo(gate::recv));
                gate.close();
                g.await();
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void closeCancelsAndWaitsWhenTheBodyFails(TestMode mode) throws Exception {
        mode.run(() -> {
            AtomicInteger finished = new AtomicInteger();
            ErrGroup[] scope = new ErrGroup[1];
            assertThrows(IllegalStateException.class, () -> {
                try (ErrGroup g = new ErrGroup()) {
                    scope[0] = g;
                    for (int i = 0; i < 4; i++) {
                        g.go(() -> {
                            g.context().done().recv();
                            finished.incrementAndGet();
                        });
                    }
                    throw new IllegalStateException("body failed");
                }
            });
            assertEquals(4, finished.get());
            assertSame(Context.CANCELED, scope[0].context().err());
        });
    }
    /** A failure no await() reported is thrown by close, not dropped; one await() saw is not. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void closeThrowsAFailureNoAwaitReported(TestMode mode) throws Exception {
        mode.run(() -> {
            IllegalArgumentException boom = new IllegalArgumentException("boom");
            Chan<Void> failed = Chan.make();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
                try (ErrGroup g = new ErrGroup()) {
                    g.go(() -> {
                        failed.close();
                        throw boom;
                    });
                    failed.recv();
                    g.context().done().recv(); // the failure is recorded before the close
                }
            });
            assertSame(boom, e.getCause());
            assertTrue(e.getMessage().contains("boom"), e.getMessage());

            // Left by an exception: the group's failure rides along, suppressed.
            IllegalStateException body = new IllegalStateException("body");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> {
                try (ErrGroup g = new ErrGroup()) {
                    g.go(() -> {
                        throw boom;
                    });
                    g.context().done().recv();
                    throw body;
                }
            });
            assertSame(body, thrown);
            assertEquals(1, thrown.getSuppressed().length);
            assertSame(boom, thrown.getSuppressed()[0].getCause());

            // Reported by await(): close adds nothing.
            try (ErrGroup g = new ErrGroup()) {
                g.go(() -> {
                    throw boom;
                });
                assertSame(boom, assertThrows(IllegalArgumentException.class, g::await));
            }
        });
    }

    /** Children that fail because the close cancelled them are no failure of the group. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void failuresTheCloseCausesAreNotThrown(TestMode mode) throws Exception {
        mode.run(() -> {
            AtomicInteger failedAfterClose = new AtomicInteger();
            try (ErrGroup g = new ErrGroup()) {
                for (int i = 0; i < 4; i++) {
                    g.go(() -> {
                        g.context().done().recv();
                        failedAfterClose.incrementAndGet();
                        throw new IOException("cancelled: " + g.context().err());
                    });
                }
            }
            assertEquals(4, failedAfterClose.get());
        });
    }
}
