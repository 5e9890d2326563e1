package io.panago.net;

import io.panago.Chan;
import io.panago.Go;
import io.panago.Select;
import io.panago.context.CancelContext;
import io.panago.context.Context;
import io.panago.net.NetStormTest.Kind;
import io.panago.sync.ErrGroup;
import io.panago.sync.Mutex;
import io.panago.sync.WaitGroup;
import io.panago.time.Ticker;
import io.panago.time.Time;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import static io.panago.net.NetStormTest.bounded;
import static io.panago.net.NetStormTest.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * User scenarios: the programs a Java developer writes with this library (a line protocol
 * server behind {@code BufferedReader}/{@code PrintWriter}, a proxy built on
 * {@code transferTo}, a chat hub on channels and {@code Select}, a context-driven graceful
 * shutdown, handlers that do file I/O through {@link Go#blocking}, framed protocols on
 * {@code DataInputStream}), each run with goroutines, platform threads and virtual threads as
 * clients, at GOMAXPROCS 1 and 2. They assert on content and termination only; the generous
 * limits turn a hang into a failure with a goroutine dump. The per-class check of
 * {@link NetTesting} sees that no descriptor and no goroutine is left behind. It showed that
 * a {@code PrintWriter} shared by goroutines hangs unless a {@link Mutex} guards it (the
 * monitor held across a park that the README warns of; see {@link TcpStream#inputStream()}).
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a backstop: the tests bound their own waits
class ScenarioHuntTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final int[] PROCS = {1, 2};
    /**
     * Multiplies every test's inner rounds: 2 by default (about 20 s per backend on two
     * cores), {@code -Dpanago.test.rounds=N} for a longer hunt.
     */
    private static final int ROUNDS = Math.max(1, Integer.getInteger("panago.test.rounds", 2));

    private static void atEachGomaxprocs(NetTesting.Body body) throws Exception {
        NetTesting.atEachProcs(body, PROCS);
    }

    private static Kind kind(int i) {
        return Kind.values()[i % Kind.values().length];
    }

    private static BufferedReader reader(TcpStream s) {
        return new BufferedReader(new InputStreamReader(s.inputStream(), StandardCharsets.UTF_8));
    }

    private static void await(Latch l, Queue<Throwable> errors, String what) {
        if (!l.await(LIMIT)) {
            String dump = Go.dump();
            System.err.println("TIMEOUT " + what + "; dump:\n" + dump);
            AssertionError e = new AssertionError(what + ": " + l.count() + " still running\n" + dump);
            errors.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Accepts until the listener is closed, running {@code handler} per connection. */
    private interface Handler {
        void serve(TcpStream s) throws Exception;
    }

    /**
     * An accept loop in a goroutine; each connection is served in a goroutine of its own and
     * closed afterwards. Counts down {@code done} once the loop and every handler ended.
     */
    private static void serve(TcpListener ln, Queue<Throwable> errors, Latch done, Handler h) {
        WaitGroup wg = new WaitGroup();
        Go.go(() -> {
            try {
                for (;;) {
                    TcpStream s;
                    try {
                        s = ln.accept();
                    } catch (SocketException e) {
                        if (ln.isClosed()) {
                            break;
                        }
                        throw e;
                    }
                    wg.go(() -> {
                        try (s) {
                            h.serve(s);
                        } catch (Throwable t) {
                            errors.add(t);
                        }
                    });
                }
                wg.await();
            } catch (Throwable t) {
                errors.add(t);
            } finally {
                done.countDown();
            }
        });
    }

    // ------------------------------------------------------------------------------------
    // 1. A line protocol server (a tiny Redis): pipelined requests, many kinds of clients.

    /**
     * The server of a line protocol: {@code ECHO x} answers {@code x}, {@code ADD a b} the sum,
     * {@code BIG n} a line of n letters, {@code QUIT} {@code BYE} and hangs up. It flushes
     * only when no further request is already buffered ({@code BufferedReader.ready()}, which
     * asks the stream's {@code available()}), as a pipelining server does.
     */
    private static void lineHandler(TcpStream s) throws IOException {
        BufferedReader in = reader(s);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(s.outputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.split(" ", 3);
            switch (w[0]) {
                case "ECHO" -> out.write(w[1]);
                case "ADD" -> out.write(Long.toString(Long.parseLong(w[1]) + Long.parseLong(w[2])));
                case "BIG" -> out.write(bigLine(Integer.parseInt(w[1])));
                case "QUIT" -> {
                    out.write("BYE\n");
                    out.flush();
                    return;
                }
                default -> out.write("ERR " + line);
            }
            out.write('\n');
            if (!in.ready()) {
                out.flush();
            }
        }
        out.flush();
    }

    private static String bigLine(int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append((char) ('a' + (i * 7 + n) % 26));
        }
        return b.toString();
    }

    private record Req(String line, String want) {}

    private static Req request(SplittableRandom r, int client, int i) {
        return switch (r.nextInt(4)) {
            case 0 -> new Req("ADD " + client + " " + i, Long.toString(client + i));
            case 1 -> {
                int n = r.nextInt(1, 200_000);
                yield new Req("BIG " + n, bigLine(n));
            }
            default -> {
                String v = "c" + client + "-r" + i + "-\u00e9\u4e16" + "x".repeat(r.nextInt(300));
                yield new Req("ECHO " + v, v);
            }
        };
    }

    /**
     * One client: half of them pipeline from a writer of their own (a clone of the
     * connection) while reading the answers; the others send batches and read each batch's
     * answers. Ends with QUIT, BYE and end of stream.
     */
    private static void lineClient(String addr, int client, Kind kind, Queue<Throwable> errors) throws Exception {
        SplittableRandom r = new SplittableRandom(client * 31L + 7);
        int n = 60;
        List<Req> reqs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reqs.add(request(r, client, i));
        }
        try (TcpStream s = TcpStream.connect(addr)) {
            BufferedReader in = reader(s);
            if (client % 2 == 0) {
                TcpStream w = s.tryClone();
                Latch sent = new Latch(1);
                start(kind, errors, sent, () -> {
                    try (w; PrintWriter out = new PrintWriter(new BufferedWriter(
                            new OutputStreamWriter(w.outputStream(), StandardCharsets.UTF_8)))) {
                        for (Req q : reqs) {
                            out.print(q.line + "\n");
                        }
                        out.print("QUIT\n");
                        out.flush();
                        assertTrue(!out.checkError(), "PrintWriter saw an error");
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(reqs.get(i).want, in.readLine(), "client " + client + " answer " + i);
                }
                await(sent, errors, "pipelining writer of client " + client);
            } else {
                BufferedWriter out = new BufferedWriter(new OutputStreamWriter(s.outputStream(), StandardCharsets.UTF_8));
                for (int i = 0; i < n; ) {
                    int batch = Math.min(n - i, r.nextInt(1, 12));
                    for (int k = 0; k < batch; k++) {
                        out.write(reqs.get(i + k).line);
                        out.newLine();
                    }
                    out.flush();
                    for (int k = 0; k < batch; k++, i++) {
                        assertEquals(reqs.get(i).want, in.readLine(), "client " + client + " answer " + i);
                    }
                }
                out.write("QUIT\n");
                out.flush();
            }
            assertEquals("BYE", in.readLine());
            assertNull(in.readLine(), "end of stream after BYE");
        }
    }

    @Test
    void lineProtocolServerWithPipeliningClientsOfEveryKind() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        for (String host : new String[] {"127.0.0.1:0", "[::1]:0"}) {
            atEachGomaxprocs(() -> bounded(LIMIT, () -> {
                for (int round = 0; round < 2 * ROUNDS; round++) {
                    TcpListener ln = TcpListener.bind(host);
                    Latch server = new Latch(1);
                    serve(ln, errors, server, ScenarioHuntTest::lineHandler);
                    String addr = host.startsWith("[") ? "[::1]:" + ln.localAddress().getPort()
                            : "127.0.0.1:" + ln.localAddress().getPort();
                    int clients = 12;
                    Latch done = new Latch(clients);
                    for (int c = 0; c < clients; c++) {
                        int id = c + round * 100;
                        Kind k = kind(c);
                        start(k, errors, done, () -> lineClient(addr, id, k, errors));
                    }
                    await(done, errors, "line clients");
                    ln.close();
                    await(server, errors, "line server");
                    NetTesting.rethrow(errors);
                }
                return null;
            }));
        }
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 2. A TCP proxy: transferTo both ways, half-close propagated; then the upstream resets.

    /**
     * The proxy's handler: dials the upstream and copies both ways, each direction in a
     * goroutine on its own clone, passing end of stream on as {@code shutdownOutput}. A
     * failure in either direction closes every stream, which ends the other copy too.
     */
    private static void proxy(TcpStream client, String upstream, AtomicLong copied) throws Exception {
        try (TcpStream up = TcpStream.connect(upstream);
             TcpStream client2 = client.tryClone();
             TcpStream up2 = up.tryClone()) {
            TcpStream[] all = {client, client2, up, up2};
            Latch done = new Latch(2);
            Queue<Throwable> copyErrors = NetTesting.errors();
            for (int dir = 0; dir < 2; dir++) {
                TcpStream from = dir == 0 ? client : up2, to = dir == 0 ? up : client2;
                Go.go(() -> {
                    try {
                        copied.addAndGet(from.inputStream().transferTo(to.outputStream()));
                        to.shutdownOutput();
                    } catch (IOException e) {
                        copyErrors.add(e);
                        for (TcpStream s : all) {
                            s.close();
                        }
                    } finally {
                        done.countDown();
                    }
                });
            }
            if (!done.await(LIMIT)) {
                throw new AssertionError("proxy copies still running\n" + Go.dump());
            }
            for (Throwable t : copyErrors) {
                if (!(t instanceof SocketException)) {
                    throw new AssertionError("proxy copy failed with " + t, t);
                }
            }
        }
    }

    /** Reads stream {@code seed} to its end through {@code in}, checking every byte. */
    private static long receive(InputStream in, long seed) throws IOException {
        byte[] buf = new byte[40_000], scratch = new byte[buf.length];
        long pos = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            long bad = Payload.mismatch(seed, pos, buf, 0, n, scratch);
            if (bad >= 0) {
                throw new AssertionError("stream " + seed + ": byte " + bad + " differs");
            }
            pos += n;
        }
        return pos;
    }

    private static void send(OutputStream out, long seed, long total, SplittableRandom r) throws IOException {
        byte[] buf = new byte[70_000];
        for (long pos = 0; pos < total; ) {
            int n = (int) Math.min(r.nextInt(1, buf.length + 1), total - pos);
            Payload.fill(seed, pos, buf, 0, n);
            out.write(buf, 0, n);
            pos += n;
        }
    }

    @Test
    void proxyCopiesEveryByteBothWaysAndPassesHalfClosesOn() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            // The upstream: reads the client's stream to its end while sending its own, then
            // half-closes; reports what it read.
            Map<Long, Long> upstreamGot = new ConcurrentHashMap<>();
            TcpListener upLn = TcpListener.bind("127.0.0.1:0");
            Latch upDone = new Latch(1);
            serve(upLn, errors, upDone, s -> {
                DataInputStream din = new DataInputStream(s.inputStream());
                long seed = din.readLong(), back = din.readLong();
                TcpStream w = s.tryClone();
                Latch sent = new Latch(1);
                NetTesting.go(errors, sent, () -> {
                    try (w) {
                        send(w.outputStream(), seed + 1000, back, new SplittableRandom(seed));
                        w.shutdownOutput();
                    }
                });
                upstreamGot.put(seed, receive(din, seed));
                await(sent, errors, "upstream sender " + seed);
            });
            TcpListener proxyLn = TcpListener.bind("127.0.0.1:0");
            String up = "127.0.0.1:" + upLn.localAddress().getPort();
            AtomicLong copied = new AtomicLong();
            Latch proxyDone = new Latch(1);
            serve(proxyLn, errors, proxyDone, c -> proxy(c, up, copied));
            String px = "127.0.0.1:" + proxyLn.localAddress().getPort();

            int clients = 9;
            long[] sizes = new long[clients], backs = new long[clients];
            long total = 0;
            SplittableRandom r = new SplittableRandom(42);
            for (int i = 0; i < clients; i++) {
                sizes[i] = r.nextInt(4) == 0 ? r.nextInt(100) : r.nextLong(1, 3 << 20);
                backs[i] = r.nextInt(4) == 0 ? r.nextInt(100) : r.nextLong(1, 3 << 20);
                total += sizes[i] + backs[i] + 16;
            }
            Latch done = new Latch(clients);
            for (int i = 0; i < clients; i++) {
                long seed = i + 1, size = sizes[i], back = backs[i];
                start(kind(i), errors, done, () -> {
                    try (TcpStream s = TcpStream.connect(px); TcpStream w = s.tryClone()) {
                        Latch sent = new Latch(1);
                        start(kind((int) seed + 1), errors, sent, () -> {
                            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(w.outputStream(), 8192));
                            out.writeLong(seed);
                            out.writeLong(back);
                            send(out, seed, size, new SplittableRandom(seed * 3));
                            out.flush();
                            w.shutdownOutput();
                        });
                        assertEquals(back, receive(s.inputStream(), seed + 1000), "bytes back to client " + seed);
                        await(sent, errors, "client sender " + seed);
                    }
                });
            }
            await(done, errors, "proxy clients");
            proxyLn.close();
            await(proxyDone, errors, "proxy");
            upLn.close();
            await(upDone, errors, "upstream");
            NetTesting.rethrow(errors);
            for (int i = 0; i < clients; i++) {
                assertEquals(sizes[i], upstreamGot.get((long) i + 1), "bytes upstream got from client " + (i + 1));
            }
            assertEquals(total, copied.get(), "bytes through the proxy");
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    @Test
    void proxyEndsEverythingWhenTheUpstreamResetsMidTransfer() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            TcpListener upLn = TcpListener.bind("127.0.0.1:0");
            Latch upDone = new Latch(1);
            serve(upLn, errors, upDone, s -> {
                // Reads a little, sends a little, then resets the connection.
                byte[] buf = new byte[50_000];
                long seen = 0;
                int limit = new SplittableRandom(s.peerAddress().getPort()).nextInt(1, 400_000);
                s.writeAll(new byte[limit % 100_000]);
                while (seen < limit) {
                    int n = s.read(buf);
                    if (n < 0) {
                        break;
                    }
                    seen += n;
                }
                NetStormTest.linger0(s);
            });
            TcpListener proxyLn = TcpListener.bind("127.0.0.1:0");
            String up = "127.0.0.1:" + upLn.localAddress().getPort();
            Latch proxyDone = new Latch(1);
            serve(proxyLn, errors, proxyDone, c -> proxy(c, up, new AtomicLong()));
            String px = "127.0.0.1:" + proxyLn.localAddress().getPort();
            int clients = 12;
            Latch done = new Latch(clients);
            AtomicInteger ended = new AtomicInteger();
            for (int i = 0; i < clients; i++) {
                int id = i;
                start(kind(i), errors, done, () -> {
                    try (TcpStream s = TcpStream.connect(px); TcpStream w = s.tryClone()) {
                        Latch sent = new Latch(1);
                        start(kind(id + 1), errors, sent, () -> {
                            try {
                                send(w.outputStream(), id, 8L << 20, new SplittableRandom(id));
                                w.shutdownOutput();
                            } catch (SocketException expected) {
                                // the proxy gave up on us: reset or closed
                            }
                        });
                        try {
                            s.inputStream().transferTo(OutputStream.nullOutputStream());
                        } catch (SocketException expected) {
                            // reset by the proxy
                        }
                        await(sent, errors, "client sender " + id);
                        ended.incrementAndGet();
                    }
                });
            }
            await(done, errors, "proxy clients");
            proxyLn.close();
            await(proxyDone, errors, "proxy");
            upLn.close();
            await(upDone, errors, "upstream");
            NetTesting.rethrow(errors);
            assertEquals(clients, ended.get());
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 3. A chat hub: a reader goroutine per client, a hub on Select, a writer per client.

    /** A member of the chat: its outbox, which its writer goroutine drains. */
    private record Member(int id, Chan<String> outbox) {}

    /**
     * The hub: joins, leaves and messages arrive on three channels; every message goes to
     * every member's outbox, in the hub's one order. A leave closes the member's outbox, which
     * ends its writer. Ends when {@code stop} is closed and no member is left.
     */
    private static void hub(Chan<Member> join, Chan<Member> leave, Chan<String> msgs, Chan<Void> stop) {
        Map<Integer, Member> members = new HashMap<>();
        Select sel = new Select();
        Select.RecvCase<Member> j = sel.recv(join), l = sel.recv(leave);
        Select.RecvCase<String> m = sel.recv(msgs);
        Select.RecvCase<Void> st = sel.recv(stop);
        boolean stopping = false;
        while (!stopping || !members.isEmpty()) {
            int i = sel.select();
            if (i == j.index()) {
                Member who = j.value();
                members.put(who.id, who);
                who.outbox.send("WELCOME " + who.id);
            } else if (i == l.index()) {
                Member who = l.value();
                members.remove(who.id);
                who.outbox.close();
            } else if (i == m.index()) {
                for (Member who : members.values()) {
                    who.outbox.send(m.value());
                }
            } else {
                stopping = true;
                st.chan(Chan.nil());
            }
        }
    }

    /** The server side of one chat connection: its writer here, its reader in a goroutine. */
    private static void chatConnection(TcpStream s, int id, Chan<Member> join, Chan<Member> leave,
            Chan<String> msgs, Queue<Throwable> errors) throws Exception {
        Member me = new Member(id, Chan.make(64));
        TcpStream r = s.tryClone();
        Latch readerDone = new Latch(1);
        join.send(me);
        NetTesting.go(errors, readerDone, () -> {
            try (r) {
                BufferedReader in = reader(r);
                String line;
                while ((line = in.readLine()) != null) {
                    msgs.send(line);
                }
            } finally {
                leave.send(me);
            }
        });
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(s.outputStream(), StandardCharsets.UTF_8));
        for (String line : me.outbox) {
            out.write(line);
            out.write('\n');
            if (me.outbox.len() == 0) {
                out.flush();
            }
        }
        out.flush();
        s.shutdownOutput();
        await(readerDone, errors, "chat reader " + id);
    }

    @Test
    void chatHubDeliversEveryMessageInOneOrderToEveryMemberThatStays() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 2 * ROUNDS; round++) {
                Chan<Member> join = Chan.make(), leave = Chan.make();
                Chan<String> msgs = Chan.make(16);
                Chan<Void> stop = Chan.make();
                Latch hubDone = new Latch(1);
                NetTesting.go(errors, hubDone, () -> hub(join, leave, msgs, stop));
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                AtomicInteger ids = new AtomicInteger();
                Latch server = new Latch(1);
                serve(ln, errors, server, s -> chatConnection(s, ids.incrementAndGet(), join, leave, msgs, errors));
                String addr = "127.0.0.1:" + ln.localAddress().getPort();

                int stayers = 5, churners = 12, perStayer = 40, perChurner = 6;
                int total = stayers * perStayer + churners * perChurner;
                Latch welcomed = new Latch(stayers);
                Latch done = new Latch(stayers + churners);
                List<List<String>> seen = new ArrayList<>();
                for (int i = 0; i < stayers; i++) {
                    List<String> mine = new ArrayList<>();
                    seen.add(mine);
                    int who = i;
                    start(kind(i + round), errors, done, () -> {
                        try (TcpStream s = TcpStream.connect(addr); TcpStream w = s.tryClone()) {
                            BufferedReader in = reader(s);
                            assertTrue(in.readLine().startsWith("WELCOME "));
                            welcomed.countDown();
                            welcomed.await();
                            Latch sent = new Latch(1);
                            start(kind(who + 1), errors, sent, () -> {
                                PrintWriter out = new PrintWriter(new OutputStreamWriter(w.outputStream(),
                                        StandardCharsets.UTF_8), true);
                                for (int k = 0; k < perStayer; k++) {
                                    out.println("stayer" + who + " " + k);
                                }
                                assertTrue(!out.checkError());
                            });
                            for (int k = 0; k < total; k++) {
                                String line = in.readLine();
                                if (line == null) {
                                    fail("stayer " + who + ": end of stream after " + k + " of " + total);
                                }
                                mine.add(line);
                            }
                            await(sent, errors, "stayer sender " + who);
                            s.shutdownOutput();
                            assertNull(in.readLine(), "stayer " + who + ": end of stream after its leave");
                        }
                    });
                }
                for (int i = 0; i < churners; i++) {
                    int who = i;
                    start(kind(i), errors, done, () -> {
                        welcomed.await();
                        Go.sleep(Duration.ofMillis(new SplittableRandom(who).nextInt(30)));
                        try (TcpStream s = TcpStream.connect(addr)) {
                            BufferedReader in = reader(s);
                            assertTrue(in.readLine().startsWith("WELCOME "));
                            OutputStream out = s.outputStream();
                            for (int k = 0; k < perChurner; k++) {
                                out.write(("churner" + who + " " + k + "\n").getBytes(StandardCharsets.UTF_8));
                            }
                            s.shutdownOutput();
                            while (in.readLine() != null) {
                                // what others said meanwhile
                            }
                        }
                    });
                }
                await(done, errors, "chat clients");
                ln.close();
                await(server, errors, "chat server");
                stop.close();
                await(hubDone, errors, "hub");
                NetTesting.rethrow(errors);
                List<String> first = seen.get(0);
                for (int i = 1; i < stayers; i++) {
                    assertEquals(first, seen.get(i), "stayer " + i + " saw another order than stayer 0");
                }
                // Each sender's messages all there, in its order.
                Map<String, Integer> next = new HashMap<>();
                for (String line : first) {
                    String[] w = line.split(" ");
                    int k = next.getOrDefault(w[0], 0);
                    assertEquals(k, Integer.parseInt(w[1]), "message order of " + w[0]);
                    next.put(w[0], k + 1);
                }
                assertEquals(stayers + churners, next.size());
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 4. Graceful shutdown driven by a Context.

    @Test
    void contextDrivenGracefulShutdownLeavesNothingBehind() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 3 * ROUNDS; round++) {
                TreeSet<String> fdsBefore = NetTesting.openSockets();
                int gsBefore = Go.numGoroutine();
                CancelContext ctx = Context.withCancel(Context.background());
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                Context.afterFunc(ctx, ln::close);
                WaitGroup wg = new WaitGroup();
                AtomicInteger answered = new AtomicInteger();
                Latch acceptLoop = new Latch(1);
                NetTesting.go(errors, acceptLoop, () -> {
                    for (;;) {
                        TcpStream s;
                        try {
                            s = ln.accept();
                        } catch (SocketException e) {
                            if (ctx.err() != null) {
                                return;
                            }
                            throw e;
                        }
                        wg.add(1);
                        Go.go(() -> {
                            try (s) {
                                BufferedReader in = reader(s);
                                OutputStream out = s.outputStream();
                                for (;;) {
                                    s.setReadDeadline(Instant.now().plusMillis(20));
                                    String line;
                                    try {
                                        line = in.readLine();
                                    } catch (SocketTimeoutException idle) {
                                        if (ctx.err() != null) {
                                            return; // idle at shutdown
                                        }
                                        continue;
                                    }
                                    if (line == null) {
                                        return;
                                    }
                                    // A request in progress is finished, shutdown or not.
                                    Go.sleep(Duration.ofMillis(1));
                                    out.write(("ok " + line + "\n").getBytes(StandardCharsets.UTF_8));
                                    answered.incrementAndGet();
                                    if (ctx.err() != null) {
                                        return; // no next request once shutting down
                                    }
                                }
                            } catch (Throwable t) {
                                errors.add(t);
                            } finally {
                                wg.done();
                            }
                        });
                    }
                });
                String addr = "127.0.0.1:" + ln.localAddress().getPort();
                int clients = 12;
                Latch done = new Latch(clients);
                Latch connected = new Latch(clients);
                AtomicInteger received = new AtomicInteger();
                for (int i = 0; i < clients; i++) {
                    int id = i;
                    start(kind(i + round), errors, done, () -> {
                        try (TcpStream s = TcpStream.connect(addr)) {
                            connected.countDown();
                            BufferedReader in = reader(s);
                            OutputStream out = s.outputStream();
                            for (int k = 0; ; k++) {
                                String req = id + "." + k;
                                try {
                                    out.write((req + "\n").getBytes(StandardCharsets.UTF_8));
                                    String got = in.readLine();
                                    if (got == null) {
                                        return; // the server went away between requests
                                    }
                                    assertEquals("ok " + req, got);
                                    received.incrementAndGet();
                                } catch (SocketException goneAway) {
                                    // reset: the server closed with our next request unread
                                    assertTrue(goneAway.getMessage().contains("ECONNRESET")
                                            || goneAway.getMessage().contains("EPIPE"), goneAway.toString());
                                    return;
                                }
                            }
                        }
                    });
                }
                await(connected, errors, "clients connecting");
                Go.sleep(Duration.ofMillis(30));
                ctx.cancel();
                await(acceptLoop, errors, "accept loop");
                Latch drained = new Latch(1);
                Go.go(() -> {
                    wg.await();
                    drained.countDown();
                });
                await(drained, errors, "connection goroutines after shutdown");
                await(done, errors, "clients after shutdown");
                NetTesting.rethrow(errors);
                assertTrue(ln.isClosed());
                assertEquals(answered.get(), received.get(), "answers sent and answers received");
                assertTrue(received.get() > 0, "no request was answered before the shutdown");
                // Nothing left: every connection's descriptor and goroutine is gone.
                long until = System.nanoTime() + LIMIT.toNanos();
                while ((Go.numGoroutine() > gsBefore || !NetTesting.openSockets().equals(fdsBefore))
                        && System.nanoTime() < until) {
                    Go.sleep(Duration.ofMillis(5));
                }
                assertEquals(fdsBefore, NetTesting.openSockets(), "descriptors after shutdown");
                assertTrue(Go.numGoroutine() <= gsBefore, "goroutines after shutdown:\n" + Go.dump());
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 5. Go.blocking in a handler, at GOMAXPROCS 1: the other connections are still served.

    @Test
    void handlersInGoBlockingDoNotStopOtherConnectionsAtGomaxprocsOne() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Path dir = Files.createTempDirectory("scenario");
        int before = Go.gomaxprocs(1);
        try {
            bounded(LIMIT, () -> {
                for (int round = 0; round < 3 * ROUNDS; round++) {
                    // The blocking handlers wait, inside Go.blocking, for a plain JDK latch that
                    // only the ping client's last answer opens: if a blocked carrier kept the
                    // one P, the ping connection would never be served.
                    CountDownLatch pings = new CountDownLatch(1);
                    TcpListener ln = TcpListener.bind("127.0.0.1:0");
                    Latch server = new Latch(1);
                    int rnd = round;
                    serve(ln, errors, server, s -> {
                        BufferedReader in = reader(s);
                        OutputStream out = s.outputStream();
                        String line;
                        while ((line = in.readLine()) != null) {
                            String reply;
                            if (line.startsWith("FILE ")) {
                                String body = line.substring(5);
                                reply = Go.blocking(() -> {
                                    Path f = Files.createTempFile(dir, "req", ".txt");
                                    try {
                                        Files.writeString(f, body);
                                        if (!pings.await(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                                            throw new AssertionError("the ping connection was not served");
                                        }
                                        return Files.readString(f);
                                    } finally {
                                        Files.delete(f);
                                    }
                                });
                            } else {
                                reply = line;
                            }
                            out.write((reply + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                    });
                    String addr = "127.0.0.1:" + ln.localAddress().getPort();
                    int fileClients = 3;
                    Latch done = new Latch(fileClients + 1);
                    Latch fileSent = new Latch(fileClients);
                    for (int i = 0; i < fileClients; i++) {
                        int id = i;
                        start(kind(i + rnd), errors, done, () -> {
                            try (TcpStream s = TcpStream.connect(addr)) {
                                BufferedReader in = reader(s);
                                for (int k = 0; k < 3; k++) {
                                    String body = "file " + id + " " + k + " " + "z".repeat(k * 5000);
                                    s.outputStream().write(("FILE " + body + "\n").getBytes(StandardCharsets.UTF_8));
                                    if (k == 0) {
                                        fileSent.countDown();
                                    }
                                    assertEquals(body, in.readLine());
                                }
                            }
                        });
                    }
                    start(kind(rnd + 1), errors, done, () -> {
                        fileSent.await();
                        Go.sleep(Duration.ofMillis(5)); // the file requests are in their handlers
                        try (TcpStream s = TcpStream.connect(addr)) {
                            BufferedReader in = reader(s);
                            for (int k = 0; k < 200; k++) {
                                s.outputStream().write(("ping " + k + "\n").getBytes(StandardCharsets.UTF_8));
                                assertEquals("ping " + k, in.readLine());
                            }
                        } finally {
                            pings.countDown();
                        }
                    });
                    await(done, errors, "blocking-handler clients");
                    ln.close();
                    await(server, errors, "blocking-handler server");
                    NetTesting.rethrow(errors);
                }
                return null;
            });
        } finally {
            Go.gomaxprocs(before);
            try (var left = Files.list(dir)) {
                assertEquals(0, left.count(), "temporary files left");
            }
            Files.delete(dir);
        }
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 6. What protocol code does with the stream views.

    /**
     * A framed echo service on {@code DataInputStream.readFully}/{@code DataOutputStream}:
     * frames up to 24 MiB (beyond the socket buffers both ways), with empty frames among them.
     */
    @Test
    void hugeFramesThroughDataStreamsComeBackIntact() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            TcpListener ln = TcpListener.bind("127.0.0.1:0");
            Latch server = new Latch(1);
            serve(ln, errors, server, s -> {
                DataInputStream in = new DataInputStream(new BufferedInputStream(s.inputStream()));
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.outputStream()));
                for (;;) {
                    int len;
                    try {
                        len = in.readInt();
                    } catch (EOFException end) {
                        return;
                    }
                    byte[] frame = new byte[len];
                    in.readFully(frame);
                    out.writeInt(len);
                    out.write(frame);
                    out.flush();
                }
            });
            String addr = "127.0.0.1:" + ln.localAddress().getPort();
            int clients = 3;
            Latch done = new Latch(clients);
            for (int i = 0; i < clients; i++) {
                int id = i;
                start(kind(i), errors, done, () -> {
                    SplittableRandom r = new SplittableRandom(id);
                    try (TcpStream s = TcpStream.connect(addr); TcpStream w = s.tryClone()) {
                        int[] lens = {0, 24 << 20, 1, r.nextInt(1 << 20), 0, 5 << 20, r.nextInt(100)};
                        Latch sent = new Latch(1);
                        start(kind(id + 1), errors, sent, () -> {
                            DataOutputStream out = new DataOutputStream(w.outputStream());
                            for (int k = 0; k < lens.length; k++) {
                                byte[] f = new byte[lens[k]];
                                Payload.fill(id * 100 + k, 0, f, 0, f.length);
                                out.writeInt(f.length);
                                out.write(f);
                            }
                            w.shutdownOutput();
                        });
                        DataInputStream in = new DataInputStream(s.inputStream());
                        for (int k = 0; k < lens.length; k++) {
                            assertEquals(lens[k], in.readInt(), "frame " + k + " length");
                            byte[] got = new byte[lens[k]];
                            in.readFully(got);
                            assertEquals(-1, Payload.mismatch(id * 100 + k, 0, got, 0, got.length, new byte[got.length]),
                                    "frame " + k + " content");
                        }
                        assertEquals(-1, in.read(), "end of stream after the last frame");
                        await(sent, errors, "frame sender " + id);
                    }
                });
            }
            await(done, errors, "frame clients");
            ln.close();
            await(server, errors, "frame server");
            NetTesting.rethrow(errors);
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * {@code readAllBytes} until the peer closes, {@code skip}/{@code skipNBytes} over a
     * header, {@code available()} as a parser's "is the rest already here" test, and
     * {@code readNBytes} at end of stream: what the JDK's socket streams do.
     */
    @Test
    void readAllBytesSkipAndAvailableBehaveAsASocketStream() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 6 * ROUNDS; round++) {
                int rnd = round;
                NetTesting.withPair((a, b) -> {
                    int skip = 1 + rnd * 70_000, body = 3_000_000 + rnd;
                    Latch sent = new Latch(1);
                    start(kind(rnd), errors, sent, () -> {
                        try (OutputStream out = new BufferedOutputStream(a.outputStream(), 1 << 16)) {
                            new DataOutputStream(out).writeInt(skip);
                            out.write(new byte[skip]);
                            byte[] p = new byte[body];
                            Payload.fill(rnd, 0, p, 0, body);
                            out.write(p);
                        } // closes a: b reads end of stream
                    });
                    InputStream in = b.inputStream();
                    int n = new DataInputStream(in).readInt();
                    assertEquals(skip, n);
                    if (rnd % 2 == 0) {
                        in.skipNBytes(n);
                    } else {
                        long left = n;
                        while (left > 0) {
                            long k = in.skip(left);
                            assertTrue(k > 0 && k <= left, "skip returned " + k);
                            left -= k;
                        }
                    }
                    // A parser that takes what is there without waiting, then the rest.
                    int avail = in.available();
                    assertTrue(avail >= 0 && avail <= body, "available " + avail);
                    byte[] head = in.readNBytes(avail);
                    assertEquals(avail, head.length, "available() promised more than a read gave");
                    byte[] rest = in.readAllBytes();
                    assertEquals(body, head.length + rest.length);
                    assertEquals(-1, Payload.mismatch(rnd, 0, head, 0, head.length, new byte[head.length]));
                    assertEquals(-1, Payload.mismatch(rnd, head.length, rest, 0, rest.length, new byte[rest.length]));
                    assertEquals(0, in.available(), "available at end of stream");
                    assertEquals(0, in.readNBytes(10).length);
                    assertEquals(0, in.skip(10));
                    assertThrows(EOFException.class, () -> in.skipNBytes(1));
                    await(sent, errors, "sender");
                });
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * Closing a stream from another goroutine or thread while a {@code BufferedReader} on it
     * waits for the rest of a line: the reader fails with "Socket closed" (the half line is
     * not passed off as a line, nor the close as end of stream), whatever kind of caller it is.
     */
    @Test
    void closeWhileABufferedReaderIsMidLineFailsTheReader() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 9 * ROUNDS; round++) {
                Kind readerKind = kind(round), closerKind = kind(round / 3);
                NetTesting.withPair((a, b) -> {
                    a.writeAll("first line\nhalf a li".getBytes(StandardCharsets.UTF_8));
                    BufferedReader in = reader(b);
                    Latch done = new Latch(1);
                    AtomicInteger stage = new AtomicInteger();
                    start(readerKind, errors, done, () -> {
                        assertEquals("first line", in.readLine());
                        stage.set(1);
                        try {
                            String line = in.readLine();
                            fail(readerKind + " reader got " + (line == null ? "end of stream" : "\"" + line + "\""));
                        } catch (SocketException e) {
                            assertEquals("Socket closed", e.getMessage(), readerKind + " reader");
                        }
                        stage.set(2);
                    });
                    while (stage.get() == 0) {
                        Go.sleep(Duration.ofMillis(1));
                    }
                    Go.sleep(Duration.ofMillis(5));
                    Latch closer = new Latch(1);
                    start(closerKind, errors, closer, b::close);
                    await(closer, errors, "closer");
                    await(done, errors, readerKind + " reader after close");
                    assertEquals(2, stage.get());
                    // The peer sees end of stream; writing to it fails soon after.
                    assertEquals(-1, a.read(new byte[1]));
                });
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 7. More of what users do: interrupting reads, fan-out with ErrGroup, heartbeats.

    /**
     * A reader that keeps going through timeouts (a short soTimeout, and another goroutine
     * that now and then interrupts it Go-style with a read deadline in the past and then
     * clears it) must still see every byte of a stream sent in bursts with pauses: a timeout
     * never swallows data that arrived with it, on any backend, for any kind of reader.
     */
    @Test
    void readsInterruptedByTimeoutsAndDeadlinesLoseNoData() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 6 * ROUNDS; round++) {
                Kind readerKind = kind(round), writerKind = kind(round + 1);
                long seed = 500 + round;
                NetTesting.withPair((a, b) -> {
                    long total = 2_000_000;
                    Latch done = new Latch(3);
                    AtomicInteger timeouts = new AtomicInteger();
                    AtomicLong got = new AtomicLong();
                    AtomicBoolean finished = new AtomicBoolean();
                    start(writerKind, errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(seed);
                        byte[] buf = new byte[20_000];
                        for (long pos = 0; pos < total; ) {
                            int n = (int) Math.min(r.nextInt(1, buf.length + 1), total - pos);
                            Payload.fill(seed, pos, buf, 0, n);
                            a.outputStream().write(buf, 0, n);
                            pos += n;
                            if (r.nextInt(8) == 0) {
                                Go.sleep(Duration.ofMillis(r.nextInt(3)));
                            }
                        }
                        a.shutdownOutput();
                    });
                    start(readerKind, errors, done, () -> {
                        if (seed % 2 == 0) {
                            b.setSoTimeout(Duration.ofMillis(1));
                        }
                        InputStream in = b.inputStream();
                        byte[] buf = new byte[7_000], scratch = new byte[buf.length];
                        long pos = 0;
                        for (;;) {
                            int n;
                            try {
                                n = in.read(buf);
                            } catch (SocketTimeoutException e) {
                                timeouts.incrementAndGet();
                                continue;
                            }
                            if (n < 0) {
                                break;
                            }
                            long bad = Payload.mismatch(seed, pos, buf, 0, n, scratch);
                            if (bad >= 0) {
                                throw new AssertionError(readerKind + " reader: byte " + bad + " differs");
                            }
                            pos += n;
                        }
                        got.set(pos);
                        finished.set(true);
                    });
                    start(Kind.GOROUTINE, errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(seed + 1);
                        while (!finished.get()) {
                            b.setReadDeadline(Instant.now().minusSeconds(1));
                            Go.sleep(Duration.ofNanos(r.nextInt(300_000)));
                            b.setReadDeadline(null);
                            Go.sleep(Duration.ofNanos(r.nextInt(1_000_000)));
                        }
                    });
                    await(done, errors, "interrupted reader");
                    NetTesting.rethrow(errors);
                    assertEquals(total, got.get(), readerKind + " reader: bytes");
                });
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * A fan-out through {@link ErrGroup}: a request goes to several backends at
     * once, one of which resets its connection. The failure cancels the group's context, whose
     * {@code afterFunc} closes the other connections, stuck reading from silent backends; the
     * group ends with the reset, and nothing is left open.
     */
    @Test
    void errGroupFanOutStopsEveryConnectionWhenOneBackendFails() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 5 * ROUNDS; round++) {
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                Latch server = new Latch(1);
                AtomicInteger seq = new AtomicInteger();
                int bad = round % 4;
                serve(ln, errors, server, s -> {
                    BufferedReader in = reader(s);
                    String req = in.readLine();
                    if (req == null) {
                        return; // closed by the group's cancel before it asked
                    }
                    if (req.endsWith(" " + bad)) {
                        NetStormTest.linger0(s); // this backend breaks
                        return;
                    }
                    seq.incrementAndGet();
                    // The others say nothing until the client hangs up.
                    assertNull(in.readLine());
                });
                String addr = "127.0.0.1:" + ln.localAddress().getPort();
                Exception failure = null;
                AtomicInteger closedByCancel = new AtomicInteger();
                try (ErrGroup g = ErrGroup.withContext(Context.background())) {
                    for (int i = 0; i < 4; i++) {
                        int id = i;
                        g.go(() -> {
                            try (TcpStream s = TcpStream.connect(addr)) {
                                var stop = Context.afterFunc(g.context(), s::close);
                                try {
                                    s.outputStream().write(("GET " + id + "\n").getBytes(StandardCharsets.UTF_8));
                                    String answer = reader(s).readLine();
                                    throw new IOException("backend " + id + " answered " + answer);
                                } catch (SocketException e) {
                                    if ("Socket closed".equals(e.getMessage())) {
                                        assertTrue(g.context().err() != null, "closed, but not by the cancel");
                                        closedByCancel.incrementAndGet();
                                    }
                                    throw e;
                                } finally {
                                    stop.stop();
                                }
                            }
                        });
                    }
                    try {
                        g.await();
                    } catch (Exception e) {
                        failure = e;
                    }
                }
                assertTrue(failure instanceof SocketException && failure.getMessage().contains("ECONNRESET"),
                        "the group's failure is the reset: " + failure);
                assertEquals(3, closedByCancel.get(), "connections closed by the group's cancel");
                ln.close();
                await(server, errors, "backends");
                NetTesting.rethrow(errors);
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * A connection's writer goroutine multiplexes an outbox and a {@link Ticker}
     * (heartbeats) with {@code Select}, until its context is cancelled; the reader on the other
     * end drops heartbeats and must see every data line in order, then end of stream.
     */
    @Test
    void writerMultiplexingTickerAndOutboxDeliversEveryLineInOrder() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 3 * ROUNDS; round++) {
                Kind readerKind = kind(round);
                NetTesting.withPair((a, b) -> {
                    CancelContext ctx = Context.withCancel(Context.background());
                    Chan<String> outbox = Chan.make(8);
                    Latch done = new Latch(3);
                    int lines = 3000;
                    NetTesting.go(errors, done, () -> {
                        var ticker = Time.newTicker(Duration.ofMillis(1));
                        try {
                            BufferedWriter out = new BufferedWriter(new OutputStreamWriter(a.outputStream(),
                                    StandardCharsets.UTF_8));
                            Select sel = new Select();
                            Select.RecvCase<String> msg = sel.recv(outbox);
                            Select.RecvCase<Instant> tick = sel.recv(ticker.c());
                            Select.RecvCase<Void> stop = sel.recv(ctx.done());
                            for (;;) {
                                int i = sel.select();
                                if (i == msg.index()) {
                                    if (!msg.ok()) {
                                        msg.chan(Chan.nil()); // all sent: only ticks from now on
                                        continue;
                                    }
                                    out.write(msg.value());
                                    out.newLine();
                                    if (outbox.len() == 0) {
                                        out.flush();
                                    }
                                } else if (i == tick.index()) {
                                    out.write("HEARTBEAT");
                                    out.newLine();
                                    out.flush();
                                } else {
                                    // Drain what was queued before the cancel, then hang up.
                                    for (Chan.Received<String> m; (m = outbox.tryRecv()) != null && m.ok(); ) {
                                        out.write(m.value());
                                        out.newLine();
                                    }
                                    out.flush();
                                    a.shutdownOutput();
                                    return;
                                }
                            }
                        } finally {
                            ticker.stop();
                        }
                    });
                    NetTesting.go(errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(7);
                        for (int k = 0; k < lines; k++) {
                            outbox.send("line " + k);
                            if (r.nextInt(200) == 0) {
                                Go.sleep(Duration.ofMillis(2));
                            }
                        }
                        outbox.close();
                    });
                    start(readerKind, errors, done, () -> {
                        BufferedReader in = reader(b);
                        int k = 0;
                        for (String line; (line = in.readLine()) != null; ) {
                            if (line.equals("HEARTBEAT")) {
                                continue;
                            }
                            assertEquals("line " + k, line);
                            if (++k == lines) {
                                ctx.cancel();
                            }
                        }
                        assertEquals(lines, k, "data lines");
                    });
                    await(done, errors, "heartbeat connection");
                    NetTesting.rethrow(errors);
                });
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 8. Servers in other shapes: legacy code under Go.blocking, virtual threads, files.

    /**
     * A handler that hands the whole connection to "legacy" blocking code inside
     * {@link Go#blocking} (which still parks on the socket there, and also blocks its carrier
     * on a JDK lock), at GOMAXPROCS 1: every connection is served, every answer right.
     */
    @Test
    void legacyHandlersRunningWholeConnectionsInsideGoBlocking() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int before = Go.gomaxprocs(1);
        try {
            bounded(LIMIT, () -> {
                for (int round = 0; round < 3 * ROUNDS; round++) {
                    ReentrantLock jdkLock = new ReentrantLock();
                    AtomicLong counter = new AtomicLong();
                    TcpListener ln = TcpListener.bind("127.0.0.1:0");
                    Latch server = new Latch(1);
                    serve(ln, errors, server, s -> Go.blocking(() -> {
                        BufferedReader in = reader(s);
                        OutputStream out = s.outputStream();
                        for (String line; (line = in.readLine()) != null; ) {
                            long v;
                            jdkLock.lock(); // a JDK lock held only between parks, as legacy code would
                            try {
                                v = counter.incrementAndGet();
                            } finally {
                                jdkLock.unlock();
                            }
                            out.write((line + " " + (v > 0) + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                        return null;
                    }));
                    String addr = "127.0.0.1:" + ln.localAddress().getPort();
                    int clients = 9, requests = 150;
                    Latch done = new Latch(clients);
                    for (int i = 0; i < clients; i++) {
                        int id = i;
                        start(kind(i + round), errors, done, () -> {
                            try (TcpStream s = TcpStream.connect(addr)) {
                                BufferedReader in = reader(s);
                                for (int k = 0; k < requests; k++) {
                                    String req = "req " + id + " " + k;
                                    s.outputStream().write((req + "\n").getBytes(StandardCharsets.UTF_8));
                                    assertEquals(req + " true", in.readLine());
                                }
                            }
                        });
                    }
                    await(done, errors, "clients of blocking handlers");
                    ln.close();
                    await(server, errors, "blocking handlers");
                    NetTesting.rethrow(errors);
                    assertEquals((long) clients * requests, counter.get());
                }
                return null;
            });
        } finally {
            Go.gomaxprocs(before);
        }
        NetTesting.rethrow(errors);
    }

    /**
     * A server written for Loom (accept loop and handlers in virtual threads, far more of
     * them than carriers) on panago's listener and streams, with goroutine and platform
     * thread clients; and a file server: uploads written to files and downloaded back with
     * {@code transferTo} between the file and the socket streams.
     */
    @Test
    void virtualThreadFileServerUploadsAndDownloadsIntact() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        Path dir = Files.createTempDirectory("scenario-files");
        try {
            atEachGomaxprocs(() -> bounded(LIMIT, () -> {
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                Latch server = new Latch(1);
                Thread.ofVirtual().start(() -> {
                    List<Thread> handlers = new ArrayList<>();
                    try {
                        for (;;) {
                            TcpStream s;
                            try {
                                s = ln.accept();
                            } catch (SocketException e) {
                                if (ln.isClosed()) {
                                    break;
                                }
                                throw e;
                            }
                            handlers.add(Thread.ofVirtual().start(() -> {
                                try (s) {
                                    DataInputStream in = new DataInputStream(s.inputStream());
                                    String op = in.readUTF(), name = in.readUTF();
                                    Path f = dir.resolve(name);
                                    if (op.equals("PUT")) {
                                        long len = in.readLong();
                                        try (OutputStream fo = Files.newOutputStream(f)) {
                                            long n = in.transferTo(fo);
                                            assertEquals(len, n, "upload " + name);
                                        }
                                        s.outputStream().write(1);
                                    } else {
                                        DataOutputStream out = new DataOutputStream(s.outputStream());
                                        out.writeLong(Files.size(f));
                                        try (InputStream fi = Files.newInputStream(f)) {
                                            fi.transferTo(out);
                                        }
                                        Files.delete(f);
                                    }
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            }));
                        }
                        for (Thread t : handlers) {
                            t.join();
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                    } finally {
                        server.countDown();
                    }
                });
                String addr = "127.0.0.1:" + ln.localAddress().getPort();
                int clients = 24;
                Latch done = new Latch(clients);
                for (int i = 0; i < clients; i++) {
                    int id = i;
                    Kind k = id % 2 == 0 ? Kind.GOROUTINE : kind(id);
                    start(k, errors, done, () -> {
                        long len = new SplittableRandom(id).nextLong(0, 3 << 20);
                        String name = "f" + id;
                        try (TcpStream s = TcpStream.connect(addr)) {
                            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.outputStream()));
                            out.writeUTF("PUT");
                            out.writeUTF(name);
                            out.writeLong(len);
                            send(out, id, len, new SplittableRandom(id + 1));
                            out.flush();
                            s.shutdownOutput();
                            assertEquals(1, s.inputStream().read(), "upload acknowledged");
                            assertEquals(-1, s.inputStream().read());
                        }
                        try (TcpStream s = TcpStream.connect(addr)) {
                            DataOutputStream out = new DataOutputStream(s.outputStream());
                            out.writeUTF("GET");
                            out.writeUTF(name);
                            DataInputStream in = new DataInputStream(new BufferedInputStream(s.inputStream()));
                            assertEquals(len, in.readLong());
                            assertEquals(len, receive(in, id), "download " + name);
                        }
                    });
                }
                await(done, errors, "file clients");
                ln.close();
                await(server, errors, "file server");
                NetTesting.rethrow(errors);
                return null;
            }));
        } finally {
            try (var left = Files.list(dir)) {
                for (Path f : left.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
        NetTesting.rethrow(errors);
    }

    /**
     * Goroutines sharing one {@code PrintWriter} on a connection whose reader is slow, so
     * that {@code println} parks inside the writer's monitor: every line arrives whole. The
     * writers take an {@link Mutex} around each line, as the README asks of code
     * that parks inside {@code synchronized} (every java.io wrapper does, around the socket's
     * write). Without it they hang on all four backends: the contended monitor is inflated with
     * a carrier as owner, its goroutine resumes on another carrier and never releases it.
     */
    @Test
    void goroutinesSharingOnePrintWriterOnASlowConnection() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 3 * ROUNDS; round++) {
                NetTesting.withPair((a, b) -> {
                    PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(a.outputStream(),
                            StandardCharsets.UTF_8), 4096));
                    int writers = 6, lines = 400;
                    Latch done = new Latch(writers);
                    Mutex mu = new Mutex();
                    String pad = "p".repeat(3000);
                    for (int w = 0; w < writers; w++) {
                        int id = w;
                        NetTesting.go(errors, done, () -> {
                            for (int k = 0; k < lines; k++) {
                                mu.lock();
                                try {
                                    out.println("w" + id + " " + k + " " + pad);
                                } finally {
                                    mu.unlock();
                                }
                            }
                        });
                    }
                    Latch read = new Latch(1);
                    Map<String, Integer> next = new HashMap<>();
                    NetTesting.go(errors, read, () -> {
                        BufferedReader in = reader(b);
                        int total = 0;
                        for (String line; (line = in.readLine()) != null; total++) {
                            String[] f = line.split(" ");
                            assertEquals(3, f.length, "line " + total + " torn");
                            assertEquals(pad, f[2], "line " + total + " torn");
                            int k = next.getOrDefault(f[0], 0);
                            assertEquals(k, Integer.parseInt(f[1]), "order of " + f[0]);
                            next.put(f[0], k + 1);
                            if (total % 50 == 0) {
                                Go.sleep(Duration.ofMillis(1));
                            }
                        }
                        assertEquals(writers * lines, total);
                    });
                    await(done, errors, "PrintWriter writers");
                    out.flush();
                    assertTrue(!out.checkError(), "PrintWriter saw an error");
                    a.shutdownOutput();
                    await(read, errors, "reader");
                });
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 9. Half-closes under blocked calls, and Go.run called from many request threads.

    /**
     * {@code shutdownInput} from another goroutine or thread while a reader of any kind waits
     * in a {@code BufferedReader}: the reader sees end of stream (a JDK socket's stream, and
     * Go's CloseRead), at once. {@code shutdownOutput} while a writer waits with a full
     * socket buffer: the writer fails (EPIPE, as Go's Write after CloseWrite), and the peer
     * reads what had gone out, then end of stream.
     */
    @Test
    void halfClosesEndCallsWaitingInTheOtherGoroutine() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 9 * ROUNDS; round++) {
                Kind waiter = kind(round), closer = kind(round / 3);
                NetTesting.withPair((a, b) -> {
                    // One segment: the reader's first fill takes both lines, so once it has the
                    // first one the half line is in its buffer, and the shutdown cannot drop it
                    // (a JDK socket's stream reads end of stream after shutdownInput, whatever
                    // the kernel still holds; so does this one).
                    a.writeAll("first\npartial".getBytes(StandardCharsets.UTF_8));
                    Latch done = new Latch(1);
                    AtomicBoolean first = new AtomicBoolean();
                    start(waiter, errors, done, () -> {
                        BufferedReader in = reader(b);
                        assertEquals("first", in.readLine(), waiter + " reader");
                        first.set(true);
                        // The half line is a last line at end of stream, as readLine defines it.
                        assertEquals("partial", in.readLine(), waiter + " reader");
                        assertNull(in.readLine(), waiter + " reader");
                        assertEquals(-1, b.inputStream().read());
                        assertEquals(0, b.inputStream().available());
                    });
                    while (!first.get()) {
                        Go.sleep(Duration.ofMillis(1));
                    }
                    Go.sleep(Duration.ofMillis(3)); // likelier to be waiting in the read by now
                    Latch shut = new Latch(1);
                    start(closer, errors, shut, b::shutdownInput);
                    await(shut, errors, "shutdownInput");
                    await(done, errors, waiter + " reader after shutdownInput");
                    // The write side is untouched.
                    b.writeAll("still".getBytes(StandardCharsets.UTF_8));
                    byte[] five = new byte[5];
                    a.readFully(five);
                    assertEquals("still", new String(five, StandardCharsets.UTF_8));
                });
                NetTesting.withPair((a, b) -> {
                    Latch done = new Latch(1);
                    AtomicLong sent = new AtomicLong();
                    start(waiter, errors, done, () -> {
                        byte[] chunk = new byte[64 << 10];
                        long pos = 0;
                        try {
                            for (;;) {
                                Payload.fill(9, pos, chunk, 0, chunk.length);
                                a.outputStream().write(chunk);
                                pos += chunk.length;
                                sent.set(pos);
                            }
                        } catch (SocketException e) {
                            String m = e.getMessage();
                            assertTrue(m.contains("EPIPE") || m.contains("ESHUTDOWN") || m.contains("ECONNRESET")
                                    || m.contains("ECONNABORTED"), waiter + " writer: " + e);
                        }
                    });
                    // Let the writer fill the buffers and wait.
                    long last = -1;
                    while (sent.get() != last || sent.get() == 0) {
                        last = sent.get();
                        Go.sleep(Duration.ofMillis(20));
                    }
                    Latch shut = new Latch(1);
                    start(closer, errors, shut, a::shutdownOutput);
                    await(shut, errors, "shutdownOutput");
                    // The peer drains what went out, in order, then end of stream; only then
                    // is the writer sure to have its failure (its data was all taken).
                    long got = receive(b.inputStream(), 9);
                    assertTrue(got >= sent.get() && got % 1 == 0, "peer got " + got + " of at least " + sent.get());
                    await(done, errors, waiter + " writer after shutdownOutput");
                });
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * A thread-per-request application (servlet style) whose request threads each call
     * {@code Go.run} for a fan-out over sockets: many roots at once, from platform and virtual
     * threads. A root whose child goroutine panics throws that panic, and only that root: the
     * others complete with their own results.
     */
    @Test
    void manyGoRunRootsFromRequestThreadsKeepTheirOwnResultsAndPanics() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> {
            TcpListener ln = TcpListener.bind("127.0.0.1:0");
            Latch server = new Latch(1);
            serve(ln, errors, server, ScenarioHuntTest::lineHandler);
            String addr = "127.0.0.1:" + ln.localAddress().getPort();
            int threads = 12, requests = 15 * ROUNDS;
            List<Thread> ts = new ArrayList<>();
            AtomicInteger panicsSeen = new AtomicInteger(), panicsMade = new AtomicInteger();
            // The main goroutines of the roots that panicked wait on for the third answer (the
            // panic ended the Go.run, not them); they get it at the end.
            Queue<Chan<String>> stranded = new ConcurrentLinkedQueue<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Runnable r = () -> {
                    try {
                        for (int k = 0; k < requests; k++) {
                            boolean panic = (id + k) % 7 == 0;
                            String tag = "t" + id + "k" + k;
                            try {
                                String out = Go.run(() -> {
                                    Chan<String> answers = Chan.make(3);
                                    if (panic) {
                                        stranded.add(answers);
                                    }
                                    for (int j = 0; j < 3; j++) {
                                        int jj = j;
                                        Go.go(() -> {
                                            if (panic && jj == 1) {
                                                throw new IllegalStateException("panic " + tag);
                                            }
                                            try (TcpStream s = TcpStream.connect(addr)) {
                                                BufferedReader in = reader(s);
                                                s.outputStream().write(("ECHO " + tag + "." + jj + "\nQUIT\n")
                                                        .getBytes(StandardCharsets.UTF_8));
                                                answers.send(in.readLine());
                                                assertEquals("BYE", in.readLine());
                                            } catch (IOException e) {
                                                answers.send("failed: " + e);
                                            }
                                        });
                                    }
                                    TreeSet<String> got = new TreeSet<>();
                                    for (int j = 0; j < 3; j++) {
                                        got.add(answers.recv());
                                    }
                                    return String.join(",", got);
                                });
                                assertTrue(!panic, tag + ": Go.run returned " + out + " though its child panicked");
                                assertEquals(tag + ".0," + tag + ".1," + tag + ".2", out);
                            } catch (IllegalStateException e) {
                                assertEquals("panic " + tag, e.getMessage(), "a root got another root's panic");
                                panicsSeen.incrementAndGet();
                            }
                            if (panic) {
                                panicsMade.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                };
                ts.add(id % 2 == 0 ? Thread.ofPlatform().daemon().start(r) : Thread.ofVirtual().start(r));
            }
            for (Thread t : ts) {
                t.join(LIMIT.toMillis());
                if (t.isAlive()) {
                    fail("request thread still running after " + LIMIT + "\n" + Go.dump());
                }
            }
            ln.close();
            if (!server.await(LIMIT)) {
                fail("server still running\n" + Go.dump());
            }
            for (Chan<String> c : stranded) {
                assertTrue(c.trySend("late"), "the third answer fits the buffer");
            }
            NetTesting.rethrow(errors);
            assertEquals(panicsMade.get(), panicsSeen.get());
        });
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 10. The Java idioms: an accept loop polling a flag through soTimeout; "localhost".

    /**
     * The classic Java server loop: the listener's soTimeout makes {@code accept} return every
     * few milliseconds so that a platform (or virtual) thread can check a {@code running} flag;
     * connections keep arriving throughout and every one is accepted and served exactly once,
     * none lost to a timeout racing an arrival. Then the flag stops the loop.
     */
    @Test
    void acceptLoopPollingAFlagThroughSoTimeoutLosesNoConnection() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 2 * ROUNDS; round++) {
                Kind acceptor = kind(round + 1);
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                ln.setSoTimeout(Duration.ofMillis(1));
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicInteger timeouts = new AtomicInteger(), served = new AtomicInteger();
                Latch loop = new Latch(1);
                WaitGroup wg = new WaitGroup();
                start(acceptor, errors, loop, () -> {
                    try (ln) {
                        while (running.get()) {
                            TcpStream s;
                            try {
                                s = ln.accept();
                            } catch (SocketTimeoutException e) {
                                timeouts.incrementAndGet();
                                continue;
                            }
                            wg.add(1);
                            Go.go(() -> {
                                try (s) {
                                    assertEquals(Duration.ZERO, s.soTimeout(), "accepted stream's soTimeout");
                                    String line = reader(s).readLine();
                                    s.outputStream().write((line + " served\n").getBytes(StandardCharsets.UTF_8));
                                    served.incrementAndGet();
                                } catch (Throwable t) {
                                    errors.add(t);
                                } finally {
                                    wg.done();
                                }
                            });
                        }
                    }
                });
                String addr = "127.0.0.1:" + ln.localAddress().getPort();
                int clients = 60;
                Latch done = new Latch(clients);
                for (int i = 0; i < clients; i++) {
                    int id = i;
                    start(kind(i), errors, done, () -> {
                        Go.sleep(Duration.ofNanos(new SplittableRandom(id).nextLong(5_000_000)));
                        try (TcpStream s = TcpStream.connect(addr)) {
                            s.outputStream().write(("c" + id + "\n").getBytes(StandardCharsets.UTF_8));
                            assertEquals("c" + id + " served", reader(s).readLine());
                        }
                    });
                }
                await(done, errors, "clients of the polling accept loop");
                running.set(false);
                await(loop, errors, acceptor + " accept loop");
                Latch drained = new Latch(1);
                Go.go(() -> {
                    wg.await();
                    drained.countDown();
                });
                await(drained, errors, "handlers");
                NetTesting.rethrow(errors);
                assertEquals(clients, served.get());
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * The addresses users write: a server on {@code localhost:0}, on the wildcards {@code :0},
     * {@code [::]:0}, {@code 0.0.0.0:0} and on the loopbacks, dialled as {@code localhost:port}
     * where it listens on IPv4, by literal and by unresolved {@code InetSocketAddress}; each
     * dial reaches the server and the peers agree on the ports.
     */
    @Test
    void localhostAndWildcardAddressesAsUsersWriteThem() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        bounded(LIMIT, () -> {
            for (String bindTo : new String[] {"localhost:0", ":0", "127.0.0.1:0", "[::1]:0", "[::]:0", "0.0.0.0:0"}) {
                TcpListener ln = TcpListener.bind(bindTo);
                Latch server = new Latch(1);
                serve(ln, errors, server, s -> {
                    String line = reader(s).readLine();
                    s.outputStream().write((line + " " + s.peerAddress().getPort() + " " + s.localAddress().getPort() + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                });
                int port = ln.localAddress().getPort();
                boolean v6only = bindTo.startsWith("[::1]");
                boolean v4only = bindTo.startsWith("localhost") || bindTo.startsWith("127.");
                List<String> dials = new ArrayList<>();
                if (!v6only) {
                    // (where localhost is also ::1, the dial tries ::1 first, is refused, then 127.0.0.1)
                    dials.add("localhost:" + port);
                    dials.add("127.0.0.1:" + port);
                }
                if (!v4only) {
                    dials.add("[::1]:" + port);
                }
                for (String dial : dials) {
                    for (int k = 0; k < 5; k++) {
                        try (TcpStream s = TcpStream.connect(dial)) {
                            s.outputStream().write((dial + "\n").getBytes(StandardCharsets.UTF_8));
                            assertEquals(dial + " " + s.localAddress().getPort() + " " + port, reader(s).readLine(),
                                    "bound to " + bindTo);
                            assertEquals(port, s.peerAddress().getPort());
                        }
                    }
                    try (TcpStream s = TcpStream.connect(InetSocketAddress.createUnresolved(
                            dial.substring(0, dial.lastIndexOf(':')).replace("[", "").replace("]", ""), port))) {
                        s.outputStream().write("unresolved\n".getBytes(StandardCharsets.UTF_8));
                        assertTrue(reader(s).readLine().startsWith("unresolved "));
                    }
                }
                ln.close();
                await(server, errors, "server on " + bindTo);
                NetTesting.rethrow(errors);
            }
            return null;
        });
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 11. A client connection pool shared by every kind of caller; per-request timeouts.

    /** A pooled connection: the stream and its reader, which keeps what it has buffered. */
    private record Pooled(TcpStream s, BufferedReader in) {}

    /**
     * A connection pool (a buffered {@code Chan} of connections) shared by goroutines,
     * platform threads and virtual threads: each takes a connection, runs a request, puts it
     * back, so every connection is used by every kind of caller in turn (a poll(2) wait, then
     * a park on the poller, then a virtual thread's). Every answer is the caller's own.
     */
    @Test
    void connectionPoolSharedByEveryKindOfCaller() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 2 * ROUNDS; round++) {
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                Latch server = new Latch(1);
                serve(ln, errors, server, ScenarioHuntTest::lineHandler);
                String addr = "127.0.0.1:" + ln.localAddress().getPort();
                int size = 3, workers = 12, requests = 60;
                Chan<Pooled> pool = Chan.make(size);
                for (int i = 0; i < size; i++) {
                    TcpStream s = TcpStream.connect(addr);
                    pool.send(new Pooled(s, reader(s)));
                }
                Latch done = new Latch(workers);
                int rnd = round;
                for (int w = 0; w < workers; w++) {
                    int id = w;
                    start(kind(w + rnd), errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(id);
                        for (int k = 0; k < requests; k++) {
                            Pooled c = pool.recv();
                            try {
                                Req q = request(r, id, k);
                                c.s.outputStream().write((q.line + "\n").getBytes(StandardCharsets.UTF_8));
                                assertEquals(q.want, c.in.readLine(), "worker " + id + " request " + k);
                            } finally {
                                pool.send(c);
                            }
                        }
                    });
                }
                await(done, errors, "pool workers");
                for (int i = 0; i < size; i++) {
                    Pooled c = pool.recv();
                    c.s.outputStream().write("QUIT\n".getBytes(StandardCharsets.UTF_8));
                    assertEquals("BYE", c.in.readLine());
                    c.s.close();
                }
                ln.close();
                await(server, errors, "pool server");
                NetTesting.rethrow(errors);
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * Per-request timeouts as Go clients write them: a reader goroutine per connection feeds
     * a channel, and each request waits for its answer in a {@code Select} with a timeout;
     * some requests are slow on purpose and time out, after which the client gives up on the
     * connection (closes it, which ends its reader) and dials a new one, with a
     * {@code Context.withTimeout} whose {@code afterFunc} closes the connection. Every answer
     * that does arrive is the right one, and nothing is left behind.
     */
    @Test
    void perRequestTimeoutsWithSelectAndContextAbandonConnectionsCleanly() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 2 * ROUNDS; round++) {
                TcpListener ln = TcpListener.bind("127.0.0.1:0");
                Latch server = new Latch(1);
                serve(ln, errors, server, s -> {
                    BufferedReader in = reader(s);
                    OutputStream out = s.outputStream();
                    try {
                        for (String line; (line = in.readLine()) != null; ) {
                            if (line.startsWith("SLOW")) {
                                Go.sleep(Duration.ofMillis(40));
                            }
                            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                    } catch (SocketException clientGaveUp) {
                        // reset or broken pipe from a client that closed: expected
                    }
                });
                String addr = "127.0.0.1:" + ln.localAddress().getPort();
                int clients = 6, requests = 40;
                Latch done = new Latch(clients);
                AtomicInteger answered = new AtomicInteger(), abandoned = new AtomicInteger();
                for (int c = 0; c < clients; c++) {
                    int id = c;
                    NetTesting.go(errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(id);
                        TcpStream s = null;
                        Chan<String> answers = null;
                        Latch readerDone = null;
                        for (int k = 0; k < requests; k++) {
                            if (s == null) {
                                TcpStream conn = TcpStream.connect(addr);
                                Chan<String> ch = Chan.make(4);
                                Latch rd = new Latch(1);
                                NetTesting.go(errors, rd, () -> {
                                    try {
                                        BufferedReader in = reader(conn);
                                        for (String line; (line = in.readLine()) != null; ) {
                                            ch.send(line);
                                        }
                                    } catch (SocketException closedByUs) {
                                        assertTrue(conn.isClosed(), "reader failed on an open stream: " + closedByUs);
                                    } finally {
                                        ch.close();
                                    }
                                });
                                s = conn;
                                answers = ch;
                                readerDone = rd;
                            }
                            boolean slow = r.nextInt(5) == 0, viaContext = r.nextBoolean();
                            String req = (slow ? "SLOW " : "FAST ") + id + "." + k;
                            Duration timeout = Duration.ofMillis(slow ? 5 : 20_000);
                            String got;
                            try (CancelContext ctx = Context.withTimeout(Context.background(), timeout)) {
                                TcpStream conn = s;
                                var stop = viaContext ? Context.afterFunc(ctx, conn::close) : null;
                                try {
                                    s.outputStream().write((req + "\n").getBytes(StandardCharsets.UTF_8));
                                    String[] box = new String[1];
                                    int i = Select.select(
                                            Select.onRecv(answers, v -> box[0] = v),
                                            Select.onRecv(ctx.done(), v -> { }));
                                    got = i == 0 ? box[0] : null;
                                } catch (SocketException e) {
                                    assertTrue(s.isClosed(), "write failed on an open stream: " + e);
                                    got = null;
                                } finally {
                                    if (stop != null) {
                                        stop.stop();
                                    }
                                }
                            }
                            if (got != null) {
                                assertEquals(req, got, "client " + id);
                                answered.incrementAndGet();
                            } else {
                                // Timed out (or the answer channel closed): give up on this connection.
                                s.close();
                                await(readerDone, errors, "reader of an abandoned connection");
                                s = null;
                                abandoned.incrementAndGet();
                            }
                        }
                        if (s != null) {
                            s.close();
                            await(readerDone, errors, "last reader");
                        }
                    });
                }
                await(done, errors, "timeout clients");
                ln.close();
                await(server, errors, "timeout server");
                NetTesting.rethrow(errors);
                assertEquals(clients * requests, answered.get() + abandoned.get());
                assertTrue(answered.get() > 0 && abandoned.get() > 0, answered + " answered, " + abandoned + " abandoned");
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 12. A CPU-bound handler at GOMAXPROCS 1, and GOMAXPROCS changed under a busy server.

    /**
     * A handler that computes without ever parking (a hash over and over) until the other
     * connection has been served 100 times, at GOMAXPROCS 1: the runtime must hand the one P
     * to another carrier (sysmon), or the other connection is never served and the handler
     * never stops.
     */
    @Test
    void cpuBoundHandlerDoesNotStarveOtherConnectionsAtGomaxprocsOne() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int before = Go.gomaxprocs(1);
        try {
            bounded(LIMIT, () -> {
                for (int round = 0; round < 2 * ROUNDS; round++) {
                    AtomicBoolean pinged = new AtomicBoolean();
                    TcpListener ln = TcpListener.bind("127.0.0.1:0");
                    Latch server = new Latch(1);
                    serve(ln, errors, server, s -> {
                        BufferedReader in = reader(s);
                        OutputStream out = s.outputStream();
                        for (String line; (line = in.readLine()) != null; ) {
                            if (line.equals("HASH")) {
                                long h = 1, deadline = System.nanoTime() + LIMIT.toNanos();
                                while (!pinged.get() && System.nanoTime() < deadline) {
                                    for (int i = 0; i < 10_000; i++) {
                                        h = h * 0x9e3779b97f4a7c15L + i;
                                    }
                                }
                                assertTrue(pinged.get(), "the other connection was starved");
                                line = "hashed " + (h != 0 || h == 0);
                            }
                            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                        }
                    });
                    String addr = "127.0.0.1:" + ln.localAddress().getPort();
                    Latch done = new Latch(2);
                    Latch hashing = new Latch(1);
                    start(kind(round), errors, done, () -> {
                        try (TcpStream s = TcpStream.connect(addr)) {
                            s.outputStream().write("HASH\n".getBytes(StandardCharsets.UTF_8));
                            hashing.countDown();
                            assertEquals("hashed true", reader(s).readLine());
                        }
                    });
                    start(kind(round + 1), errors, done, () -> {
                        hashing.await();
                        try (TcpStream s = TcpStream.connect(addr)) {
                            BufferedReader in = reader(s);
                            for (int k = 0; k < 100; k++) {
                                s.outputStream().write(("ping " + k + "\n").getBytes(StandardCharsets.UTF_8));
                                assertEquals("ping " + k, in.readLine());
                            }
                        } finally {
                            pinged.set(true);
                        }
                    });
                    await(done, errors, "clients beside a CPU-bound handler");
                    ln.close();
                    await(server, errors, "server with a CPU-bound handler");
                    NetTesting.rethrow(errors);
                }
                return null;
            });
        } finally {
            Go.gomaxprocs(before);
        }
        NetTesting.rethrow(errors);
    }

    /** The line protocol server under load while GOMAXPROCS moves between 1, 2 and 3. */
    @Test
    void gomaxprocsChangedUnderABusyServer() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int before = Go.gomaxprocs();
        try {
            bounded(LIMIT, () -> {
                for (int round = 0; round < 2 * ROUNDS; round++) {
                    TcpListener ln = TcpListener.bind("127.0.0.1:0");
                    Latch server = new Latch(1);
                    serve(ln, errors, server, ScenarioHuntTest::lineHandler);
                    String addr = "127.0.0.1:" + ln.localAddress().getPort();
                    int clients = 9;
                    Latch done = new Latch(clients);
                    for (int c = 0; c < clients; c++) {
                        int id = 1000 + c + round * 100;
                        Kind k = kind(c);
                        start(k, errors, done, () -> lineClient(addr, id, k, errors));
                    }
                    AtomicBoolean stop = new AtomicBoolean();
                    Thread flipper = Thread.ofPlatform().daemon().start(() -> {
                        SplittableRandom r = new SplittableRandom(3);
                        while (!stop.get()) {
                            Go.gomaxprocs(r.nextInt(1, 4));
                            try {
                                Thread.sleep(r.nextInt(3));
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    });
                    try {
                        await(done, errors, "clients while GOMAXPROCS changes");
                    } finally {
                        stop.set(true);
                        flipper.join();
                    }
                    ln.close();
                    await(server, errors, "server while GOMAXPROCS changes");
                    NetTesting.rethrow(errors);
                }
                return null;
            });
        } finally {
            Go.gomaxprocs(before);
        }
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 13. Go's idiom for bounded waits: short deadlines, resuming from bytesTransferred.

    /**
     * A writer that never waits long (a write deadline a millisecond ahead; on timeout it
     * resumes from {@code bytesTransferred} after other work) into a slow, pausing reader that
     * does the same with {@code readNBytes} under read deadlines: the stream arrives exactly,
     * no byte lost or doubled at a timeout, whatever backend cancels the operation.
     */
    @Test
    void shortDeadlinesResumedFromBytesTransferredKeepTheStreamExact() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < 4 * ROUNDS; round++) {
                Kind writerKind = kind(round), readerKind = kind(round + 1);
                long seed = 900 + round;
                NetTesting.withPair((a, b) -> {
                    long total = 6_000_000;
                    AtomicInteger writeTimeouts = new AtomicInteger(), readTimeouts = new AtomicInteger();
                    Latch done = new Latch(2);
                    start(writerKind, errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(seed);
                        byte[] buf = new byte[1 << 20];
                        for (long pos = 0; pos < total; ) {
                            int n = (int) Math.min(r.nextInt(1, buf.length + 1), total - pos);
                            Payload.fill(seed, pos, buf, 0, n);
                            int off = 0;
                            while (off < n) {
                                a.setWriteDeadline(Instant.now().plusNanos(r.nextInt(1_000_000)));
                                try {
                                    a.writeAll(buf, off, n - off);
                                    off = n;
                                } catch (SocketTimeoutException e) {
                                    assertTrue(e.bytesTransferred >= 0 && e.bytesTransferred <= n - off,
                                            "bytesTransferred " + e.bytesTransferred);
                                    off += e.bytesTransferred;
                                    writeTimeouts.incrementAndGet();
                                    Go.yield();
                                }
                            }
                            pos += n;
                        }
                        a.setWriteDeadline(null);
                        a.shutdownOutput();
                    });
                    start(readerKind, errors, done, () -> {
                        SplittableRandom r = new SplittableRandom(seed + 1);
                        byte[] buf = new byte[300_000], scratch = new byte[buf.length];
                        long pos = 0;
                        for (;;) {
                            int want = r.nextInt(1, buf.length + 1), got = 0;
                            boolean end = false;
                            while (got < want) {
                                b.setReadDeadline(Instant.now().plusNanos(r.nextInt(1_000_000)));
                                try {
                                    int n = b.readNBytes(buf, got, want - got);
                                    got += n;
                                    if (got < want) {
                                        end = true;
                                        break;
                                    }
                                } catch (SocketTimeoutException e) {
                                    assertTrue(e.bytesTransferred >= 0 && e.bytesTransferred <= want - got,
                                            "bytesTransferred " + e.bytesTransferred);
                                    got += e.bytesTransferred;
                                    readTimeouts.incrementAndGet();
                                }
                            }
                            long bad = Payload.mismatch(seed, pos, buf, 0, got, scratch);
                            if (bad >= 0) {
                                throw new AssertionError(readerKind + " reader: byte " + bad + " differs");
                            }
                            pos += got;
                            if (end) {
                                break;
                            }
                            if (r.nextInt(3) == 0) {
                                Go.sleep(Duration.ofMillis(r.nextInt(4)));
                            }
                        }
                        assertEquals(total, pos, readerKind + " reader: bytes");
                    });
                    await(done, errors, "deadline writer and reader");
                    NetTesting.rethrow(errors);
                });
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    // ------------------------------------------------------------------------------------
    // 14. Server restarts: closed under a storm of connects, and bound again on its port.

    /**
     * A server is stopped while clients keep connecting, then started again on the same port
     * at once (its closed connections still in TIME_WAIT), several times over. Clients see
     * answers or a clean failure (refused, reset, end of stream), never a hang; no descriptor
     * survives a stop.
     */
    @Test
    void serverRestartedOnItsPortWhileClientsKeepConnecting() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            TreeSet<String> fdsBefore = NetTesting.openSockets();
            int port = 0;
            for (int round = 0; round < 3 * ROUNDS; round++) {
                TcpListener ln = TcpListener.bind("127.0.0.1:" + port);
                port = ln.localAddress().getPort();
                Latch server = new Latch(1);
                serve(ln, errors, server, s -> {
                    String line = reader(s).readLine();
                    if (line != null) {
                        s.outputStream().write((line + " ok\n").getBytes(StandardCharsets.UTF_8));
                    }
                });
                String addr = "127.0.0.1:" + port;
                int clients = 6;
                Latch done = new Latch(clients);
                AtomicInteger answered = new AtomicInteger();
                for (int c = 0; c < clients; c++) {
                    int id = c;
                    start(kind(c + round), errors, done, () -> {
                        for (int k = 0; ; k++) {
                            String req = id + "." + k;
                            try (TcpStream s = TcpStream.connect(addr)) {
                                s.outputStream().write((req + "\n").getBytes(StandardCharsets.UTF_8));
                                String got = reader(s).readLine();
                                if (got == null) {
                                    return; // accepted by the kernel, dropped by the stop
                                }
                                assertEquals(req + " ok", got);
                                answered.incrementAndGet();
                            } catch (java.net.ConnectException refused) {
                                return;
                            } catch (SocketException e) {
                                assertTrue(e.getMessage().contains("ECONNRESET") || e.getMessage().contains("EPIPE"),
                                        e.toString());
                                return;
                            }
                        }
                    });
                }
                while (answered.get() < 20) {
                    Go.sleep(Duration.ofMillis(1));
                }
                ln.close();
                await(server, errors, "server stop under connects");
                await(done, errors, "clients of a stopped server");
                NetTesting.rethrow(errors);
            }
            long until = System.nanoTime() + LIMIT.toNanos();
            while (!NetTesting.openSockets().equals(fdsBefore) && System.nanoTime() < until) {
                Go.sleep(Duration.ofMillis(5));
            }
            assertEquals(fdsBefore, NetTesting.openSockets(), "descriptors after the restarts");
            return null;
        }));
        NetTesting.rethrow(errors);
    }

    /**
     * Hundreds of virtual-thread clients at once (a Loom application calling a panago
     * server), each with its connection open across many round trips, so that far more
     * virtual threads wait on the runtime's poller than there are carriers of either kind.
     */
    @Test
    void hundredsOfVirtualThreadClientsAgainstAGoroutineServer() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> {
            TcpListener ln = TcpListener.bind("127.0.0.1:0");
            Latch server = new Latch(1);
            serve(ln, errors, server, ScenarioHuntTest::lineHandler);
            String addr = "127.0.0.1:" + ln.localAddress().getPort();
            int clients = 250, requests = 10 * ROUNDS;
            CountDownLatch connected = new CountDownLatch(clients);
            List<Thread> ts = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int id = c;
                ts.add(Thread.ofVirtual().start(() -> {
                    try (TcpStream s = TcpStream.connect(addr)) {
                        connected.countDown();
                        connected.await(); // every connection open before the first request
                        BufferedReader in = reader(s);
                        OutputStream out = s.outputStream();
                        for (int k = 0; k < requests; k++) {
                            out.write(("ADD " + id + " " + k + "\n").getBytes(StandardCharsets.UTF_8));
                            assertEquals(Integer.toString(id + k), in.readLine());
                        }
                        out.write("QUIT\n".getBytes(StandardCharsets.UTF_8));
                        assertEquals("BYE", in.readLine());
                    } catch (Throwable t) {
                        errors.add(t);
                        connected.countDown();
                    }
                }));
            }
            long until = System.nanoTime() + LIMIT.toNanos();
            for (Thread t : ts) {
                t.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
                if (t.isAlive()) {
                    fail("virtual-thread client still running after " + LIMIT + "\n" + Go.dump());
                }
            }
            ln.close();
            if (!server.await(LIMIT)) {
                fail("server still running\n" + Go.dump());
            }
            NetTesting.rethrow(errors);
        });
        NetTesting.rethrow(errors);
    }

    /**
     * An overloaded server: a backlog of 1 and one accept every few milliseconds, so that
     * most dials find the queue full and their SYNs dropped. Clients of every kind dial with a
     * short timeout and retry on "Connect timed out" until they get through: every one is
     * served in the end, each timed-out dial is cancelled cleanly on every backend (no
     * descriptor left, no late connection counted twice).
     */
    @Test
    void overloadedServerClientsRetryTimedOutConnectsUntilServed() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        atEachGomaxprocs(() -> bounded(LIMIT, () -> {
            for (int round = 0; round < ROUNDS; round++) {
                TcpListener ln = TcpListener.bind("127.0.0.1:0", 1);
                AtomicInteger served = new AtomicInteger();
                Latch server = new Latch(1);
                WaitGroup wg = new WaitGroup();
                NetTesting.go(errors, server, () -> {
                    for (;;) {
                        TcpStream s;
                        try {
                            s = ln.accept();
                        } catch (SocketException e) {
                            if (ln.isClosed()) {
                                break;
                            }
                            throw e;
                        }
                        wg.go(() -> {
                            try (s) {
                                String line = reader(s).readLine();
                                if (line != null) {
                                    s.outputStream().write((line + " served\n").getBytes(StandardCharsets.UTF_8));
                                    served.incrementAndGet();
                                }
                            } catch (Throwable t) {
                                errors.add(t);
                            }
                        });
                        Go.sleep(Duration.ofMillis(5)); // slow to accept the next one
                    }
                    wg.await();
                });
                String addr = "127.0.0.1:" + ln.localAddress().getPort();
                int clients = 8;
                Latch done = new Latch(clients);
                AtomicInteger timedOut = new AtomicInteger();
                for (int c = 0; c < clients; c++) {
                    int id = c;
                    start(kind(c + round), errors, done, () -> {
                        for (;;) {
                            TcpStream s;
                            try {
                                s = TcpStream.connect(addr, Duration.ofMillis(30));
                            } catch (SocketTimeoutException e) {
                                assertTrue(e.getMessage().startsWith("Connect timed out"), e.getMessage());
                                timedOut.incrementAndGet();
                                continue;
                            }
                            try (s) {
                                s.outputStream().write(("c" + id + "\n").getBytes(StandardCharsets.UTF_8));
                                assertEquals("c" + id + " served", reader(s).readLine());
                                return;
                            }
                        }
                    });
                }
                await(done, errors, "clients of an overloaded server");
                ln.close();
                await(server, errors, "overloaded server");
                NetTesting.rethrow(errors);
                assertEquals(clients, served.get(), "connections served (" + timedOut + " dials timed out)");
            }
            return null;
        }));
        NetTesting.rethrow(errors);
    }
}
