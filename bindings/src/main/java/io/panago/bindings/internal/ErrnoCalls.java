package io.panago.bindings.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * What the hand-kept errno variants of every OS package share ({@code LinuxErrno},
 * {@code MacosErrno}, {@code WindowsErrno}): linking a capturing handle, the critical heap
 * handle where the JDK allows it, and the per-thread bounce buffer used where it does not.
 * Not exported: the packages of this module are its only users.
 */
public final class ErrnoCalls {

    private ErrnoCalls() {
    }

    /** The most a heap variant moves per call when it copies through the bounce buffer. */
    public static final long BOUNCE_BYTES = 64 * 1024;

    private static final ThreadLocal<MemorySegment> BOUNCE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(BOUNCE_BYTES, 16));

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

    /**
     * {@return this thread's off-heap bounce buffer of {@link #BOUNCE_BYTES}; valid until the
     * thread's next call of this method, so use it within one syscall and its copy}
     */
    public static MemorySegment bounce() {
        return BOUNCE.get();
    }
}
