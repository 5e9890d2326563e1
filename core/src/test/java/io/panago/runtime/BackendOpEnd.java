package io.panago.runtime;

import io.panago.runtime.BackendReadinessTests.Group;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import static io.panago.runtime.BackendReadinessTests.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One end of a connection driven through completion operations, as the net layer keeps it: a
 * socket (a Linux descriptor, or a handle of the IOCP fake), its PollDesc, and one
 * {@link NetpollOp} per direction. Shared by the io_uring and IOCP tests.
 */
final class BackendOpEnd {
    final long handle;
    final PollDesc pd;
    final NetpollOp r, w;

    BackendOpEnd(long handle, PollDesc pd, NetpollOp r, NetpollOp w) {
        this.handle = handle;
        this.pd = pd;
        this.r = r;
        this.w = w;
    }

    void sendAll(byte[] b) {
        int off = 0;
        while (off < b.length) {
            assertEquals(PollDesc.OK, w.send(b, off, b.length - off, 0));
            long n = w.result();
            assertTrue(n > 0, () -> "send: " + BackendFds.describe(n));
            off += (int) n;
        }
    }

    void recvFully(byte[] b) {
        int off = 0;
        while (off < b.length) {
            assertEquals(PollDesc.OK, r.recv(b, off, b.length - off, 0));
            long n = r.result();
            assertTrue(n > 0, () -> "recv: " + BackendFds.describe(n));
            off += (int) n;
        }
    }

    /**
     * Each pair {client, server} echoes random-sized chunks through ops on both ends, with read
     * deadlines set and cleared that never expire in time; every byte must come back, and
     * nobody may stay parked. {@code shutdownSend} ends a client's sending (the server then
     * sees end of stream).
     */
    static void echoStress(List<BackendOpEnd[]> pairs, int rounds, Consumer<BackendOpEnd> shutdownSend) throws Exception {
        AtomicLong bytes = new AtomicLong();
        Group g = new Group(2 * pairs.size());
        for (int c = 0; c < pairs.size(); c++) {
            BackendOpEnd client = pairs.get(c)[0], server = pairs.get(c)[1];
            int seed = c;
            g.go(() -> {
                byte[] buf = new byte[8192];
                for (;;) {
                    assertEquals(PollDesc.OK, server.r.recv(buf, 0, buf.length, 0));
                    long n = server.r.result();
                    if (n == 0) {
                        return;
                    }
                    assertTrue(n > 0, () -> "server recv: " + BackendFds.describe(n));
                    server.sendAll(Arrays.copyOf(buf, (int) n));
                }
            });
            g.go(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                for (int i = 0; i < rounds; i++) {
                    byte[] msg = pattern(1 + rnd.nextInt(6000), i);
                    client.pd.setDeadline(rnd.nextBoolean() ? Sched.nanotime() + 30_000_000_000L : 0, PollDesc.MODE_READ);
                    client.sendAll(msg);
                    byte[] back = new byte[msg.length];
                    client.recvFully(back);
                    assertArrayEquals(msg, back);
                    bytes.addAndGet(msg.length);
                }
                shutdownSend.accept(client);
            });
        }
        g.join(60);
        assertTrue(bytes.get() > (long) pairs.size() * rounds);
    }
}
