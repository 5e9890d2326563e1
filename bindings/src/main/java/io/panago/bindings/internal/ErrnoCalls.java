package io.panago.bindings.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the hand-kept errno variants of every OS package share ({@code LinuxErrno},
 * {@code MacosErrno}, {@code WindowsErrno}): linking a capturing handle, the critical heap
 * handle where the JDK allows it, and the pool of bounce buffers used where it does not.
 * Not exported: the packages of this module are its only users.
 */
public final class ErrnoCalls {

    private ErrnoCalls() {
    }

    /** The most a heap variant moves per call when it copies through the bounce buffer. */
    public static final long BOUNCE_BYTES = 64 * 1024;

    /**
     * Idle bounce buffers, each slot one buffer or null. A pool, not a {@code ThreadLocal}: a
     * goroutine (a continuation on a carrier thread) may yield and resume on another carrier, and
     * C2 treats the current thread as constant within a compiled method, so code inlined into a
     * loop that parks can keep reading the carrier it started on and would share that carrier's
     * buffer with whatever runs there now (seen as corrupted bytes under load).
     */
    private static final AtomicReferenceArray<MemorySegment> IDLE = new AtomicReferenceArray<>(64);

    /** {@return a downcall handle of {@code address} with {@code capture} prepended} */
    public static MethodHandle capturing(MemorySegment address, FunctionDescriptor descriptor, Linker.Option capture) {
        return Linker.nativeLinker().downcallHandle(address, descriptor, capture);
    }

    /**
     * {@return a capturing {@code critical(true)} handle that takes heap segments, or null on
     * JDK 22 and 23, which refuse {@code critical} together with {@code captureCallState}
     * (JDK-8336768 lifted that in JDK 24)}
     */
    public static MethodHandle criticalOrNull(MemorySegment address, FunctionDescriptor descriptor,
                                              Linker.Option capture) {
        try {
            return Linker.nativeLinker().downcallHandle(address, descriptor, capture, Linker.Option.critical(true));
        } catch (IllegalArgumentException unsupportedBefore24) {
            return null;
        }
    }

    /** A call that moves at most {@code n} bytes through the buffer {@code buf} and returns its result. */
    @FunctionalInterface
    public interface Transfer {
        long call(MemorySegment buf, long n);
    }

    /**
     * A receive into {@code buf}: straight in if it is native, else through a bounce buffer (at
     * most {@link #BOUNCE_BYTES}, the bytes that came copied into {@code buf}).
     */
    public static long receive(MemorySegment buf, long n, Transfer call) {
        if (buf.isNative()) {
            return call.call(buf, n);
        }
        MemorySegment tmp = acquireBounce();
        try {
            long r = call.call(tmp, Math.min(n, BOUNCE_BYTES));
            if (r > 0) {
                MemorySegment.copy(tmp, 0L, buf, 0L, r);
            }
            return r;
        } finally {
            releaseBounce(tmp);
        }
    }

    /** A send from {@code buf}: straight from it if it is native, else through a bounce buffer. */
    public static long send(MemorySegment buf, long n, Transfer call) {
        if (buf.isNative()) {
            return call.call(buf, n);
        }
        MemorySegment tmp = acquireBounce();
        try {
            long len = Math.min(n, BOUNCE_BYTES);
            MemorySegment.copy(buf, 0L, tmp, 0L, len);
            return call.call(tmp, len);
        } finally {
            releaseBounce(tmp);
        }
    }

    /**
     * {@return an off-heap bounce buffer of {@link #BOUNCE_BYTES}, the caller's alone until it
     * hands it back with {@link #releaseBounce}: an idle one, or a new one when all are taken}
     */
    public static MemorySegment acquireBounce() {
        for (int i = 0; i < IDLE.length(); i++) {
            MemorySegment b = IDLE.get(i);
            if (b != null && IDLE.compareAndSet(i, b, null)) {
                return b;
            }
        }
        return Arena.ofAuto().allocate(BOUNCE_BYTES, 16);
    }

    /** Makes {@code b}, from {@link #acquireBounce}, idle again; beyond the pool's slots the GC frees it. */
    public static void releaseBounce(MemorySegment b) {
        for (int i = 0; i < IDLE.length(); i++) {
            if (IDLE.get(i) == null && IDLE.compareAndSet(i, null, b)) {
                return;
            }
        }
    }
}
