package io.panago.bench;

import io.panago.Chan;
import io.panago.Go;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Skynet (github.com/atemerev/skynet): 1,000,000 tasks in a tree of fan-out 10, each leaf
 * returns its number and each inner task sums its ten children, results passed back over
 * unbuffered channels. panago: goroutines and {@link Chan}; peer: virtual threads and
 * {@link SynchronousQueue}, the JDK's rendezvous channel. One operation is a whole tree.
 * Go 1.19 on this kind of machine: ~520 ms; JDK 25 virtual threads ~1,130 ms.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 1, jvmArgsAppend = {ChanBenchSupport.EXPORTS, ChanBenchSupport.NATIVE, "-Xmx4g"})
@State(Scope.Benchmark)
public class SkynetBench {
    static final int SIZE = 1_000_000;
    static final int DIV = 10;
    static final long EXPECTED = (long) SIZE * (SIZE - 1) / 2;

    static void skynet(Chan<Long> c, long num, int size) {
        if (size == 1) {
            c.send(num);
            return;
        }
        Chan<Long> rc = Chan.make();
        int sub = size / DIV;
        for (int i = 0; i < DIV; i++) {
            long subNum = num + (long) i * sub;
            Go.go(() -> skynet(rc, subNum, sub));
        }
        long sum = 0;
        for (int i = 0; i < DIV; i++) {
            sum += rc.recv();
        }
        c.send(sum);
    }

    static void skynetVirtual(SynchronousQueue<Long> c, long num, int size) throws InterruptedException {
        if (size == 1) {
            c.put(num);
            return;
        }
        SynchronousQueue<Long> rc = new SynchronousQueue<>();
        int sub = size / DIV;
        for (int i = 0; i < DIV; i++) {
            long subNum = num + (long) i * sub;
            Thread.startVirtualThread(() -> {
                try {
                    skynetVirtual(rc, subNum, sub);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        long sum = 0;
        for (int i = 0; i < DIV; i++) {
            sum += rc.take();
        }
        c.put(sum);
    }

    /** The tree on goroutines and channels. */
    @Benchmark
    public long skynetPanago() throws Exception {
        long r = Go.run(() -> {
            Chan<Long> c = Chan.make();
            Go.go(() -> skynet(c, 0, SIZE));
            return c.recv();
        });
        if (r != EXPECTED) {
            throw new IllegalStateException("skynet sum " + r);
        }
        return r;
    }

    /** The tree on virtual threads and SynchronousQueues. */
    @Benchmark
    public long skynetVirtual() throws Exception {
        SynchronousQueue<Long> c = new SynchronousQueue<>();
        Thread.startVirtualThread(() -> {
            try {
                skynetVirtual(c, 0, SIZE);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        long r = c.take();
        if (r != EXPECTED) {
            throw new IllegalStateException("skynet sum " + r);
        }
        return r;
    }
}
