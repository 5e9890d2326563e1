package io.panago.bench;

import io.panago.Chan;
import io.panago.Go;
import io.panago.bench.net.Histogram;
import io.panago.net.TcpListener;
import io.panago.net.TcpStream;
import io.panago.sync.WaitGroup;

import java.io.IOException;
import java.io.PrintStream;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * {@code ./panago demo}: the seed's echo server made real and measured. {@code Go.run} with a
 * {@link TcpListener} accept loop and a goroutine per connection echoing what it reads, and
 * client goroutines, one per connection, doing ping-pong over loopback: write a message, read
 * its echo, check every byte, again. Prints connections, messages/s, MB/s and the round-trip
 * latency's p50/p99, and exits with 1 if any echoed byte differed or a connection failed.
 * {@code --serve [HOST:]PORT} runs only the server, until interrupted, for outside clients.
 */
public final class EchoDemo {
    private EchoDemo() {}

    /** What to run, from the command line. */
    record Options(int connections, int size, Duration duration, int procs, String serve) {
        static final Options DEFAULT = new Options(100, 64, Duration.ofSeconds(5), 0, null);
    }

    /** The outcome of a ping-pong run. */
    record Result(int connections, long messages, long bytes, long mismatched, Duration measured,
            Histogram latency, List<Throwable> failures) {
        boolean ok() {
            return mismatched == 0 && failures.isEmpty();
        }
    }

    static final String USAGE = """
            usage: ./panago demo [options]

            An echo server (TcpListener, a goroutine per connection) and ping-pong clients
            (a goroutine per connection) over loopback, in one Go.run; every echoed byte is
            checked. Prints connections, messages/s, MB/s and round-trip p50/p99; exits 1 if
            any byte differed or a connection failed.

              --connections N   client connections (default 100)
              --size BYTES      message size (default 64)
              --duration TIME   measured time, e.g. 5, 5s, 500ms, 1m (default 5s); a warm-up
                                of a fifth of it (at most 1 s) comes first
              --procs N         GOMAXPROCS (default: the runtime's, from GOMAXPROCS or the CPUs)
              --serve [HOST:]PORT  run only the echo server on PORT, on every address or on HOST's
                                (e.g. 127.0.0.1:9000; port 0 picks one)
                                until interrupted, for nc, socat or a load generator
              --help            this text
            """;

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    /** The demo's main, returning the exit status instead of exiting. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            err.println("panago demo: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        if (o == null) {
            out.print(USAGE);
            return 0;
        }
        if (o.procs() > 0) {
            Go.gomaxprocs(o.procs());
        }
        if (o.serve() != null) {
            serve(o.serve(), out);
            return 0;
        }
        out.printf(Locale.ROOT, "panago echo demo: %d connections, %d-byte messages, %s, GOMAXPROCS %d, loopback%n",
                o.connections(), o.size(), human(o.duration()), Go.gomaxprocs());
        Result r = pingPong(o);
        report(r, o, out);
        return r.ok() ? 0 : 1;
    }

    /** Parses the options; null for {@code --help}. */
    private static final List<String> OPTIONS =
            List.of("--connections", "--size", "--duration", "--procs", "--serve");

    static Options parse(String[] args) {
        Options d = Options.DEFAULT;
        int connections = d.connections(), size = d.size(), procs = d.procs();
        String serve = d.serve();
        Duration duration = d.duration();
        for (int i = 0; i < args.length; i++) {
            String a = args[i], v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (a.equals("--help") || a.equals("-h")) {
                return null;
            }
            if (!OPTIONS.contains(a)) {
                throw new IllegalArgumentException("unknown option " + a);
            }
            if (v == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                v = args[++i];
            }
            switch (a) {
                case "--connections" -> connections = positive(a, v);
                case "--size" -> size = positive(a, v);
                case "--duration" -> duration = duration(v);
                case "--procs" -> procs = positive(a, v);
                case "--serve" -> {
                    int colon = v.lastIndexOf(':');
                    int port = integer(a, v.substring(colon + 1));
                    serve = colon < 0 ? ":" + v : v;
                    if (port < 0 || port > 65535) {
                        throw new IllegalArgumentException("--serve: no such port " + v);
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        return new Options(connections, size, duration, procs, serve);
    }

    private static int integer(String opt, String v) {
        try {
            return Integer.parseInt(v.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + ": not a number: " + v);
        }
    }

    private static int positive(String opt, String v) {
        int n = integer(opt, v);
        if (n < 1) {
            throw new IllegalArgumentException(opt + " must be at least 1: " + v);
        }
        return n;
    }

    /** "5", "5s", "500ms", "1m" (seconds when unsuffixed); must be positive. */
    static Duration duration(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        Duration d;
        try {
            if (s.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            } else if (s.endsWith("s")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
            } else if (s.endsWith("m")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 60_000));
            } else {
                d = Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--duration: not a duration: " + v);
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("--duration must be positive: " + v);
        }
        return d;
    }

    /** The server half: an accept loop and a goroutine per connection, as in the seed. */
    private static void acceptLoop(TcpListener ln, int bufSize, WaitGroup echoes) {
        try {
            for (;;) {
                TcpStream s = ln.accept();
                echoes.go(() -> echo(s, bufSize));
            }
        } catch (SocketException closed) {
            if (!ln.isClosed()) {
                throw new IllegalStateException(closed);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Echoes until the client goes away (end of stream, reset or close). */
    private static void echo(TcpStream s, int bufSize) {
        try (s) {
            byte[] buf = new byte[bufSize];
            int n;
            while ((n = s.read(buf)) > 0) {
                s.writeAll(buf, 0, n);
            }
        } catch (IOException clientGone) {
            // a reset by the client ends its echo like end of stream does
        }
    }

    /** {@code --serve [HOST:]PORT}: the server alone, until the JVM is interrupted. */
    private static void serve(String address, PrintStream out) throws Exception {
        Go.run(() -> {
            TcpListener ln = TcpListener.bind(address);
            String where = address.startsWith(":") ? "all addresses" : ln.localAddress().getAddress().getHostAddress();
            out.printf(Locale.ROOT, "panago echo server on port %d, %s (GOMAXPROCS %d, poller %s);"
                    + " Ctrl-C to stop%n", ln.localAddress().getPort(), where, Go.gomaxprocs(),
                    System.getProperty("panago.netpoll", "epoll"));
            out.flush();
            acceptLoop(ln, 32 * 1024, new WaitGroup());
            return null;
        });
    }

    /** One client connection's state; only its own goroutine touches it until the end. */
    private static final class Client {
        final Histogram latency = new Histogram();
        long messages, bytes, mismatched;
    }

    /** Phases the main goroutine announces to the clients. */
    private static volatile int phase;
    private static final int WARMUP = 0, MEASURE = 1, STOP = 2;

    static Result pingPong(Options o) throws Exception {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Client> clients = new ArrayList<>();
        long[] window = new long[2];
        phase = WARMUP;
        Go.run(() -> {
            TcpListener ln = TcpListener.bind("127.0.0.1:0");
            WaitGroup echoes = new WaitGroup(), server = new WaitGroup(), connected = new WaitGroup(),
                    done = new WaitGroup();
            server.go(() -> acceptLoop(ln, Math.max(o.size(), 32 * 1024), echoes));
            connected.add(o.connections());
            for (int i = 0; i < o.connections(); i++) {
                Client c = new Client();
                clients.add(c);
                int id = i;
                done.go(() -> {
                    TcpStream s = null;
                    try {
                        s = TcpStream.connect(ln.localAddress());
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        connected.done();
                    }
                    if (s != null) {
                        try (TcpStream stream = s) {
                            client(stream, id, o.size(), c);
                        } catch (Throwable t) {
                            failures.add(t);
                        }
                    }
                });
            }
            connected.await();
            Go.sleep(warmup(o.duration()));
            window[0] = System.nanoTime();
            phase = MEASURE;
            Go.sleep(o.duration());
            phase = STOP;
            window[1] = System.nanoTime();
            done.await();
            ln.close();
            server.await();
            echoes.await();
            return null;
        });
        Histogram latency = new Histogram();
        long messages = 0, bytes = 0, mismatched = 0;
        for (Client c : clients) {
            messages += c.messages;
            bytes += c.bytes;
            mismatched += c.mismatched;
            latency.add(c.latency);
        }
        return new Result(clients.size(), messages, bytes, mismatched,
                Duration.ofNanos(window[1] - window[0]), latency, List.copyOf(failures));
    }

    private static Duration warmup(Duration d) {
        Duration fifth = d.dividedBy(5);
        return fifth.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : fifth;
    }

    /**
     * Ping-pong until told to stop. Each message carries the connection and its sequence
     * number up front, so an echo from another connection or a stale one is caught too.
     */
    private static void client(TcpStream s, int id, int size, Client c) throws IOException {
        byte[] msg = new byte[size], got = new byte[size];
        new SplittableRandom(id).nextBytes(msg);
        // A message bigger than the socket buffers hold would never be echoed whole while its
        // client still writes it: the server's echo would fill them and stop reading. So a big
        // one is written by a second goroutine on a clone while this one reads.
        TcpStream w = size > WRITE_THEN_READ_MAX ? s.tryClone() : null;
        try (w) {
            for (long seq = 0; phase != STOP; seq++) {
                stamp(msg, id, seq);
                long t0 = System.nanoTime();
                if (w == null) {
                    s.writeAll(msg);
                    s.readFully(got);
                } else {
                    writeWhileReading(w, s, msg, got);
                }
                record(c, size, msg, got, System.nanoTime() - t0);
            }
        }
    }

    /** Messages up to this size are written whole, then read (far below any socket buffers). */
    static final int WRITE_THEN_READ_MAX = 64 * 1024;

    private static void writeWhileReading(TcpStream w, TcpStream r, byte[] msg, byte[] got) throws IOException {
        Chan<IOException> wrote = Chan.make(1);
        Go.go(() -> {
            IOException failed = null;
            try {
                w.writeAll(msg);
            } catch (IOException e) {
                failed = e;
            }
            wrote.send(failed);
        });
        IOException failed;
        try {
            r.readFully(got);
        } finally {
            failed = wrote.recv();
        }
        if (failed != null) {
            throw failed;
        }
    }

    private static void record(Client c, int size, byte[] msg, byte[] got, long t) {
        if (phase == MEASURE) {
            c.latency.record(t);
            c.messages++;
            c.bytes += size;
        }
        int at = Arrays.mismatch(msg, got);
        if (at >= 0) {
            for (int i = at; i < size; i++) {
                if (msg[i] != got[i]) {
                    c.mismatched++;
                }
            }
        }
    }

    private static void stamp(byte[] msg, int id, long seq) {
        long tag = ((long) id << 40) ^ seq;
        for (int i = 0; i < Math.min(8, msg.length); i++) {
            msg[i] = (byte) (tag >>> (8 * i));
        }
    }

    static void report(Result r, Options o, PrintStream out) {
        double secs = r.measured().toNanos() / 1e9;
        out.printf(Locale.ROOT, "  connections   %,d%n", r.connections());
        out.printf(Locale.ROOT, "  messages      %,d in %.2f s  (%,.0f msgs/s)%n", r.messages(), secs,
                r.messages() / secs);
        out.printf(Locale.ROOT, "  throughput    %.1f MB/s each way%n", r.bytes() / secs / 1e6);
        out.printf(Locale.ROOT, "  latency       p50 %s   p99 %s   max %s  (round trip)%n",
                micros(r.latency().percentile(0.50)), micros(r.latency().percentile(0.99)),
                micros(r.latency().max()));
        if (r.mismatched() == 0) {
            out.printf(Locale.ROOT, "  echoed bytes  all %,d correct%n", r.bytes());
        } else {
            out.printf(Locale.ROOT, "  MISMATCH      %,d echoed bytes differed%n", r.mismatched());
        }
        if (!r.failures().isEmpty()) {
            out.printf(Locale.ROOT, "  FAILED        %d connections, first: %s%n", r.failures().size(),
                    r.failures().getFirst());
        }
    }

    private static String micros(long nanos) {
        return nanos >= 1_000_000 ? String.format(Locale.ROOT, "%.2f ms", nanos / 1e6)
                : String.format(Locale.ROOT, "%.0f µs", nanos / 1e3);
    }

    private static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
