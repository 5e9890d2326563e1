package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With the descriptor table full, accept4 fails with EMFILE while a connection waits in the
 * backlog. accept must neither fail nor spin: it backs off and takes the connection as soon
 * as a descriptor is free again.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AcceptBackoffTest {

    @Test
    void acceptSurvivesRunningOutOfDescriptorsWithoutSpinning() throws Exception {
        // Logging starts up lazily and opens files; let it do so while descriptors are free.
        System.getLogger("io.panago.net").log(System.Logger.Level.INFO,
                "AcceptBackoffTest: filling the descriptor table; EMFILE warnings follow");
        Go.run(() -> {
            try (NetTesting.ProcessCpu cpuClock = new NetTesting.ProcessCpu();
                 TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream client = TcpStream.connect(ln.localAddress())) {
                AtomicReference<TcpStream> accepted = new AtomicReference<>();
                AtomicReference<Throwable> failed = new AtomicReference<>();
                Latch done = new Latch(1);
                List<FileChannel> filler = new ArrayList<>();
                try {
                    Path devNull = Path.of("/dev/null");
                    try {
                        for (;;) {
                            filler.add(FileChannel.open(devNull));
                        }
                    } catch (IOException full) {
                        assertTrue(String.valueOf(full.getMessage()).contains("Too many open files"), full.toString());
                    }
                    Go.go(() -> {
                        try {
                            accepted.set(ln.accept());
                        } catch (Throwable t) {
                            failed.set(t);
                        } finally {
                            done.countDown();
                        }
                    });
                    long cpu0 = cpuClock.nanos();
                    Go.sleep(Duration.ofMillis(600));
                    long cpu = cpuClock.nanos() - cpu0;
                    assertEquals(1, done.count(), "accept returned while no descriptor was free: " + failed.get());
                    assertTrue(cpu < 300_000_000L, "the process used " + cpu / 1_000_000 + " ms of CPU in 600 ms");
                } finally {
                    for (FileChannel f : filler) {
                        f.close();
                    }
                }
                long t0 = System.nanoTime();
                done.await();
                assertNull(failed.get());
                assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "accept slow to recover");
                try (TcpStream s = accepted.get()) {
                    assertNotNull(s);
                    client.writeAll(new byte[] {8});
                    assertEquals(8, s.inputStream().read());
                }
            }
            return null;
        });
    }
}
