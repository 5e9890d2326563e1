package io.panago.runtime;

import io.panago.Chan;
import io.panago.Go;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

/** Adversarial tests of the public runtime API that need a child JVM or package access. */
class JvmExitTest {
    private static final List<String> FLAGS = List.of("--add-exports=java.base/jdk.internal.vm=io.panago.core",
            "--enable-native-access=io.panago.bindings,io.panago.core");

    /**
     * Child main: leaves goroutines parked in every way (channel, sleep, Go.blocking, locked to
     * a carrier, spinning) and returns: the runtime's threads must not keep the JVM alive.
     */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            Chan<Object> never = Chan.make(0);
            AtomicBoolean spin = new AtomicBoolean(true);
            Go.run(() -> {
                for (int i = 0; i < 4; i++) {
                    Go.go(never::recv);
                    Go.go(() -> Go.sleep(Duration.ofHours(1)));
                }
                Go.go(() -> {
                    try {
                        Go.blocking(() -> {
                            Thread.sleep(3_600_000);
                            return null;
                        });
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                Go.go(() -> {
                    Go.lockOSThread();
                    never.recv();
                });
                Go.go(() -> {
                    while (spin.get()) {
                        Thread.onSpinWait();
                    }
                });
                Go.sleep(Duration.ofMillis(50));
                System.out.println("goroutines=" + Go.numGoroutine());
            });
            Go.go(never::recv); // and one started by the plain thread
            System.out.println("main returns");
        }
    }

    @Test
    void parkedGoroutinesDoNotKeepTheJvmAlive() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, Main.class, FLAGS);
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("main returns"), r.out());
    }
}
