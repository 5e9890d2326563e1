package io.panago.bench;

import static io.panago.bench.ChanBenchSupport.BATCH;

import io.panago.Go;
import io.panago.runtime.G;
import io.panago.runtime.ParkCommit;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
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
 * The scheduler's own costs, panago goroutines against JDK virtual threads in one run. Each
 * body runs in a long-lived goroutine or virtual thread and does a batch of 10,000 operations
 * per invocation (see {@link ChanBenchSupport}); the score is per operation.
 *
 * <ul>
 *   <li>{@code spawnJoin*}: start a goroutine / virtual thread that counts itself down, and
 *       wait for the whole batch: one operation is one spawned and finished task. Go 1.19 on
 *       this kind of machine: ~175 ns.
 *   <li>{@code pingPong*}: two parties wake each other with the runtime's bare park/ready
 *       ({@code gopark}/{@code goready}; {@code LockSupport.park}/{@code unpark} with a turn
 *       flag for virtual threads): one operation is a round trip, two parks.
 *   <li>{@code yield*}: {@code Go.yield()} / {@code Thread.yield()} in a loop while a second
 *       party on the same processor yields too: one operation is one yield.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ChanBenchSupport.EXPORTS, ChanBenchSupport.NATIVE})
@State(Scope.Benchmark)
public class RuntimeBench {
    private static final ParkCommit STAY = (g, arg) -> true;

    private ChanBenchSupport.Driver panagoSpawn;
    private ChanBenchSupport.Driver vtSpawn;
    private ChanBenchSupport.Driver panagoPingPong;
    private ChanBenchSupport.Driver vtPingPong;
    private ChanBenchSupport.Driver panagoYield;
    private ChanBenchSupport.Driver vtYield;

    /** Starts the long-lived drivers. */
    @Setup(Level.Trial)
    public void setUp() {
        panagoSpawn = ChanBenchSupport.goroutine(n -> {
            G self = Sched.getg();
            AtomicInteger left = new AtomicInteger(n);
            Runnable task = () -> {
                if (left.decrementAndGet() == 0) {
                    Sched.goready(self);
                }
            };
            for (int i = 0; i < n; i++) {
                Go.go(task);
            }
            Sched.gopark(STAY, null, WaitReason.SYNC_WAITGROUP_WAIT);
        });
        vtSpawn = ChanBenchSupport.virtualThread(n -> {
            Thread self = Thread.currentThread();
            AtomicInteger left = new AtomicInteger(n);
            Runnable task = () -> {
                if (left.decrementAndGet() == 0) {
                    LockSupport.unpark(self);
                }
            };
            for (int i = 0; i < n; i++) {
                Thread.startVirtualThread(task);
            }
            while (left.get() != 0) {
                LockSupport.park();
            }
        });

        panagoPingPong = ChanBenchSupport.goroutine(n -> {
            G self = Sched.getg();
            G[] partner = new G[1];
            Go.go(() -> {
                partner[0] = Sched.getg();
                Sched.goready(self);
                for (int i = 0; i < n; i++) {
                    Sched.gopark(STAY, null, WaitReason.CHAN_RECEIVE);
                    Sched.goready(self);
                }
            });
            Sched.gopark(STAY, null, WaitReason.CHAN_RECEIVE); // partner known
            G p = partner[0];
            for (int i = 0; i < n; i++) {
                Sched.goready(p);
                Sched.gopark(STAY, null, WaitReason.CHAN_RECEIVE);
            }
        });
        vtPingPong = ChanBenchSupport.virtualThread(n -> {
            Thread self = Thread.currentThread();
            Turn turn = new Turn();
            Thread partner = Thread.startVirtualThread(() -> {
                for (int i = 0; i < n; i++) {
                    while (turn.value != 1) {
                        LockSupport.park();
                    }
                    turn.value = 0;
                    LockSupport.unpark(self);
                }
            });
            for (int i = 0; i < n; i++) {
                turn.value = 1;
                LockSupport.unpark(partner);
                while (turn.value != 0) {
                    LockSupport.park();
                }
            }
        });

        panagoYield = ChanBenchSupport.goroutine(n -> {
            G self = Sched.getg();
            Go.go(() -> {
                for (int i = 0; i < n; i++) {
                    Go.yield();
                }
                Sched.goready(self);
            });
            for (int i = 0; i < n; i++) {
                Go.yield();
            }
            Sched.gopark(STAY, null, WaitReason.SYNC_WAITGROUP_WAIT);
        });
        vtYield = ChanBenchSupport.virtualThread(n -> {
            Thread other = Thread.startVirtualThread(() -> {
                for (int i = 0; i < n; i++) {
                    Thread.yield();
                }
            });
            for (int i = 0; i < n; i++) {
                Thread.yield();
            }
            try {
                other.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Hand-off flag of the virtual-thread ping-pong. */
    private static final class Turn {
        volatile int value;
    }

    /** Stops the drivers. */
    @TearDown(Level.Trial)
    public void tearDown() {
        panagoSpawn.close();
        vtSpawn.close();
        panagoPingPong.close();
        vtPingPong.close();
        panagoYield.close();
        vtYield.close();
    }

    /** Spawn a goroutine that finishes at once; join the batch. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void spawnJoinPanago() {
        panagoSpawn.run(BATCH);
    }

    /** Start a virtual thread that finishes at once; join the batch. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void spawnJoinVirtual() {
        vtSpawn.run(BATCH);
    }

    /** Round trip between two goroutines with gopark/goready. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pingPongPanago() {
        panagoPingPong.run(BATCH);
    }

    /** Round trip between two virtual threads with LockSupport.park/unpark. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pingPongVirtual() {
        vtPingPong.run(BATCH);
    }

    /** Go.yield() beside a second yielding goroutine. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void yieldPanago() {
        panagoYield.run(BATCH);
    }

    /** Thread.yield() in a virtual thread beside a second yielding one. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void yieldVirtual() {
        vtYield.run(BATCH);
    }
}
