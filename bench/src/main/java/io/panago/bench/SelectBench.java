package io.panago.bench;

import static io.panago.bench.ChanBenchSupport.BATCH;

import io.panago.Chan;
import io.panago.Go;
import io.panago.Select;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Two-case select: two producers each send on their own unbuffered channel, one consumer
 * selects over both; one operation is one value received. The JDK has no select: its
 * nearest idiom for merging two producers is one shared {@link SynchronousQueue}, measured
 * beside it, together with panago's own plain receive from one shared channel, which
 * shows what the select itself costs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ChanBenchSupport.EXPORTS, ChanBenchSupport.NATIVE})
@State(Scope.Benchmark)
public class SelectBench {
    private final Integer token = 1;
    private ChanBenchSupport.Driver select2;
    private ChanBenchSupport.Driver merged;
    private ChanBenchSupport.Driver vtMerged;

    /** Starts the consumers; producers are started per batch. */
    @Setup(Level.Trial)
    public void setUp() {
        Chan<Integer> a = Chan.make();
        Chan<Integer> b = Chan.make();
        Select sel = new Select();
        sel.recv(a);
        sel.recv(b);
        select2 = ChanBenchSupport.goroutine(n -> {
            produce(a, n / 2);
            produce(b, n - n / 2);
            for (int i = 0; i < n; i++) {
                sel.select();
            }
        });

        Chan<Integer> one = Chan.make();
        merged = ChanBenchSupport.goroutine(n -> {
            produce(one, n / 2);
            produce(one, n - n / 2);
            for (int i = 0; i < n; i++) {
                one.recv();
            }
        });

        SynchronousQueue<Integer> q = new SynchronousQueue<>();
        vtMerged = ChanBenchSupport.virtualThread(n -> {
            for (int k = 0; k < 2; k++) {
                int m = k == 0 ? n / 2 : n - n / 2;
                Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < m; i++) {
                        ChanBenchSupport.put(q, token);
                    }
                });
            }
            for (int i = 0; i < n; i++) {
                ChanBenchSupport.take(q);
            }
        });
    }

    private void produce(Chan<Integer> c, int m) {
        Go.go(() -> {
            for (int i = 0; i < m; i++) {
                c.send(token);
            }
        });
    }

    /** Stops the consumers. */
    @TearDown(Level.Trial)
    public void tearDown() {
        select2.close();
        merged.close();
        vtMerged.close();
    }

    /** A reused two-case select receiving from two producer goroutines. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void selectTwoPanago() {
        select2.run(BATCH);
    }

    /** Plain receive from one channel shared by two producer goroutines. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void sharedChanPanago() {
        merged.run(BATCH);
    }

    /** take() from one SynchronousQueue shared by two producer virtual threads. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void sharedVirtualSynchronousQueue() {
        vtMerged.run(BATCH);
    }
}
