package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Socket options, addresses (IPv4, IPv6, ephemeral ports) and the java.io views. */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OptionsAndViewsTest {
    private interface Pair {
        void run(TcpStream a, TcpStream b) throws Exception;
    }

    private static void withPair(String bind, Pair body) throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind(bind);
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                body.run(a, b);
            }
            return null;
        });
    }

    @Test
    void optionsRoundTripAndNoDelayIsOnByDefault() throws Exception {
        withPair("127.0.0.1:0", (a, b) -> {
            assertTrue(a.noDelay());
            assertTrue(b.noDelay());
            a.setNoDelay(false);
            assertFalse(a.noDelay());
            assertTrue(a.keepAlive()); // on by default, as in Go (KeepAliveTest)
            a.setKeepAlive(false);
            assertFalse(a.keepAlive());
            a.setKeepAlive(true);
            assertTrue(a.keepAlive());
            a.setReceiveBufferSize(32 * 1024);
            a.setSendBufferSize(32 * 1024);
            // socket(7): Linux doubles the value for its bookkeeping; macOS reports it as set.
            int reported = NetTesting.macosSockets() ? 32 * 1024 : 64 * 1024;
            assertEquals(reported, a.receiveBufferSize());
            assertEquals(reported, a.sendBufferSize());
            assertEquals(-1, a.linger());
            a.setLinger(5);
            assertEquals(5, a.linger());
            a.setLinger(-1);
            assertEquals(-1, a.linger());
            assertThrows(IllegalArgumentException.class, () -> a.setReceiveBufferSize(0));
            assertThrows(IllegalArgumentException.class, () -> a.setSoTimeout(Duration.ofMillis(-1)));
        });
    }

    @Test
    void addressesOfBothEndsMatch() throws Exception {
        withPair("127.0.0.1:0", (a, b) -> {
            assertEquals(a.localAddress(), b.peerAddress());
            assertEquals(a.peerAddress(), b.localAddress());
            assertInstanceOf(Inet4Address.class, a.localAddress().getAddress());
            assertTrue(a.localAddress().getPort() > 0);
            try (TcpStream c = a.tryClone()) {
                assertEquals(a.localAddress(), c.localAddress());
            }
            assertTrue(a.toString().contains("127.0.0.1:" + a.localAddress().getPort()), a.toString());
        });
    }

    @Test
    void ipv6LoopbackWorks() throws Exception {
        withPair("[::1]:0", (a, b) -> {
            assertInstanceOf(Inet6Address.class, a.peerAddress().getAddress());
            assertEquals("[::1]:" + a.peerAddress().getPort(),
                    io.panago.net.poll.SockAddr.format(a.peerAddress()));
            a.writeAll(new byte[] {6});
            assertEquals(6, b.inputStream().read());
        });
    }

    @Test
    void wildcardListenerAcceptsIpv4AndIpv6() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind(":0")) {
                int port = ln.localAddress().getPort();
                assertTrue(ln.localAddress().getAddress().isAnyLocalAddress());
                for (String host : new String[] {"127.0.0.1", "[::1]", "localhost"}) {
                    try (TcpStream c = TcpStream.connect(host + ":" + port); TcpStream s = ln.accept()) {
                        c.writeAll(new byte[] {1});
                        assertEquals(1, s.inputStream().read());
                        assertEquals(c.localAddress().getPort(), s.peerAddress().getPort());
                    }
                }
            }
            return null;
        });
    }

    @Test
    void listenerTakesJdkAddressesAndBacklogs() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
                 TcpStream c = TcpStream.connect(InetSocketAddress.createUnresolved("localhost", ln.localAddress().getPort()));
                 TcpStream s = ln.accept()) {
                assertEquals(c.localAddress(), s.peerAddress());
            }
            assertThrows(IllegalArgumentException.class, () -> TcpListener.bind("127.0.0.1:0", 0));
            assertThrows(IllegalArgumentException.class, () -> TcpListener.bind("127.0.0.1"));
            return null;
        });
    }

    @Test
    void availableCountsTheBytesReceivedSoBufferedReaderReadyWorks() throws Exception {
        withPair("127.0.0.1:0", (a, b) -> {
            var in = b.inputStream();
            assertEquals(0, in.available());
            a.writeAll("#hello\nworld\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals('#', in.read()); // one segment: the rest has arrived with it
            assertEquals(12, in.available());
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            assertTrue(r.ready(), "InputStreamReader.ready asks available()");
            assertEquals("hello", r.readLine());
            assertEquals("world", r.readLine());
            assertFalse(r.ready());
            assertEquals(0, in.available());

            a.writeAll(new byte[] {1, 2, 3});
            a.shutdownOutput();
            assertEquals(1, in.read());
            assertEquals(2, in.available());
            assertEquals(2, in.readNBytes(5).length); // then end of stream
            assertEquals(0, in.available());

            b.shutdownInput();
            assertEquals(0, in.available());
        });
    }

    @Test
    void viewsWorkWithBufferedAndDataStreams() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        withPair("127.0.0.1:0", (a, b) -> {
            Latch done = new Latch(1);
            NetTesting.go(errors, done, () -> {
                BufferedReader in = new BufferedReader(new InputStreamReader(b.inputStream(), StandardCharsets.UTF_8));
                DataOutputStream out = new DataOutputStream(b.outputStream());
                String line;
                while ((line = in.readLine()) != null) {
                    out.writeInt(line.length());
                    out.writeUTF(line.toUpperCase());
                }
                out.flush();
                b.shutdownOutput();
            });
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(a.outputStream(), StandardCharsets.UTF_8));
            w.write("hello\nnet\n");
            w.flush();
            a.outputStream().write('!');
            a.outputStream().write('\n');
            a.shutdownOutput();
            DataInputStream in = new DataInputStream(a.inputStream());
            assertEquals(5, in.readInt());
            assertEquals("HELLO", in.readUTF());
            assertEquals(3, in.readInt());
            assertEquals("NET", in.readUTF());
            assertEquals(1, in.readInt());
            assertEquals("!", in.readUTF());
            assertEquals(-1, in.read());
            done.await();
        });
        NetTesting.rethrow(errors);
    }

    @Test
    void transferToCopiesAStreamIntoAnother() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        withPair("127.0.0.1:0", (a, b) -> {
            Latch done = new Latch(1);
            byte[] data = new byte[3 << 20];
            Payload.fill(5, 0, data, 0, data.length);
            NetTesting.go(errors, done, () -> {
                b.outputStream().write(data);
                b.shutdownOutput();
            });
            java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
            assertEquals(data.length, a.inputStream().transferTo(sink));
            assertTrue(java.util.Arrays.equals(data, sink.toByteArray()));
            done.await();
            a.inputStream().close();
            assertTrue(a.isClosed());
        });
        NetTesting.rethrow(errors);
    }
}
