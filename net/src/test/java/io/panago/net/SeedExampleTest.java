package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The two usage examples of the seed (go-lib's net module docs), transcribed: an accept loop
 * with a goroutine per connection that reads once and writes back what it read, and a stream
 * split with tryClone into a read half and a write half. Only the port differs (0, not 8080
 * or 9000, so parallel builds do not collide).
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SeedExampleTest {

    @Test
    void acceptLoopWithAGoroutinePerConnectionEchoesByteForByte() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Go.run(() -> {
            TcpListener listener = TcpListener.bind("127.0.0.1:0");
            Latch loopEnded = new Latch(1);
            Latch served = new Latch(3);
            Go.go(() -> {
                try {
                    for (;;) {
                        TcpStream stream = listener.accept();
                        NetTesting.go(errors, served, () -> {
                            try (stream) {
                                byte[] buf = new byte[1024];
                                int n = stream.read(buf);
                                stream.writeAll(buf, 0, n);
                            }
                        });
                    }
                } catch (Throwable t) {
                    // The seed's loop ends only when accept fails: here, when the test closes it.
                    if (!(t instanceof SocketException) || !listener.isClosed()) {
                        errors.add(t);
                    }
                } finally {
                    loopEnded.countDown();
                }
            });
            String[] messages = {"hello, panago", "x", "a".repeat(1024)};
            for (String m : messages) {
                byte[] sent = m.getBytes(StandardCharsets.UTF_8);
                try (TcpStream c = TcpStream.connect(listener.localAddress())) {
                    c.writeAll(sent);
                    byte[] got = c.inputStream().readAllBytes();
                    assertArrayEquals(sent, got, m);
                }
            }
            served.await();
            listener.close();
            loopEnded.await();
            return null;
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void tryCloneSplitsAStreamIntoAReadHalfAndAWriteHalf() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Go.run(() -> {
            try (TcpListener listener = TcpListener.bind("127.0.0.1:0");
                 TcpStream client = TcpStream.connect(listener.localAddress())) {
                Latch done = new Latch(1);
                TcpStream stream = listener.accept();
                TcpStream writer = stream.tryClone();
                NetTesting.go(errors, done, () -> {
                    try (stream; writer) {
                        byte[] buf = new byte[512];
                        int n = stream.read(buf);
                        writer.writeAll(buf, 0, n);
                    }
                });
                byte[] sent = "split me".getBytes(StandardCharsets.UTF_8);
                client.writeAll(sent);
                assertArrayEquals(sent, client.inputStream().readAllBytes());
                done.await();
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }
}
