package io.panago.runtime;

import io.panago.Go;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Parks that cannot yield. A native frame on the stack (here: libc's qsort calling back into
 * Java) pins the continuation; the park then blocks the carrier with the P handed off.
 * Monitors held across a park: see {@link MonitorAcrossParkTest}.
 */
class PinningTest {
    private static int oldProcs;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle QSORT = LINKER.downcallHandle(
            LINKER.defaultLookup().find("qsort").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS));
    private static final FunctionDescriptor CMP = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS.withTargetLayout(ValueLayout.JAVA_INT),
            ValueLayout.ADDRESS.withTargetLayout(ValueLayout.JAVA_INT));
    private static Runnable onCompare = () -> { };

    @BeforeAll
    static void oneProc() {
        oldProcs = Go.gomaxprocs(1);
    }

    @AfterAll
    static void restore() {
        Go.gomaxprocs(oldProcs);
    }

    static int compare(MemorySegment a, MemorySegment b) {
        onCompare.run();
        return Integer.compare(a.get(ValueLayout.JAVA_INT, 0), b.get(ValueLayout.JAVA_INT, 0));
    }

    /** Sorts {@code values} with qsort, running {@code hook} in every comparison (an upcall). */
    static int[] qsort(int[] values, Runnable hook) throws Exception {
        onCompare = hook;
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle cmp = MethodHandles.lookup().findStatic(PinningTest.class, "compare",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class));
            MemorySegment stub = LINKER.upcallStub(cmp, CMP, arena);
            MemorySegment arr = arena.allocateFrom(ValueLayout.JAVA_INT, values);
            try {
                QSORT.invokeExact(arr, (long) values.length, 4L, stub);
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            return arr.toArray(ValueLayout.JAVA_INT);
        } finally {
            onCompare = () -> { };
        }
    }

    @Test
    void parkInANativeUpcallBlocksTheCarrierAndHandsOffTheP() throws Exception {
        long pinned0 = Sched.pinnedParks.get();
        AtomicLong sleptUntil = new AtomicLong();
        AtomicLong otherDone = new AtomicLong();
        int[] sorted = Go.run(() -> {
            G main = Sched.getg();
            boolean[] first = {true};
            int[][] out = new int[1][];
            Go.go(() -> {
                try {
                    out[0] = qsort(new int[] {3, 1, 2}, () -> {
                        if (first[0]) {
                            first[0] = false;
                            Sched.goready(main);
                            long t0 = Sched.nanotime();
                            Go.sleep(Duration.ofMillis(300)); // pinned: blocks this carrier
                            assertTrue(Sched.nanotime() - t0 >= 300_000_000L);
                            sleptUntil.set(Sched.nanotime());
                        }
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                Sched.goready(main);
            });
            Sched.gopark((g, a) -> true, null, WaitReason.ZERO); // woken from inside the upcall
            Go.go(() -> {
                Go.yield();
                otherDone.set(Sched.nanotime());
            });
            Sched.gopark((g, a) -> true, null, WaitReason.ZERO); // the sort is done
            return out[0];
        });
        assertArrayEquals(new int[] {1, 2, 3}, sorted);
        assertEquals(1, Sched.pinnedParks.get() - pinned0, "the park was not pinned");
        assertTrue(otherDone.get() != 0 && otherDone.get() < sleptUntil.get(),
                "the other goroutine waited for the pinned one");
    }

    @Test
    void yieldInANativeUpcallIsANoOp() throws Exception {
        int[] sorted = Go.run(() -> qsort(new int[] {5, 4, 3, 2, 1}, Go::yield));
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, sorted);
    }
}
