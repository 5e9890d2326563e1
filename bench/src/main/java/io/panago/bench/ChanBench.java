package io.panago.bench;

import static io.panago.bench.ChanBenchSupport.BATCH;

import io.panago.Chan;
import io.panago.Go;
import io.panago.runtime.G;
import io.panago.runtime.ParkCommit;
import io.panago.runtime.Sched;
import io.panago.runtime.WaitReason;
import java.util.concurrent.ArrayBlockingQueue;
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
 * Channel hand-off: panago goroutines over {@link Chan} against JDK virtual threads over
 * {@link SynchronousQueue} (rendezvous) and {@link ArrayBlockingQueue} (buffered), in
 * one run.
 *
 * <ul>
 *   <li>{@code pingPong*}: two parties bounce a value over two unbuffered channels; one
 *       operation is a round trip (two hand-offs, two parks). Go 1.19 on this kind of
 *       machine: ~236 ns.
 *   <li>{@code buffered16*}: a producer streams values through a 16-slot buffer to a
 *       consumer; one operation is one value.
 *   <li>{@code pingPongParkReadyFloor}: the same round trip with the runtime's bare
 *       gopark/goready and no channel: the floor the channel ping-pong stands on.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ChanBenchSupport.EXPORTS, ChanBenchSupport.NATIVE})
@State(Scope.Benchmark)
public class ChanBench {
    private final Integer token = 1;

    private ChanBenchSupport.Driver panagoPingPong;
    private Chan<Integer> ping;
    private Chan<Integer> pong;

    private ChanBenchSupport.Driver vtPingPong;
    private Thread vtPonger;

    private ChanBenchSupport.Driver parkReady;
    private volatile G floorPartner;

    private ChanBenchSupport.Driver panagoBuffered;
    private ChanBenchSupport.Driver vtBuffered;

    /** Starts the long-lived partners. */
    @Setup(Level.Trial)
    public void setUp() {
        ping = Chan.make();
        pong = Chan.make();
        Go.go(() -> {
            for (Integer v : ping) {
                pong.send(v);
            }
        });
        panagoPingPong = ChanBenchSupport.goroutine(n -> {
            for (int i = 0; i < n; i++) {
                ping.send(token);
                pong.recv();
            }
        });

        ParkCommit stay = (g, arg) -> true;
        Chan<G> partnerReady = Chan.make(1);
        Go.go(() -> {
            G driver = null;
            partnerReady.send(Sched.getg());
            for (;;) {
                Sched.gopark(stay, null, WaitReason.CHAN_RECEIVE);
                if (driver == null) {
                    driver = floorPartner;
                }
                Sched.goready(driver);
            }
        });
        G partner = partnerReady.recv();
        parkReady = ChanBenchSupport.goroutine(n -> {
            floorPartner = Sched.getg();
            for (int i = 0; i < n; i++) {
                Sched.goready(partner);
                Sched.gopark(stay, null, WaitReason.CHAN_RECEIVE);
            }
        });

        SynchronousQueue<Integer> vping = new SynchronousQueue<>();
        SynchronousQueue<Integer> vpong = new SynchronousQueue<>();
        vtPonger = ChanBenchSupport.virtualLoop(() -> vpong.put(vping.take()));
        vtPingPong = ChanBenchSupport.virtualThread(n -> {
            for (int i = 0; i < n; i++) {
                ChanBenchSupport.put(vping, token);
                ChanBenchSupport.take(vpong);
            }
        });

        panagoBuffered = ChanBenchSupport.goroutine(n -> {
            Chan<Integer> c = Chan.make(16);
            Chan<Void> drained = Chan.make();
            Go.go(() -> {
                for (int i = 0; i < n; i++) {
                    c.recv();
                }
                drained.send(null);
            });
            for (int i = 0; i < n; i++) {
                c.send(token);
            }
            drained.recv();
        });
        vtBuffered = ChanBenchSupport.virtualThread(n -> {
            ArrayBlockingQueue<Integer> q = new ArrayBlockingQueue<>(16);
            Thread consumer = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < n; i++) {
                    ChanBenchSupport.take(q);
                }
            });
            for (int i = 0; i < n; i++) {
                ChanBenchSupport.put(q, token);
            }
            try {
                consumer.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Stops the partners. */
    @TearDown(Level.Trial)
    public void tearDown() {
        panagoPingPong.close();
        ping.close();
        vtPingPong.close();
        vtPonger.interrupt();
        panagoBuffered.close();
        vtBuffered.close();
    }

    /** Unbuffered round trip between two goroutines. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pingPongPanago() {
        panagoPingPong.run(BATCH);
    }

    /** Round trip between two virtual threads over SynchronousQueues. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pingPongVirtualSynchronousQueue() {
        vtPingPong.run(BATCH);
    }

    /** The round trip with bare gopark/goready between two goroutines: no channel. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pingPongParkReadyFloor() {
        parkReady.run(BATCH);
    }

    /** One value through a 16-slot panago channel, producer and consumer goroutines. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void buffered16Panago() {
        panagoBuffered.run(BATCH);
    }

    /** One value through an ArrayBlockingQueue(16) between two virtual threads. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void buffered16VirtualArrayBlockingQueue() {
        vtBuffered.run(BATCH);
    }
}
