package io.panago.runtime;

import io.panago.Go;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A missing JVM flag fails with one clear exception that names the exact flag. */
class FlagsTest {
    /** Child main: starts a goroutine and prints what happened. */
    public static final class Main {
        public static void main(String[] args) {
            try {
                System.out.println("result " + Go.run(() -> 42));
            } catch (Throwable t) {
                System.out.println("threw " + t);
                System.out.println("cause " + t.getCause());
            }
        }
    }

    private static final String EXPORTS_MOD = "--add-exports=java.base/jdk.internal.vm=io.panago.core";
    private static final String EXPORTS_CP = "--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED";

    @Test
    void missingAddExportsOnTheModulePathNamesTheFlag() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, Main.class,
                List.of("--enable-native-access=io.panago.bindings,io.panago.core"));
        assertTrue(r.out().contains("threw java.lang.IllegalStateException: panago needs the JVM option "
                + "--add-exports java.base/jdk.internal.vm=io.panago.core"), r.out());
        assertTrue(r.out().contains("cause null"), "one exception, not a chain from inside the JDK: " + r.out());
    }

    @Test
    void missingAddExportsOnTheClassPathNamesAllUnnamed() throws Exception {
        ChildJvm.Result r = ChildJvm.run(false, Main.class, List.of("--enable-native-access=ALL-UNNAMED"));
        assertTrue(r.out().contains("--add-exports java.base/jdk.internal.vm=ALL-UNNAMED"), r.out());
    }

    @Test
    void missingNativeAccessNamesTheFlag() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, Main.class, List.of(EXPORTS_MOD));
        assertTrue(r.out().contains("threw java.lang.IllegalStateException: panago needs the JVM option "
                + "--enable-native-access=io.panago.bindings,io.panago.core"), r.out());
        r = ChildJvm.run(false, Main.class, List.of(EXPORTS_CP));
        assertTrue(r.out().contains("--enable-native-access=ALL-UNNAMED"), r.out());
    }

    @Test
    void withNeitherFlagOneExceptionNamesBoth() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, Main.class, List.of());
        assertTrue(r.out().contains("threw java.lang.IllegalStateException: panago needs the JVM options "
                + "--add-exports java.base/jdk.internal.vm=io.panago.core "
                + "--enable-native-access=io.panago.bindings,io.panago.core ("), r.out());
        r = ChildJvm.run(false, Main.class, List.of());
        assertTrue(r.out().contains("panago needs the JVM options --add-exports java.base/jdk.internal.vm=ALL-UNNAMED "
                + "--enable-native-access=ALL-UNNAMED ("), r.out());
    }

    @Test
    void withBothFlagsItRuns() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, Main.class,
                List.of(EXPORTS_MOD, "--enable-native-access=io.panago.bindings,io.panago.core"));
        assertTrue(r.out().contains("result 42"), r.out());
        r = ChildJvm.run(false, Main.class, List.of(EXPORTS_CP, "--enable-native-access=ALL-UNNAMED"));
        assertTrue(r.out().contains("result 42"), r.out());
        assertEquals(0, r.exit(), "carrier threads must not keep the JVM alive");
    }
}
