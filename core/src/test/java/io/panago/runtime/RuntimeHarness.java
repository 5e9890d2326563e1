package io.panago.runtime;

import io.panago.Go;
import io.panago.PanicHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared by the scheduler's hunt tests: each test restores GOMAXPROCS, and fails if it left a
 * goroutine behind or one panicked; {@link #within} turns a hang into a failure with a dump.
 */
abstract class RuntimeHarness {
    private int oldProcs;
    private int baseline;
    private final List<Throwable> panics = new CopyOnWriteArrayList<>();
    private PanicHandler prevHandler;

    @BeforeEach
    void recordBaseline() {
        oldProcs = Go.gomaxprocs();
        baseline = Go.numGoroutine();
        prevHandler = Go.setPanicHandler((id, t) -> panics.add(t));
    }

    @AfterEach
    void checkNothingLeft() throws Exception {
        Go.setPanicHandler(prevHandler);
        Go.gomaxprocs(oldProcs);
        long end = System.nanoTime() + 5_000_000_000L;
        while (Go.numGoroutine() > baseline && System.nanoTime() < end) {
            Thread.sleep(1);
        }
        assertTrue(Go.numGoroutine() <= baseline, "goroutines left: " + Go.numGoroutine()
                + " > " + baseline + "\n" + Go.dump());
        assertTrue(panics.isEmpty(), "panics: " + panics);
    }

    /** Go.run(main) on a plain thread, failing with a dump if it takes longer than ms. */
    static <T> T within(long ms, Callable<T> main) throws Exception {
        FutureTask<T> run = new FutureTask<>(() -> Go.run(main));
        Thread.ofPlatform().daemon().start(run);
        try {
            return run.get(ms, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("hangs after " + ms + " ms\n" + Sched.schedtrace() + "\n" + Go.dump(), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw (Error) e.getCause();
        }
    }

    /** l.await(ms), false on timeout. */
    static boolean await(CountDownLatch l, long ms) {
        try {
            return l.await(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
