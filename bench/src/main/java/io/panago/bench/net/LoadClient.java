package io.panago.bench.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The one load client every server is measured with: a single-threaded NIO selector loop
 * driving all of a workload's connections, so that the client costs the same for every
 * server and fits on one core.
 *
 * <p>Implementation overview. Each connection is a byte stream whose content at offset
 * {@code i} is {@code PATTERN[i % PERIOD]} (PERIOD = 251, a prime that divides no message
 * size, so a lost, repeated or reordered chunk shows). Sends are slices of one precomputed
 * pattern buffer and every echoed byte is compared with it (a vectorized
 * {@link ByteBuffer#mismatch}), so checking costs little and sending copies nothing. A
 * connection keeps {@code inFlight} messages issued; a message is complete when the echo
 * stream has passed its last byte, and its latency runs from the moment it was issued (so
 * queueing behind earlier messages on the same connection counts) to the read that
 * completed it. Every connection reads at most once per readiness, so the client treats
 * its connections alike. The run is a warm-up, then a measured window: counters are
 * snapshotted at the window's edges and only messages completed inside it are recorded.
 * Nothing is allocated per message.
 *
 * <p>The first half of the warm-up runs on connections of its own, closed before the measured
 * ones open. A server with a thread or goroutine per connection runs its per-connection loop
 * in a frame entered once, when the connection was accepted: connections that come before
 * the JIT has compiled that loop keep an interpreted frame until on-stack replacement moves
 * it, which the JVM does for one frame per ~1,000 interpreted iterations (at 1,000
 * connections, ~1M messages, longer than any warm-up here), and every park and resume of
 * such a frame takes the continuation's slow path. A long-running server reaches the
 * compiled loop; the second set of connections measures that, not the JIT's warm-up. Servers
 * with an event loop (C, NIO, Netty, Go) are unaffected either way.
 */
final class LoadClient {
    /** How long to warm up and measure, and how long without any echo counts as a hang. */
    record Settings(Duration warmup, Duration measure, Duration stallTimeout) {
    }

    /**
     * What one measured window saw. {@code messages}, {@code bytes} and {@code latency}
     * are the main group's; {@code starved} counts connections (of either group) that
     * completed nothing inside the window; {@code serverCpuNanos} (user plus system) and
     * {@code serverUserNanos} (user space only) are -1 if unknown.
     */
    record Measurement(long messages, long bytes, long nanos, Histogram latency,
                       long probeMessages, Histogram probeLatency, int starved,
                       long serverCpuNanos, long serverUserNanos, long clientCpuNanos) {
        double messagesPerSecond() {
            return messages * 1e9 / nanos;
        }

        double megabytesPerSecond() {
            return bytes * 1e3 / nanos;
        }

        /** Server CPU time per echoed message of the main group, in nanoseconds. */
        double serverCpuPerMessage() {
            return messages == 0 || serverCpuNanos < 0 ? Double.NaN : (double) serverCpuNanos / messages;
        }

        /** The part of {@link #serverCpuPerMessage()} spent in user space (the rest is the kernel's). */
        double serverUserPerMessage() {
            return messages == 0 || serverUserNanos < 0 ? Double.NaN : (double) serverUserNanos / messages;
        }

        /** The server's CPU use over the window, where 1.0 is one core busy all the time. */
        double serverCpuShare() {
            return serverCpuNanos < 0 ? Double.NaN : (double) serverCpuNanos / nanos;
        }

        /** The load client's (this JVM's) CPU use over the window, as {@link #serverCpuShare()}. */
        double clientCpuShare() {
            return (double) clientCpuNanos / nanos;
        }
    }

    private static final int PERIOD = 251;
    private static final int CHUNK = 256 * 1024;
    private static final ByteBuffer PATTERN = pattern();

    private final Selector selector;
    private final List<Conn> conns = new ArrayList<>();
    private final ByteBuffer recvBuf = ByteBuffer.allocateDirect(CHUNK);
    private final ByteBuffer sendView = PATTERN.duplicate();
    private final ByteBuffer expectView = PATTERN.duplicate();
    private final Histogram latency = new Histogram();
    private final Histogram probeLatency = new Histogram();
    private boolean measuring;
    /** Stop at the end of the warm-up, measuring nothing (the throw-away first half). */
    private boolean warmUpOnly;
    private long batchNow;
    private long progress;

    private LoadClient() throws IOException {
        selector = Selector.open();
    }

    /**
     * Drives the echo server at {@code server} with {@code workload}, and measures it: the
     * first half of the warm-up on connections that are then closed, the second half and the
     * measured window on new ones; {@code serverCpu} gives the server's CPU time (null if
     * unknown), sampled at the edges of the measured window.
     *
     * @throws IOException if a connection fails, the server closes one, an echoed byte
     *     differs from what was sent, or nothing comes back for {@code stallTimeout}
     */
    static Measurement run(InetSocketAddress server, Workload workload, Settings settings,
                           Supplier<ProcStat.Cpu> serverCpu) throws IOException {
        Duration first = settings.warmup().dividedBy(2);
        if (first.toNanos() > 0) {
            LoadClient warm = new LoadClient();
            warm.warmUpOnly = true;
            try {
                warm.drive(server, workload, new Settings(first, Duration.ZERO, settings.stallTimeout()), serverCpu);
            } finally {
                warm.close();
            }
        }
        LoadClient client = new LoadClient();
        try {
            return client.drive(server, workload, new Settings(settings.warmup().minus(first),
                    settings.measure(), settings.stallTimeout()), serverCpu);
        } finally {
            client.close();
        }
    }

    private Measurement drive(InetSocketAddress server, Workload workload, Settings settings,
                              Supplier<ProcStat.Cpu> serverCpu) throws IOException {
        for (Workload.Group g : workload.groups()) {
            boolean probe = g != workload.main();
            for (int i = 0; i < g.connections(); i++) {
                conns.add(connect(server, g, probe));
            }
        }
        long now = System.nanoTime();
        for (Conn c : conns) {
            issue(c, now);
            flush(c);
        }
        long phaseEnd = now + settings.warmup().toNanos();
        long stallNanos = settings.stallTimeout().toNanos();
        long lastProgressAt = now;
        long lastProgress = 0;
        long windowStart = 0, selfCpu0 = 0, bytes0 = 0;
        ProcStat.Cpu cpu0 = null;
        while (true) {
            batchNow = Long.MIN_VALUE;
            try {
                selector.select(this::onReady, 100);
            } catch (ConnectionFailure f) {
                throw f.getCause();
            }
            now = System.nanoTime();
            if (progress != lastProgress) {
                lastProgress = progress;
                lastProgressAt = now;
            } else if (now - lastProgressAt > stallNanos) {
                throw new IOException("stalled: no echo for " + settings.stallTimeout().toMillis()
                        + " ms (" + outstanding() + " messages outstanding)");
            }
            if (now < phaseEnd) {
                continue;
            }
            if (!measuring) {
                if (warmUpOnly) {
                    return null;
                }
                measuring = true;
                latency.reset();
                probeLatency.reset();
                for (Conn c : conns) {
                    c.completedAtWindowStart = c.completed;
                }
                bytes0 = mainReceived();
                cpu0 = serverCpu.get();
                selfCpu0 = ProcStat.selfCpuNanos();
                windowStart = System.nanoTime();
                phaseEnd = windowStart + settings.measure().toNanos();
                continue;
            }
            ProcStat.Cpu cpu = cpu0 == null ? null : serverCpu.get().minus(cpu0);
            long selfCpu = ProcStat.selfCpuNanos() - selfCpu0;
            long nanos = System.nanoTime() - windowStart;
            long messages = 0, probeMessages = 0;
            int starved = 0;
            for (Conn c : conns) {
                long done = c.completed - c.completedAtWindowStart;
                if (c.probe) {
                    probeMessages += done;
                } else {
                    messages += done;
                }
                if (done == 0) {
                    starved++;
                }
            }
            if (messages + probeMessages == 0) {
                throw new IOException("stalled: no echo in the whole measured window ("
                        + outstanding() + " messages outstanding)");
            }
            return new Measurement(messages, mainReceived() - bytes0, nanos, latency,
                    probeMessages, probeLatency, starved, cpu == null ? -1 : cpu.total(),
                    cpu == null ? -1 : cpu.user(), selfCpu);
        }
    }

    private Conn connect(InetSocketAddress server, Workload.Group g, boolean probe) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(server);
            ch.configureBlocking(false);
            Conn c = new Conn(ch, g, probe);
            c.key = ch.register(selector, SelectionKey.OP_READ, c);
            return c;
        } catch (IOException e) {
            ch.close();
            throw new IOException("connection " + (conns.size() + 1) + " to " + server + ": " + e, e);
        }
    }

    private void onReady(SelectionKey key) {
        Conn c = (Conn) key.attachment();
        try {
            if (key.isReadable()) {
                receive(c);
            }
            flush(c);
        } catch (IOException e) {
            throw new ConnectionFailure(e);
        }
    }

    private void receive(Conn c) throws IOException {
        recvBuf.clear();
        int n = c.ch.read(recvBuf);
        if (n < 0) {
            throw new SocketException("the server closed a connection after echoing " + c.received + " bytes");
        }
        if (n == 0) {
            return;
        }
        if (c.received + n > c.sent) {
            throw new IOException("the server echoed more bytes than were sent (" + (c.received + n)
                    + " > " + c.sent + ")");
        }
        recvBuf.flip();
        int at = (int) (c.received % PERIOD);
        expectView.limit(at + n).position(at);
        int bad = recvBuf.mismatch(expectView);
        if (bad >= 0) {
            throw new IOException("echo mismatch at stream offset " + (c.received + bad));
        }
        c.received += n;
        progress++;
        long now = now();
        Histogram h = c.probe ? probeLatency : latency;
        long done = c.received / c.group.messageSize();
        int inFlight = c.group.inFlight();
        while (c.completed < done) {
            if (measuring) {
                h.record(now - c.issuedAt[(int) (c.completed % inFlight)]);
            }
            c.completed++;
        }
        issue(c, now);
    }

    private static void issue(Conn c, long now) {
        int inFlight = c.group.inFlight();
        while (c.issued - c.completed < inFlight) {
            c.issuedAt[(int) (c.issued % inFlight)] = now;
            c.issued++;
        }
    }

    private void flush(Conn c) throws IOException {
        long pending = c.issued * c.group.messageSize() - c.sent;
        while (pending > 0) {
            int len = (int) Math.min(pending, CHUNK);
            int at = (int) (c.sent % PERIOD);
            sendView.limit(at + len).position(at);
            int w = c.ch.write(sendView);
            c.sent += w;
            pending -= w;
            if (w < len) {
                break;
            }
        }
        boolean wantWrite = pending > 0;
        if (wantWrite != c.wantWrite) {
            c.wantWrite = wantWrite;
            c.key.interestOps(wantWrite ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }
    }

    private long now() {
        if (batchNow == Long.MIN_VALUE) {
            batchNow = System.nanoTime();
        }
        return batchNow;
    }

    private long mainReceived() {
        long sum = 0;
        for (Conn c : conns) {
            if (!c.probe) {
                sum += c.received;
            }
        }
        return sum;
    }

    private long outstanding() {
        long sum = 0;
        for (Conn c : conns) {
            sum += c.issued - c.completed;
        }
        return sum;
    }

    private void close() throws IOException {
        IOException failure = null;
        for (Conn c : conns) {
            try {
                // A reset, not a FIN: no TIME_WAIT left behind. A whole run opens ~25,000
                // connections, and with their ports held for a minute a bind to port 0
                // elsewhere on the machine can run out of them.
                try {
                    c.ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                } catch (IOException e) {
                    // already reset or closed: nothing to linger
                }
                c.ch.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        selector.close();
        if (failure != null) {
            throw failure;
        }
    }

    private static ByteBuffer pattern() {
        ByteBuffer b = ByteBuffer.allocateDirect(PERIOD + CHUNK);
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) ((i % PERIOD) * 37 + 11));
        }
        return b.asReadOnlyBuffer();
    }

    private static final class Conn {
        final SocketChannel ch;
        final Workload.Group group;
        final boolean probe;
        final long[] issuedAt;
        SelectionKey key;
        long sent, received, issued, completed, completedAtWindowStart;
        boolean wantWrite;

        Conn(SocketChannel ch, Workload.Group group, boolean probe) {
            this.ch = ch;
            this.group = group;
            this.probe = probe;
            this.issuedAt = new long[group.inFlight()];
        }
    }

    /** Carries a connection's IOException out of the selector's callback. */
    private static final class ConnectionFailure extends RuntimeException {
        ConnectionFailure(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }
}
