package io.panago.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under every continuation-based ping-pong: one operation is two bare
 * {@code jdk.internal.vm.Continuation} switches each way (run until it yields, twice), which is
 * what a round trip between two goroutines costs before any scheduling, on the benchmark's own
 * thread. {@code RuntimeBench.pingPongPanago} minus this is what panago's scheduler adds.
 * The continuation is reached through method handles, so this module compiles without the
 * add-exports flag; the fork gets it.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ChanBenchSupport.EXPORTS, ChanBenchSupport.NATIVE})
@State(Scope.Thread)
public class ContinuationFloorBench {
    private static final MethodHandle NEW_SCOPE, NEW_CONT, RUN, YIELD;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup(); // not publicLookup: the export is qualified
            Class<?> scope = Class.forName("jdk.internal.vm.ContinuationScope");
            Class<?> cont = Class.forName("jdk.internal.vm.Continuation");
            NEW_SCOPE = l.findConstructor(scope, MethodType.methodType(void.class, String.class))
                    .asType(MethodType.methodType(Object.class, String.class));
            NEW_CONT = l.findConstructor(cont, MethodType.methodType(void.class, scope, Runnable.class))
                    .asType(MethodType.methodType(Object.class, Object.class, Runnable.class));
            RUN = l.findVirtual(cont, "run", MethodType.methodType(void.class))
                    .asType(MethodType.methodType(void.class, Object.class));
            YIELD = l.findStatic(cont, "yield", MethodType.methodType(boolean.class, scope))
                    .asType(MethodType.methodType(boolean.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Object cont;

    /** A continuation that yields forever. */
    @Setup
    public void setup() throws Throwable {
        Object scope = (Object) NEW_SCOPE.invokeExact("floor");
        Runnable body = () -> {
            try {
                for (;;) {
                    boolean ignored = (boolean) YIELD.invokeExact(scope);
                }
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        };
        cont = (Object) NEW_CONT.invokeExact(scope, body);
    }

    /** Two mount/yield pairs: the switches of one goroutine round trip, with no scheduler. */
    @Benchmark
    public void roundTrip() throws Throwable {
        RUN.invokeExact(cont);
        RUN.invokeExact(cont);
    }
}
