package io.panago.bench;

import io.panago.Chan;
import io.panago.Go;
import java.util.concurrent.SynchronousQueue;
import java.util.function.IntConsumer;

/**
 * Drives a benchmark body that runs in a goroutine (or, for the peers, a virtual thread)
 * from the JMH thread, one batch per invocation. The JMH thread hands over the batch
 * size and waits for the end: one thread wake-up per batch, amortised over the batch,
 * and the same for panago and its peers. Public for the benchmarks of {@code io.panago.bench.net}.
 */
public final class ChanBenchSupport {
    /** Operations per invocation: large enough to amortise the per-batch hand-over. */
    static final int BATCH = 10_000;

    /** The JVM flags a panago program runs with, for JMH's forked VMs. */
    public static final String EXPORTS = "--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED";
    /** The native-access flag a panago program runs with, for JMH's forked VMs. */
    public static final String NATIVE = "--enable-native-access=ALL-UNNAMED";

    private ChanBenchSupport() {}

    /** Runs batches of {@code body} in one long-lived goroutine or virtual thread. */
    public interface Driver extends AutoCloseable {
        /** Runs one batch of {@code n} operations and waits for it. */
        void run(int n);

        @Override
        void close();
    }

    /** A driver whose worker is a goroutine; hand-over over panago channels. */
    public static Driver goroutine(IntConsumer body) {
        Chan<Integer> start = Chan.make();
        Chan<Void> done = Chan.make();
        Go.go(() -> {
            for (Integer n : start) {
                body.accept(n);
                done.send(null);
            }
        });
        return new Driver() {
            @Override
            public void run(int n) {
                start.send(n);
                done.recv();
            }

            @Override
            public void close() {
                start.close();
            }
        };
    }

    /** A driver whose worker is a virtual thread; hand-over over SynchronousQueues. */
    public static Driver virtualThread(IntConsumer body) {
        SynchronousQueue<Integer> start = new SynchronousQueue<>();
        SynchronousQueue<Boolean> done = new SynchronousQueue<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                for (int n; (n = start.take()) >= 0; ) {
                    body.accept(n);
                    done.put(true);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return new Driver() {
            @Override
            public void run(int n) {
                try {
                    start.put(n);
                    done.take();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void close() {
                try {
                    start.put(-1);
                    t.join();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    /** Loops forever over {@code body} in a virtual thread until interrupted; for partners. */
    static Thread virtualLoop(InterruptibleBody body) {
        return Thread.ofVirtual().start(() -> {
            try {
                for (;;) {
                    body.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** A partner's step that may be interrupted. */
    @FunctionalInterface
    interface InterruptibleBody {
        void run() throws InterruptedException;
    }

    /** Puts without declaring InterruptedException, for lambdas of the peers. */
    static <T> void put(java.util.concurrent.BlockingQueue<T> q, T v) {
        try {
            q.put(v);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Takes without declaring InterruptedException, for lambdas of the peers. */
    static <T> T take(java.util.concurrent.BlockingQueue<T> q) {
        try {
            return q.take();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
