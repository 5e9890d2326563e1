package io.panago.runtime;

import io.panago.Go;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code -Dpanago.stacksize} sets the carriers' stack size, which bounds how deep a goroutine
 * can call between two parks (Go grows a goroutine's stack up to 1 GB; the JVM's default
 * thread stack is 1 MB on Linux x86-64). Each case runs in its own JVM: the setting is read
 * once, when the runtime starts.
 */
class StackSizeTest {
    private static final int DEPTH = 200_000;

    private static int depth(int n) {
        return n == 0 ? 0 : depth(n - 1) + 1;
    }

    /** Child main: recurses {@link #DEPTH} deep in a goroutine; prints "ok" or the error. */
    public static final class Main {
        public static void main(String[] args) {
            String r;
            try {
                r = Go.run(() -> depth(DEPTH) == DEPTH ? "ok" : "wrong depth");
            } catch (Throwable e) {
                r = e.toString();
            }
            System.out.println(r);
        }
    }

    private static ChildJvm.Result child(String... flags) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of(
                "--add-exports=java.base/jdk.internal.vm=io.panago.core",
                "--enable-native-access=io.panago.bindings,io.panago.core", "-Xss1m"));
        args.addAll(List.of(flags));
        return ChildJvm.run(true, Main.class, args);
    }

    @Test
    void aLargerCarrierStackLetsAGoroutineCallDeeper() throws Exception {
        ChildJvm.Result small = child();
        assertTrue(small.out().strip().endsWith("java.lang.StackOverflowError"), small.out());
        ChildJvm.Result large = child("-Dpanago.stacksize=256m");
        assertTrue(large.out().strip().endsWith("ok"), large.out());
        assertEquals(0, large.exit(), large.out());
    }

    @Test
    void aBadSizeIsRefusedWithTheSettingsName() throws Exception {
        ChildJvm.Result r = child("-Dpanago.stacksize=64 MB");
        assertTrue(r.out().contains("IllegalArgumentException: -Dpanago.stacksize=64 MB: expected a size"),
                r.out());
    }

    @Test
    void sizesParseAsXssDoes() {
        assertEquals(0, Sched.stackSize(null));
        assertEquals(0, Sched.stackSize(" "));
        assertEquals(4096, Sched.stackSize("4096"));
        assertEquals(512L << 10, Sched.stackSize("512k"));
        assertEquals(64L << 20, Sched.stackSize("64M"));
        assertEquals(1L << 30, Sched.stackSize("1g"));
        for (String bad : new String[] {"-1m", "m", "1.5m", "1t", "99999999999999g", "+5"}) {
            assertThrows(IllegalArgumentException.class, () -> Sched.stackSize(bad), bad);
        }
    }
}
