package io.panago.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.panago.Go;
import io.panago.context.Context;
import io.panago.net.poll.FD;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Go's TCP defaults on every new stream: TCP_NODELAY, and keep-alive probing after 15 s idle,
 * every 15 s, 9 probes (Go 1.23's KeepAliveConfig), so that a read waiting on a peer that
 * vanished without a reset ends. The probe count and times are read back on Linux and on the
 * macOS path; on the Windows path, where SIO_KEEPALIVE_VALS sets them and has no read-back,
 * that keep-alive is on. A clone shares the socket and leaves its options as they are.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@SuppressWarnings("try") // closing inside try-with-resources is what these tests do
class KeepAliveTest {
    private static final boolean WINDOWS = "windows".equals(System.getProperty("panago.test.os"));
    private static final boolean MACOS = "macos".equals(System.getProperty("panago.test.os"));

    @Test
    void everyNewStreamProbesAsGoDoes() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream a2 = TcpStream.connect(ln.localAddress(), Duration.ofSeconds(10));
                 TcpStream a3 = TcpStream.connect(Context.background(), "127.0.0.1:" + ln.localAddress().getPort());
                 TcpStream b = ln.accept()) {
                for (TcpStream s : List.of(a, a2, a3, b)) {
                    assertTrue(s.noDelay(), s.toString());
                    assertTrue(s.keepAlive(), s.toString());
                    assertTiming(s, 15, 9);
                }
            }
            return null;
        });
    }

    @Test
    void aCloneLeavesTheOptionsAsTheyAre() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                a.setNoDelay(false);
                a.setKeepAlive(false);
                try (TcpStream c = a.tryClone()) {
                    assertFalse(c.noDelay());
                    assertFalse(c.keepAlive());
                }
                assertFalse(a.noDelay(), "the clone turned TCP_NODELAY back on");
                assertFalse(a.keepAlive());
            }
            return null;
        });
    }

    @Test
    void thePeriodIsInWholeSecondsRoundedUp() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                a.setKeepAlivePeriod(Duration.ofMillis(40_500));
                assertTiming(a, 41, 9);
                a.setKeepAlivePeriod(Duration.ofNanos(1));
                assertTiming(a, 1, 9);
                a.setKeepAlivePeriod(Duration.ofSeconds(100));
                assertTiming(a, 100, 9);
                a.setKeepAlivePeriod(Duration.ZERO);
                assertTiming(a, 15, 9);
                assertTrue(a.keepAlive());
                assertTiming(b, 15, 9); // the other end is its own socket
                assertThrows(IllegalArgumentException.class, () -> a.setKeepAlivePeriod(Duration.ofSeconds(-1)));
                assertThrows(NullPointerException.class, () -> a.setKeepAlivePeriod(null));
                IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                        () -> a.setKeepAlivePeriod(Duration.ofSeconds(FD.MAX_KEEPALIVE).plusNanos(1)));
                assertTrue(tooLong.getMessage().contains("(" + FD.MAX_KEEPALIVE + " s)"), tooLong.getMessage());
                assertThrows(IllegalArgumentException.class, () -> a.setKeepAlivePeriod(Duration.ofDays(1L << 40)));
                assertTiming(a, 15, 9); // a refused period changed nothing
                if (!MACOS && !WINDOWS) { // their stand-in kernels pass their larger limits on to Linux
                    a.setKeepAlivePeriod(Duration.ofSeconds(FD.MAX_KEEPALIVE));
                    assertTiming(a, FD.MAX_KEEPALIVE, 9);
                }
                a.setKeepAlive(false);
                assertFalse(a.keepAlive());
                a.setKeepAlivePeriod(Duration.ofSeconds(30));
                // Only Windows turns keep-alive on with the times (SIO_KEEPALIVE_VALS does both).
                assertEquals(WINDOWS, a.keepAlive());
            }
            return null;
        });
    }

    /** Go 1.23's SetKeepAliveConfig: zero is the default, negative leaves a value as it is. */
    @Test
    void aConfigSetsEachValueAsGosSetKeepAliveConfig() throws Exception {
        Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream a = TcpStream.connect(ln.localAddress());
                 TcpStream b = ln.accept()) {
                a.setKeepAliveConfig(new KeepAliveConfig(true, Duration.ofSeconds(30), Duration.ofMillis(4_200), 3));
                assertTrue(a.keepAlive());
                assertTiming(a, 30, 5, 3);
                a.setKeepAliveConfig(new KeepAliveConfig(true, Duration.ofSeconds(-1), Duration.ofSeconds(7), -1));
                assertTiming(a, 30, 7, 3);
                a.setKeepAliveConfig(new KeepAliveConfig(true, Duration.ofNanos(1), Duration.ofNanos(-1), 0));
                assertTiming(a, 1, 7, 9);
                a.setKeepAliveConfig(KeepAliveConfig.DEFAULT);
                assertTiming(a, 15, 15, 9);
                assertTiming(b, 15, 15, 9);

                // Off: as in Go the times are still set, for when it is turned on again (not on
                // Windows, where setting them would turn it on).
                a.setKeepAliveConfig(new KeepAliveConfig(false, Duration.ofSeconds(40), Duration.ZERO, 0));
                assertFalse(a.keepAlive());
                assertTiming(a, 40, 15, 9);

                // Refused before anything is set.
                Duration tooLong = Duration.ofSeconds(FD.MAX_KEEPALIVE + 1L);
                IllegalArgumentException idle = assertThrows(IllegalArgumentException.class,
                        () -> a.setKeepAliveConfig(new KeepAliveConfig(true, tooLong, Duration.ZERO, 0)));
                assertTrue(idle.getMessage().contains("idle time"), idle.getMessage());
                IllegalArgumentException interval = assertThrows(IllegalArgumentException.class,
                        () -> a.setKeepAliveConfig(new KeepAliveConfig(true, Duration.ZERO, tooLong, 0)));
                assertTrue(interval.getMessage().contains("interval"), interval.getMessage());
                if (FD.MAX_KEEPALIVE_COUNT < Integer.MAX_VALUE) {
                    IllegalArgumentException count = assertThrows(IllegalArgumentException.class, () -> a.setKeepAliveConfig(
                            new KeepAliveConfig(true, Duration.ZERO, Duration.ZERO, FD.MAX_KEEPALIVE_COUNT + 1)));
                    assertTrue(count.getMessage().contains("(" + FD.MAX_KEEPALIVE_COUNT + ")"), count.getMessage());
                    a.setKeepAliveConfig(new KeepAliveConfig(false, Duration.ofSeconds(-1), Duration.ofSeconds(-1),
                            FD.MAX_KEEPALIVE_COUNT));
                    assertTiming(a, 40, 15, FD.MAX_KEEPALIVE_COUNT);
                    a.setKeepAliveConfig(new KeepAliveConfig(false, Duration.ofSeconds(-1), Duration.ofSeconds(-1), 9));
                }
                assertFalse(a.keepAlive());
                assertTiming(a, 40, 15, 9);

                assertThrows(NullPointerException.class, () -> a.setKeepAliveConfig(null));
                assertThrows(NullPointerException.class, () -> new KeepAliveConfig(true, null, Duration.ZERO, 0));
                assertThrows(NullPointerException.class, () -> new KeepAliveConfig(true, Duration.ZERO, null, 0));
            }
            return null;
        });
    }

    private static void assertTiming(TcpStream s, int seconds, int probes) throws IOException {
        assertTiming(s, seconds, seconds, probes);
    }

    private static void assertTiming(TcpStream s, int idle, int interval, int probes) throws IOException {
        if (WINDOWS) {
            return; // set by SIO_KEEPALIVE_VALS, which has no read-back
        }
        assertEquals(idle, s.fd().getOption(FD.Option.TCP_KEEPIDLE), "idle");
        assertEquals(interval, s.fd().getOption(FD.Option.TCP_KEEPINTVL), "interval");
        assertEquals(probes, s.fd().getOption(FD.Option.TCP_KEEPCNT), "probes");
    }
}
