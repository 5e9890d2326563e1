package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A connect with a timeout counts the name lookup against it, as Go's {@code DialTimeout} does.
 * Runs in a JVM of its own whose resolver ({@link SlowResolver}, installed through the JDK's
 * resolver service for that JVM only) takes 1.5 s for names under {@code slow.test.}: a
 * 500 ms connect to such a name must end in a {@link SocketTimeoutException} when the lookup
 * returns, though the listener would accept at once; with a timeout longer than the lookup it
 * must connect.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConnectLookupTimeoutTest {
    static final long LOOKUP_MS = 1500;

    /** The child's resolver: slow for {@code *.slow.test}, the JDK's own for anything else. */
    public static final class SlowResolver extends InetAddressResolverProvider {
        @Override
        public InetAddressResolver get(Configuration configuration) {
            InetAddressResolver builtin = configuration.builtinResolver();
            return new InetAddressResolver() {
                @Override
                public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws java.net.UnknownHostException {
                    if (!host.endsWith(".slow.test")) {
                        return builtin.lookupByName(host, policy);
                    }
                    try {
                        Thread.sleep(LOOKUP_MS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Stream.of(InetAddress.getLoopbackAddress());
                }

                @Override
                public String lookupByAddress(byte[] addr) throws java.net.UnknownHostException {
                    return builtin.lookupByAddress(addr);
                }
            };
        }

        @Override
        public String name() {
            return "panago-test-slow";
        }
    }

    /** Child main: prints one line per case, "FAIL ..." for a case that went wrong. */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                int port = ((InetSocketAddress) ln.localAddress()).getPort();
                String inGoroutine = Go.run(() -> attempt("a.slow.test:" + port, ln));
                System.out.println("goroutine " + inGoroutine);
                System.out.println("thread " + attempt("b.slow.test:" + port, ln));
                long t0 = System.nanoTime();
                try (TcpStream s = TcpStream.connect(InetSocketAddress.createUnresolved("c.slow.test", port),
                        Duration.ofSeconds(20)); TcpStream a = ln.accept()) {
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    System.out.println(ms >= LOOKUP_MS ? "longer timeout connects" : "FAIL the lookup took " + ms + " ms");
                }
            }
            System.exit(0);
        }

        /** A 500 ms connect to a slow name: how it ended. */
        static String attempt(String address, TcpListener ln) throws IOException {
            long t0 = System.nanoTime();
            try (TcpStream s = TcpStream.connect(address, Duration.ofMillis(500))) {
                ln.accept().close();
                return "FAIL connected after " + (System.nanoTime() - t0) / 1_000_000 + " ms";
            } catch (SocketTimeoutException e) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                return ms >= LOOKUP_MS ? "times out: " + e.getMessage() : "FAIL timed out before the lookup returned";
            }
        }
    }

    @Test
    void aConnectTimeoutCountsTheNameLookup() throws Exception {
        Path dir = Files.createTempDirectory("panago-resolver");
        try {
            Path services = dir.resolve("META-INF/services/" + InetAddressResolverProvider.class.getName());
            Files.createDirectories(services.getParent());
            Files.writeString(services, SlowResolver.class.getName() + "\n");
            Process p = EchoStressTest.startChild(List.of(), List.of(dir.toString()), Main.class);
            StringBuilder out = new StringBuilder();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    out.append(l).append('\n');
                }
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), out.toString());
            String text = out.toString();
            assertTrue(!text.contains("FAIL"), text);
            assertTrue(text.contains("goroutine times out: Connect timed out: 127.0.0.1:"), text);
            assertTrue(text.contains("thread times out: Connect timed out: 127.0.0.1:"), text);
            assertTrue(text.contains("longer timeout connects"), text);
            assertEquals(0, p.exitValue(), text);
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }
}
