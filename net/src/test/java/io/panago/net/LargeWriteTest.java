package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.Queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writes larger than the socket buffers: writeAll parks and resumes until all is out. */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LargeWriteTest {

    @Test
    void writeAllOfManyBufferfulsCompletesWhileThePeerReadsSlowly() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int size = 32 << 20;
        long[] got = new long[1];
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                a.setSendBufferSize(16 * 1024);
                b.setReceiveBufferSize(16 * 1024);
                assertTrue(a.sendBufferSize() < size / 100);
                byte[] big = new byte[size];
                Payload.fill(3, 0, big, 0, size);
                Latch done = new Latch(1);
                NetTesting.go(errors, done, () -> {
                    byte[] buf = new byte[4096], scratch = new byte[4096];
                    long pos = 0;
                    int n, reads = 0;
                    while ((n = b.read(buf)) > 0) {
                        long bad = Payload.mismatch(3, pos, buf, 0, n, scratch);
                        if (bad >= 0) {
                            throw new AssertionError("byte " + bad + " differs");
                        }
                        pos += n;
                        if (++reads % 512 == 0) {
                            Go.sleep(Duration.ofMillis(1));
                        }
                    }
                    got[0] = pos;
                });
                a.writeAll(big);
                a.shutdownOutput();
                done.await();
            }
            return null;
        });
        NetTesting.rethrow(errors);
        assertEquals(size, got[0]);
    }

    @Test
    void writeReturnsWhatFitWithoutWaitingForTheRest() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                byte[] big = new byte[64 << 20];
                int n = a.write(big);
                assertTrue(n > 0 && n < big.length, "wrote " + n);
                a.shutdownOutput();
                assertEquals(n, b.inputStream().transferTo(java.io.OutputStream.nullOutputStream()));
            }
            return null;
        });
    }
}
