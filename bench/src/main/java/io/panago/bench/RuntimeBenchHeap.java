package io.panago.bench;

import io.panago.Chan;
import io.panago.Go;
import io.panago.runtime.G;
import io.panago.runtime.ParkCommit;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Heap cost of a parked goroutine against a parked virtual thread: parks {@code N} of each
 * (from a shallow frame with the bare park, and blocked in a receive on a shared unbuffered
 * channel / {@code SynchronousQueue.take}), and divides the growth of the used heap after full
 * GCs by {@code N}. Not a JMH benchmark: run it as
 * {@code java -XX:+UseSerialGC --add-exports=java.base/jdk.internal.vm=ALL-UNNAMED
 * --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar io.panago.bench.RuntimeBenchHeap [N]}
 * (the serial collector makes "used after a full GC" exact).
 */
public final class RuntimeBenchHeap {
    private static final ParkCommit STAY = (g, arg) -> true;

    private RuntimeBenchHeap() {
    }

    /** Used heap after the collector has settled. */
    static long usedHeap() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            Runtime rt = Runtime.getRuntime();
            used = Math.min(used, rt.totalMemory() - rt.freeMemory());
        }
        return used;
    }

    /** Runs {@code park} N times in new tasks started by {@code spawn}; returns bytes per parked task. */
    interface Scenario {
        /** Starts {@code n} tasks that count {@code parked} down and park; returns a way to end them. */
        Runnable start(int n, CountDownLatch parked);
    }

    static double measure(String name, int n, Scenario s) throws Exception {
        long before = usedHeap();
        CountDownLatch parked = new CountDownLatch(n);
        Runnable release = s.start(n, parked);
        parked.await();
        Thread.sleep(500); // the last ones get from the count-down into their park
        long after = usedHeap();
        double per = (after - before) / (double) n;
        System.out.printf("%-44s %8.0f bytes each%n", name, per);
        release.run();
        // Let every task of this scenario end before the next one takes its baseline.
        while (Go.numGoroutine() != 0) {
            Thread.sleep(10);
        }
        Thread.sleep(1500); // sysmon drops dead goroutines from the dump list within a second
        return per;
    }

    static void joinAll(List<Thread> ts) {
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = 5;
        Go.gomaxprocs(); // start the runtime outside the measurements
        String[] names = {"goroutine, Sched.gopark", "virtual thread, LockSupport.park",
            "goroutine, Chan.recv (shared unbuffered)", "virtual thread, SynchronousQueue.take"};
        Scenario[] scenarios = {RuntimeBenchHeap::goroutinesParked, RuntimeBenchHeap::virtualParked,
            RuntimeBenchHeap::goroutinesInRecv, RuntimeBenchHeap::virtualInTake};
        double[][] per = new double[scenarios.length][rounds];
        for (int round = 0; round < rounds; round++) {
            System.out.println(round == 0 ? "warm-up round (not counted):" : "round " + round + ":");
            for (int i = 0; i < scenarios.length; i++) {
                per[i][round] = measure(names[i], n, scenarios[i]);
            }
        }
        System.out.println("median of rounds 1-" + (rounds - 1) + ", " + n + " parked each:");
        for (int i = 0; i < scenarios.length; i++) {
            double[] r = java.util.Arrays.copyOfRange(per[i], 1, rounds);
            java.util.Arrays.sort(r);
            System.out.printf("%-44s %8.0f bytes each%n", names[i], (r[(r.length - 1) / 2] + r[r.length / 2]) / 2);
        }
    }

    static Runnable goroutinesParked(int k, CountDownLatch parked) {
        List<G> gs = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            Go.go(() -> {
                synchronized (gs) {
                    gs.add(Sched.getg());
                }
                parked.countDown();
                Sched.gopark(STAY, null, WaitReason.ZERO);
            });
        }
        return () -> {
            synchronized (gs) {
                gs.forEach(Sched::goready);
            }
        };
    }

    static Runnable virtualParked(int k, CountDownLatch parked) {
        List<Thread> ts = new ArrayList<>(k);
        AtomicBoolean go = new AtomicBoolean();
        for (int i = 0; i < k; i++) {
            ts.add(Thread.startVirtualThread(() -> {
                parked.countDown();
                while (!go.get()) {
                    LockSupport.park();
                }
            }));
        }
        return () -> {
            go.set(true);
            ts.forEach(LockSupport::unpark);
            joinAll(ts);
        };
    }

    static Runnable goroutinesInRecv(int k, CountDownLatch parked) {
        Chan<Integer> c = Chan.make();
        for (int i = 0; i < k; i++) {
            Go.go(() -> {
                parked.countDown();
                c.recv();
            });
        }
        return c::close;
    }

    static Runnable virtualInTake(int k, CountDownLatch parked) {
        SynchronousQueue<Integer> q = new SynchronousQueue<>();
        List<Thread> ts = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            ts.add(Thread.startVirtualThread(() -> {
                parked.countDown();
                try {
                    q.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        return () -> {
            ts.forEach(Thread::interrupt);
            joinAll(ts);
        };
    }
}
