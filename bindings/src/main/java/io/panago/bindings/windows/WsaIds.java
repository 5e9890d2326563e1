package io.panago.bindings.windows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The GUIDs of the Winsock extension functions ({@code <mswsock.h>}), which {@code WSAIoctl} with
 * {@code SIO_GET_EXTENSION_FUNCTION_POINTER} turns into function pointers. Hand-kept: the header
 * defines them as brace initialisers, which jextract does not turn into constants. The
 * mingw-w64 probe test compares each with the bytes the compiler makes of the macro.
 */
public final class WsaIds {

    private WsaIds() {
    }

    private static MemorySegment guid(long data1, short data2, short data3, byte[] data4) {
        MemorySegment g = Arena.global().allocate(GUID.layout());
        GUID.Data1(g, (int) data1);
        GUID.Data2(g, data2);
        GUID.Data3(g, data3);
        MemorySegment.copy(data4, 0, g, ValueLayout.JAVA_BYTE, GUID.Data4$offset(), data4.length);
        return g.asReadOnly();
    }

    private static final class WSAID_ACCEPTEX {
        static final MemorySegment VALUE = guid(0xb5367df1L, (short) 0xcbac, (short) 0x11cf, new byte[] {(byte) 0x95, (byte) 0xca, (byte) 0x00, (byte) 0x80, (byte) 0x5f, (byte) 0x48, (byte) 0xa1, (byte) 0x92});
    }

    /** {@return {@code WSAID_ACCEPTEX} as a 16-byte {@code GUID} in global memory, for {@code WSAIoctl}} */
    public static MemorySegment WSAID_ACCEPTEX() {
        return WSAID_ACCEPTEX.VALUE;
    }

    private static final class WSAID_CONNECTEX {
        static final MemorySegment VALUE = guid(0x25a207b9L, (short) 0xddf3, (short) 0x4660, new byte[] {(byte) 0x8e, (byte) 0xe9, (byte) 0x76, (byte) 0xe5, (byte) 0x8c, (byte) 0x74, (byte) 0x06, (byte) 0x3e});
    }

    /** {@return {@code WSAID_CONNECTEX} as a 16-byte {@code GUID} in global memory, for {@code WSAIoctl}} */
    public static MemorySegment WSAID_CONNECTEX() {
        return WSAID_CONNECTEX.VALUE;
    }

    private static final class WSAID_GETACCEPTEXSOCKADDRS {
        static final MemorySegment VALUE = guid(0xb5367df2L, (short) 0xcbac, (short) 0x11cf, new byte[] {(byte) 0x95, (byte) 0xca, (byte) 0x00, (byte) 0x80, (byte) 0x5f, (byte) 0x48, (byte) 0xa1, (byte) 0x92});
    }

    /** {@return {@code WSAID_GETACCEPTEXSOCKADDRS} as a 16-byte {@code GUID} in global memory, for {@code WSAIoctl}} */
    public static MemorySegment WSAID_GETACCEPTEXSOCKADDRS() {
        return WSAID_GETACCEPTEXSOCKADDRS.VALUE;
    }
}
