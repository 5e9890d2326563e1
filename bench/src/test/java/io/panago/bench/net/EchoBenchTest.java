package io.panago.bench.net;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A quick run of the whole harness, so that it cannot rot: every server below starts in its
 * own process, echoes correctly for every workload, and is gone afterwards. Nothing here
 * asserts on speed.
 */
class EchoBenchTest {
    private static final List<String> SERVERS = List.of("c-epoll", "nio", "netty", "vthreads", "panago");

    @Test
    void quickRunMeasuresEveryServerOnEveryWorkload() throws Exception {
        EchoBench.Options options = EchoBench.parse("--quick", "--no-pin",
                "--servers", String.join(",", SERVERS), "--workloads", "pingpong-10,bulk-2",
                "--warmup", "0.2", "--measure", "0.4");
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        EchoBench.Run run = EchoBench.run(options, new PrintStream(progress, true, StandardCharsets.UTF_8));

        assertEquals(List.of(), run.skipped(), "gcc is needed for the C peer");
        assertEquals(SERVERS.size() * 2, run.results().size());
        for (EchoBench.Result r : run.results()) {
            String what = r.server() + " on " + r.workload().name();
            assertNull(r.error(), what);
            LoadClient.Measurement m = r.measurement();
            assertTrue(m.messages() > 0, what + ": no message echoed");
            assertEquals(m.messages(), m.latency().count(), what);
            assertTrue(m.serverCpuNanos() >= 0, what);
            assertTrue(m.serverUserNanos() >= 0 && m.serverUserNanos() <= m.serverCpuNanos(), what);
            assertEquals(0, m.starved(), what);
            if (r.workload().probe() != null) {
                assertTrue(m.probeMessages() > 0, what + ": the probe got no echo");
            }
        }
        assertEquals(0, ProcessHandle.current().children().filter(ProcessHandle::isAlive).count(),
                "a server process outlived the run");

        ByteArrayOutputStream report = new ByteArrayOutputStream();
        Report.print(run, "EchoBenchTest", new PrintStream(report, true, StandardCharsets.UTF_8));
        String text = report.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("### pingpong-10: "), text);
        assertTrue(text.contains("### bulk-2: "), text);
        for (String s : SERVERS) {
            assertEquals(2, text.lines().filter(l -> l.startsWith("| " + s + " | ")).count(), text);
        }
    }

    @Test
    void aServerThatCannotStartIsReportedAndTheRunGoesOnWorkloadByWorkload() throws Exception {
        EchoBench.Options options = EchoBench.parse("--quick", "--no-pin", "--interleave", "--servers", "nio",
                "--variant", "broken=vthreads:-XX:+NoSuchJvmOption", "--workloads", "pingpong-1,pingpong-10",
                "--warmup", "0.1", "--measure", "0.2");
        EchoBench.Run run = EchoBench.run(options, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(List.of("nio pingpong-1", "broken pingpong-1", "nio pingpong-10", "broken pingpong-10"),
                run.results().stream().map(r -> r.server() + " " + r.workload().name()).toList());
        for (EchoBench.Result r : run.results()) {
            if (r.server().equals("nio")) {
                assertNull(r.error());
            } else {
                assertTrue(r.error().startsWith("cannot start:") && r.error().contains("NoSuchJvmOption"), r.error());
            }
        }
    }

    @Test
    void roundsRepeatTheRunAndTheReportEndsWithTheirMedians() throws Exception {
        EchoBench.Options options = EchoBench.parse("--quick", "--no-pin", "--rounds", "2", "--servers", "nio",
                "--workloads", "pingpong-1", "--warmup", "0.1", "--measure", "0.2");
        EchoBench.Run run = EchoBench.run(options, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(List.of("nio pingpong-1 1", "nio pingpong-1 2"),
                run.results().stream().map(r -> r.server() + " " + r.workload().name() + " " + r.round()).toList());
        assertTrue(run.results().stream().allMatch(EchoBench.Result::ok));

        ByteArrayOutputStream report = new ByteArrayOutputStream();
        Report.print(run, "EchoBenchTest", new PrintStream(report, true, StandardCharsets.UTF_8));
        String text = report.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("## Round 1 of 2") && text.contains("## Round 2 of 2"), text);
        assertTrue(text.contains("## Medians over 2 rounds"), text);
        assertEquals(1, text.lines().filter(l -> l.startsWith("| nio | 2 | ")).count(), text);
        assertEquals(3, text.lines().filter(l -> l.startsWith("| nio | ")).count(), text);
        assertThrows(IllegalArgumentException.class, () -> EchoBench.parse("--rounds", "0"));
    }

    @Test
    void mediansAreOfTheMiddleRoundsAndUnknownIfAnyRoundIsUnknown() {
        List<LoadClient.Measurement> odd = List.of(rate(300, 5), rate(100, -1), rate(200, 7));
        assertEquals(200, Report.median(odd, LoadClient.Measurement::messagesPerSecond), 1e-9);
        assertTrue(Double.isNaN(Report.median(odd, LoadClient.Measurement::serverCpuShare)));
        List<LoadClient.Measurement> even = List.of(rate(400, 1), rate(100, 1), rate(200, 1), rate(300, 1));
        assertEquals(250, Report.median(even, LoadClient.Measurement::messagesPerSecond), 1e-9);
        assertTrue(Double.isNaN(Report.median(List.of(), LoadClient.Measurement::messagesPerSecond)));
    }

    /** {@code perSecond} messages in one second, the server's CPU {@code cpuMillis} (-1: unknown). */
    private static LoadClient.Measurement rate(long perSecond, long cpuMillis) {
        return new LoadClient.Measurement(perSecond, 64 * perSecond, 1_000_000_000L, new Histogram(), 0,
                new Histogram(), 0, cpuMillis < 0 ? -1 : cpuMillis * 1_000_000, cpuMillis < 0 ? -1 : cpuMillis * 500_000, 0);
    }

    @Test
    void connectDrivesAServerAlreadyRunning() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, EchoServers.loopback())) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (true) { // the warm-up's connections, then the measured ones
                        Socket s = ss.accept();
                        Thread.ofPlatform().daemon().start(() -> {
                            try (s) {
                                s.getInputStream().transferTo(s.getOutputStream());
                            } catch (IOException e) {
                                // the client hung up
                            }
                        });
                    }
                } catch (IOException e) {
                    // the run is over
                }
            });
            EchoBench.Options options = EchoBench.parse("--quick", "--no-pin", "--connect",
                    Integer.toString(ss.getLocalPort()), "--workloads", "pingpong-1", "--warmup", "0.1", "--measure", "0.2");
            EchoBench.Run run = EchoBench.run(options, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            EchoBench.Result r = run.results().getFirst();
            assertEquals("port " + ss.getLocalPort(), r.server());
            assertNull(r.error());
            assertTrue(r.measurement().messages() > 0);
            assertEquals(-1, r.measurement().serverCpuNanos(), "no --pid: the server's CPU is unknown");
        }
    }

    @Test
    void optionsNameServersWorkloadsAndVariants() {
        EchoBench.Options o = EchoBench.parse("--servers", "nio,c-epoll", "--workloads", "bulk-10",
                "--variant", "vthreads-2=vthreads:-Djdk.virtualThreadScheduler.parallelism=2 -Xmx1g", "--measure", "5");
        assertEquals(List.of("nio", "c-epoll", "vthreads-2"),
                o.servers().stream().map(Peers.Spec::label).toList());
        assertEquals(List.of("-Djdk.virtualThreadScheduler.parallelism=2", "-Xmx1g"), o.servers().get(2).jvmOptions());
        assertEquals("vthreads", o.servers().get(2).kind());
        assertEquals(List.of("bulk-10"), o.workloads().stream().map(Workload::name).toList());
        assertEquals(5000, o.measure().toMillis());
        assertEquals(Peers.KINDS, EchoBench.parse().servers().stream().map(Peers.Spec::kind).toList());
        assertThrows(IllegalArgumentException.class, () -> EchoBench.parse("--servers", "rust"));
        assertThrows(IllegalArgumentException.class, () -> EchoBench.parse("--workloads", "nope"));
        assertThrows(IllegalArgumentException.class, () -> EchoBench.parse("--warmup"));
    }
}
