package io.panago.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The echo demo's options, its short run end to end, and its latency histogram. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EchoDemoTest {
    private static String[] run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = EchoDemo.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void shortRunEchoesEveryByteAndReports() throws Exception {
        String[] r = run("--connections", "20", "--size", "100", "--duration", "300ms");
        assertEquals("0", r[0], r[1] + r[2]);
        assertTrue(r[1].contains("connections   20"), r[1]);
        assertTrue(r[1].matches("(?s).*messages +[1-9][0-9,]* in .*msgs/s.*"), r[1]);
        assertTrue(r[1].contains("p50") && r[1].contains("p99"), r[1]);
        assertTrue(r[1].matches("(?s).*echoed bytes  all [1-9][0-9,]* correct.*"), r[1]);
    }

    @Test
    void pingPongCountsMessagesOfTheMeasuredWindowOnly() throws Exception {
        EchoDemo.Result r = EchoDemo.pingPong(new EchoDemo.Options(3, 1000, Duration.ofMillis(200), 0, null));
        assertTrue(r.ok(), r.toString());
        assertEquals(3, r.connections());
        assertEquals(r.messages() * 1000, r.bytes());
        assertEquals(r.messages(), r.latency().count());
        assertTrue(r.measured().toMillis() >= 195, r.measured().toString());
    }

    /**
     * 32 MiB messages, more than both ends' socket buffers hold: written whole before reading,
     * the first one never came back (the demo hung at 0% CPU until killed). The window is
     * long enough for a round trip on a loaded machine (300 ms once saw none beside two builds).
     */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void messagesBiggerThanTheSocketBuffersAreEchoed() throws Exception {
        EchoDemo.Result r = EchoDemo.pingPong(new EchoDemo.Options(2, 32 << 20, Duration.ofSeconds(2), 0, null));
        assertTrue(r.ok(), r.toString());
        assertTrue(r.messages() > 0, r.toString());
        assertEquals(r.messages() * (32L << 20), r.bytes());
    }

    @Test
    void helpAndBadOptions() throws Exception {
        String[] help = run("--help");
        assertEquals("0", help[0]);
        assertTrue(help[1].contains("--connections") && help[1].contains("--serve [HOST:]PORT"), help[1]);
        String[] bad = run("--size", "0");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].startsWith("panago demo: --size must be at least 1"), bad[2]);
        assertEquals("2", run("--frobnicate", "1")[0]);
        String[] unknown = run("--frobnicate");
        assertEquals("2", unknown[0]);
        assertTrue(unknown[2].contains("unknown option --frobnicate"), unknown[2]);
        assertEquals("2", run("--serve", "70000")[0]);
        assertEquals("2", run("--duration")[0]);
    }

    @Test
    void parsesOptionsBothWays() {
        EchoDemo.Options o = EchoDemo.parse(new String[] {"--connections=7", "--size", "4096", "--duration=1.5s", "--procs", "1"});
        assertEquals(new EchoDemo.Options(7, 4096, Duration.ofMillis(1500), 1, null), o);
        assertEquals(Duration.ofMillis(250), EchoDemo.duration("250ms"));
        assertEquals(Duration.ofMinutes(2), EchoDemo.duration("2m"));
        assertEquals(Duration.ofSeconds(3), EchoDemo.duration("3"));
        assertThrows(IllegalArgumentException.class, () -> EchoDemo.duration("0"));
        assertThrows(IllegalArgumentException.class, () -> EchoDemo.duration("soon"));
        assertEquals(":8080", EchoDemo.parse(new String[] {"--serve", "8080"}).serve());
        assertEquals("127.0.0.1:8080", EchoDemo.parse(new String[] {"--serve=127.0.0.1:8080"}).serve());
        assertEquals("[::1]:0", EchoDemo.parse(new String[] {"--serve", "[::1]:0"}).serve());
        assertThrows(IllegalArgumentException.class, () -> EchoDemo.parse(new String[] {"--serve", "127.0.0.1:70000"}));
        assertNull(EchoDemo.parse(new String[] {"-h"}));
    }
}
