package io.panago.runtime;

import io.panago.Go;
import org.junit.jupiter.api.Test;

import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler and its poller keep working while the process is out of file descriptors
 * (EMFILE). Each backend runs in a fresh JVM, whose classes load from the build's directories
 * as in a test run: there loading a class opens a file, so a downcall linked lazily on the
 * poller's path (the eventfd's read and write, first used by the first wake-up) failed with
 * NoClassDefFoundError; the M polling died with it while it was the runtime's only poller,
 * and every goroutine waiting for a timer or a descriptor waited for ever.
 */
class OutOfDescriptorsTest {
    private static final List<String> FLAGS = List.of("--add-exports=java.base/jdk.internal.vm=io.panago.core",
            "--enable-native-access=io.panago.bindings,io.panago.core", "-Dpanago.maxprocs=2");

    /**
     * Child main: one sleep starts the runtime and its poller, then the descriptor table is
     * filled, and with it full goroutines keep waking the poller: each sleep shorter than the
     * poller's wait makes the M that arms it break that wait (an eventfd write) and the poller
     * reset the eventfd (a read). Prints "ok" once sleeps work again after the table is freed.
     */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            String r = Go.run(() -> {
                Go.sleep(Duration.ofMillis(1));
                List<FileChannel> filler = DescriptorTable.fill();
                try {
                    Go.go(() -> Go.sleep(Duration.ofHours(1))); // a far timer: the poller waits long
                    for (int i = 0; i < 20; i++) {
                        Go.sleep(Duration.ofMillis(2));
                    }
                } finally {
                    DescriptorTable.free(filler);
                }
                for (int i = 0; i < 20; i++) {
                    Go.sleep(Duration.ofMillis(1));
                }
                return "ok";
            });
            System.out.println(r);
        }
    }

    @Test
    void epollPollerSurvivesAFullDescriptorTable() throws Exception {
        assertChildSays("epoll");
    }

    @Test
    void ioUringPollerSurvivesAFullDescriptorTable() throws Exception {
        assertChildSays("io_uring");
    }

    private static void assertChildSays(String backend) throws Exception {
        List<String> flags = new ArrayList<>(FLAGS);
        flags.add("-Dpanago.netpoll=" + backend);
        ChildJvm.Result r = ChildJvm.run(true, Main.class, flags);
        assertTrue(r.out().strip().endsWith("ok"), r.out());
        assertEquals(0, r.exit(), r.out());
    }
}
