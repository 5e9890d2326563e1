package io.panago.bindings.linux;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An {@link Error} thrown while an errno-capturing call is made reaches the caller as itself:
 * jextract's shape wraps whatever {@code invokeExact} throws in an AssertionError ("should not
 * reach here"), which turned a StackOverflowError or an OutOfMemoryError inside a socket call
 * into an error no caller handles. Deep recursion that makes a call at each level overflows
 * inside the call's dispatch now and then; each overflow must arrive as a StackOverflowError.
 */
class ErrorPassThroughTest {
    private static MemorySegment errno;

    private static void pad(int n) {
        if (n > 0) {
            pad(n - 1);
        } else {
            down();
        }
    }

    private static void down() {
        LinuxErrno.close(errno, -1); // EBADF: a real call that changes nothing
        down();
    }

    @Test
    void aStackOverflowInsideACallIsRethrownAsItIs() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            errno = LinuxErrno.captureSegment(arena);
            for (int round = 0; round < 40; round++) {
                int padding = round * 5 % 37;
                Throwable[] got = new Throwable[1];
                Thread t = new Thread(null, () -> {
                    try {
                        pad(padding);
                    } catch (Throwable e) {
                        got[0] = e;
                    }
                }, "overflow", 512 * 1024);
                t.start();
                t.join();
                assertInstanceOf(StackOverflowError.class, got[0], "round " + round);
            }
        }
    }
}
