package io.panago.bench.net;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load client against small in-process servers, some of them broken on purpose. */
class LoadClientTest {
    private static final LoadClient.Settings SHORT =
            new LoadClient.Settings(Duration.ofMillis(100), Duration.ofMillis(300), Duration.ofSeconds(1));
    /** A server that used no CPU at all. */
    private static final ProcStat.Cpu IDLE = new ProcStat.Cpu(0, 0);

    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeServers() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    /** A thread-per-connection server whose connections run {@code handler}. */
    private InetSocketAddress server(Handler handler) throws IOException {
        ServerSocket ss = new ServerSocket(0, 50, EchoServers.loopback());
        open.add(ss);
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (true) {
                    Socket s = ss.accept();
                    open.add(s);
                    Thread.ofPlatform().daemon().start(() -> {
                        try (s) {
                            handler.handle(s.getInputStream(), s.getOutputStream());
                        } catch (IOException e) {
                            // the client hung up
                        }
                    });
                }
            } catch (IOException e) {
                // closed by the test
            }
        });
        return new InetSocketAddress(EchoServers.loopback(), ss.getLocalPort());
    }

    private interface Handler {
        void handle(InputStream in, OutputStream out) throws IOException;
    }

    private static void echo(InputStream in, OutputStream out) throws IOException {
        in.transferTo(out);
    }

    @Test
    void correctEchoIsMeasuredMessageByMessage() throws IOException {
        Workload w = Workload.bulk(2);
        LoadClient.Measurement m = LoadClient.run(server(LoadClientTest::echo), w, SHORT, () -> IDLE);
        assertTrue(m.messages() > 0, "no bulk message completed");
        assertTrue(m.probeMessages() > 0, "no probe message completed");
        assertEquals(m.messages(), m.latency().count());
        assertEquals(m.probeMessages(), m.probeLatency().count());
        long slack = (long) w.main().connections() * w.main().inFlight() * w.main().messageSize();
        assertTrue(Math.abs(m.bytes() - m.messages() * w.main().messageSize()) <= slack,
                m.bytes() + " bytes for " + m.messages() + " messages");
        assertEquals(0, m.starved());
    }

    @Test
    void aChangedByteFailsTheRun() throws IOException {
        InetSocketAddress addr = server((in, out) -> {
            byte[] buf = new byte[4096];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                if (total <= 1000 && total + n > 1000) {
                    buf[(int) (1000 - total)] ^= 1;
                }
                total += n;
                out.write(buf, 0, n);
            }
        });
        IOException e = assertThrows(IOException.class,
                () -> LoadClient.run(addr, Workload.pipelined(1), SHORT, () -> IDLE));
        assertTrue(e.getMessage().contains("echo mismatch at stream offset 1000"), e.getMessage());
    }

    @Test
    void aServerThatNeverAnswersIsReportedAsStalled() throws IOException {
        InetSocketAddress addr = server((in, out) -> in.transferTo(OutputStream.nullOutputStream()));
        LoadClient.Settings longWindow =
                new LoadClient.Settings(Duration.ofMillis(100), Duration.ofSeconds(60), Duration.ofMillis(500));
        long t0 = System.nanoTime();
        IOException e = assertThrows(IOException.class,
                () -> LoadClient.run(addr, Workload.pingPong(3), longWindow, () -> IDLE));
        assertTrue(e.getMessage().startsWith("stalled: no echo for 500 ms (3 messages outstanding)"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(30).toNanos(), "the stall was not noticed in time");
    }

    @Test
    void aWindowWithoutAnyEchoFailsEvenBeforeTheStallTimeout() throws IOException {
        InetSocketAddress addr = server((in, out) -> in.transferTo(OutputStream.nullOutputStream()));
        LoadClient.Settings longStall =
                new LoadClient.Settings(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofSeconds(60));
        IOException e = assertThrows(IOException.class,
                () -> LoadClient.run(addr, Workload.pingPong(2), longStall, () -> IDLE));
        assertTrue(e.getMessage().startsWith("stalled: no echo in the whole measured window (2 messages outstanding)"),
                e.getMessage());
    }

    @Test
    void aServerClosingAConnectionFailsTheRun() throws IOException {
        InetSocketAddress addr = server((in, out) -> {
            byte[] buf = new byte[64];
            int n = in.read(buf);
            out.write(buf, 0, n);
        });
        IOException e = assertThrows(IOException.class,
                () -> LoadClient.run(addr, Workload.pingPong(1), SHORT, () -> IDLE));
        assertTrue(e.getMessage().contains("closed a connection after echoing 64 bytes")
                || e.getMessage().contains("reset"), e.getMessage());
    }

    @Test
    void aConnectionTheServerNeverServesCountsAsStarved() throws IOException {
        InetSocketAddress addr = server(new Handler() {
            private int connections;

            @Override
            public void handle(InputStream in, OutputStream out) throws IOException {
                boolean silent;
                synchronized (this) {
                    silent = connections++ % 2 == 0; // the first of the warm-up pair and of the measured pair
                }
                if (silent) {
                    in.transferTo(OutputStream.nullOutputStream());
                } else {
                    echo(in, out);
                }
            }
        });
        LoadClient.Measurement m = LoadClient.run(addr, Workload.pingPong(2), SHORT, () -> IDLE);
        assertEquals(1, m.starved());
        assertTrue(m.messages() > 0);
    }

    @Test
    void theFirstHalfOfTheWarmUpRunsOnConnectionsOfItsOwn() throws IOException {
        List<long[]> echoed = new CopyOnWriteArrayList<>();
        InetSocketAddress addr = server((in, out) -> {
            long[] bytes = new long[1];
            echoed.add(bytes);
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                bytes[0] += n;
            }
        });
        LoadClient.Measurement m = LoadClient.run(addr, Workload.pingPong(3), SHORT, () -> IDLE);
        assertTrue(m.messages() > 0);
        assertEquals(6, echoed.size(), "3 warm-up connections, then 3 measured ones");
        for (long[] bytes : echoed) {
            assertTrue(bytes[0] > 0, "a connection that was never driven");
        }
    }
}
