package io.panago.bench;

import static io.panago.bench.ChanBenchSupport.BATCH;

import io.panago.Go;
import io.panago.sync.Mutex;
import io.panago.sync.WaitGroup;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A contended lock: {@code parties} goroutines (or virtual threads) each take the lock,
 * bump a shared counter and release it, with a little private work between (Go's
 * {@code BenchmarkMutexWork} shape); one operation is one lock/unlock pair. panago's
 * {@link Mutex} against {@link ReentrantLock} on virtual threads.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ChanBenchSupport.EXPORTS, ChanBenchSupport.NATIVE})
@State(Scope.Benchmark)
public class SyncBench {
    /** Contending parties. */
    @Param({"4"})
    public int parties;

    /** Iterations of private work between critical sections. */
    @Param({"0", "100"})
    public int work;

    private long counter;
    private ChanBenchSupport.Driver panago;
    private ChanBenchSupport.Driver vt;

    /** Starts the drivers. */
    @Setup(Level.Trial)
    public void setUp() {
        Mutex mu = new Mutex();
        panago = ChanBenchSupport.goroutine(n -> {
            WaitGroup wg = new WaitGroup();
            int each = n / parties;
            for (int p = 0; p < parties; p++) {
                wg.add(1);
                Go.go(() -> {
                    long local = 1;
                    for (int i = 0; i < each; i++) {
                        mu.lock();
                        counter++;
                        mu.unlock();
                        local = spin(local, work);
                    }
                    sink(local);
                    wg.done();
                });
            }
            wg.await();
        });
        ReentrantLock lock = new ReentrantLock();
        vt = ChanBenchSupport.virtualThread(n -> {
            CountDownLatch all = new CountDownLatch(parties);
            int each = n / parties;
            for (int p = 0; p < parties; p++) {
                Thread.ofVirtual().start(() -> {
                    long local = 1;
                    for (int i = 0; i < each; i++) {
                        lock.lock();
                        counter++;
                        lock.unlock();
                        local = spin(local, work);
                    }
                    sink(local);
                    all.countDown();
                });
            }
            try {
                all.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static long spin(long x, int iterations) {
        for (int i = 0; i < iterations; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
        }
        return x;
    }

    private volatile long sinkhole;

    private void sink(long v) {
        sinkhole = v;
    }

    /** Stops the drivers. */
    @TearDown(Level.Trial)
    public void tearDown() {
        panago.close();
        vt.close();
    }

    /** panago Mutex contended by goroutines. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void mutexPanago() {
        panago.run(BATCH);
    }

    /** ReentrantLock contended by virtual threads. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void reentrantLockVirtual() {
        vt.run(BATCH);
    }
}
