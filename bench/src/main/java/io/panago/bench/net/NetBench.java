package io.panago.bench.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.panago.Go;
import io.panago.bench.ChanBenchSupport;
import io.panago.net.TcpListener;
import io.panago.net.TcpStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Echo round trips over one loopback TCP connection with both ends in this JVM: panago
 * ({@link TcpStream}, a client goroutine and an echoing server goroutine) against JDK virtual
 * threads ({@link Socket}'s streams) and Netty's native epoll transport (a client and a server
 * handler, one event loop each, and again with both on one loop), in one run. One operation is
 * one round trip: the client writes {@code size} bytes, the server echoes them, the client has
 * read them all back and checked every byte. GOMAXPROCS, the virtual-thread scheduler's
 * parallelism and Netty's two event loops make two threads each. The echo load ({@code EchoBench}, a server process per
 * peer driven by one client process) is the place for many connections and throughput; this
 * is the single-connection latency, reproducible with JMH.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {ChanBenchSupport.EXPORTS, ChanBenchSupport.NATIVE})
@State(Scope.Benchmark)
public class NetBench {
    /** Round trips per invocation. */
    static final int BATCH = 1_000;

    /** Bytes per message, each way. */
    @Param({"64", "65536"})
    public int size;

    private Peer panago;
    private Peer virtualThreads;
    private Peer netty;
    private Peer nettyOneLoop;

    /** Connects the three peers. */
    @Setup(Level.Trial)
    public void setUp() throws Exception {
        panago = panago(size);
        virtualThreads = virtualThreads(size);
        netty = netty(size, false);
        nettyOneLoop = netty(size, true);
    }

    /** Closes the connections and stops their threads. */
    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        panago.close();
        virtualThreads.close();
        netty.close();
        nettyOneLoop.close();
    }

    /** A round trip between two goroutines over {@link TcpStream}. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pingPongPanago() {
        panago.run(BATCH);
    }

    /** A round trip between two virtual threads over {@link Socket}'s streams. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pingPongVirtualThreads() {
        virtualThreads.run(BATCH);
    }

    /** A round trip between a Netty client handler and a Netty echo handler, each on its own loop. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pingPongNetty() {
        netty.run(BATCH);
    }

    /**
     * The same with both ends on one event loop: one thread polls both sockets, as one panago
     * M can run both goroutines, so no round trip waits for a thread to be woken.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pingPongNettyOneLoop() {
        nettyOneLoop.run(BATCH);
    }

    /** One connected client and its echo server: {@link #run} makes {@code n} round trips. */
    interface Peer extends AutoCloseable {
        /** Makes {@code n} round trips and waits for the last; throws if an echo differed. */
        void run(int n);

        @Override
        void close() throws Exception;
    }

    /** The message of round trip {@code i}: every round trip's bytes differ from the last's. */
    static void fill(byte[] msg, int i) {
        msg[0] = (byte) i;
        msg[msg.length / 2] = (byte) (i >>> 8);
        msg[msg.length - 1] = (byte) ~i;
    }

    static void check(byte[] sent, byte[] echoed) {
        if (!Arrays.equals(sent, echoed)) {
            throw new IllegalStateException("echo differs at byte " + Arrays.mismatch(sent, echoed));
        }
    }

    /** The client's side of {@code n} round trips over a blocking stream pair. */
    private static void roundTrips(int n, byte[] msg, byte[] echoed, IoRoundTrip io) {
        try {
            for (int i = 0; i < n; i++) {
                fill(msg, i);
                io.roundTrip(msg, echoed);
                check(msg, echoed);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FunctionalInterface
    private interface IoRoundTrip {
        void roundTrip(byte[] msg, byte[] echoed) throws IOException;
    }

    /** panago: an accept goroutine that echoes the one connection, a driver goroutine as client. */
    static Peer panago(int size) throws IOException {
        TcpListener ln = TcpListener.bind("127.0.0.1:0");
        Go.go(() -> {
            try (TcpStream s = ln.accept()) {
                byte[] buf = new byte[EchoServers.BUFFER];
                for (int r; (r = s.read(buf)) > 0; ) {
                    s.writeAll(buf, 0, r);
                }
            } catch (IOException e) {
                // the client closed: done
            }
        });
        TcpStream client = TcpStream.connect(ln.localAddress());
        byte[] msg = new byte[size], echoed = new byte[size];
        ChanBenchSupport.Driver d = ChanBenchSupport.goroutine(n -> roundTrips(n, msg, echoed, (m, e) -> {
            client.writeAll(m);
            client.readFully(e);
        }));
        return peer(d, client, ln);
    }

    /** Virtual threads: one serving the accepted socket, a driver thread as client. */
    static Peer virtualThreads(int size) throws IOException {
        ServerSocket ln = new ServerSocket(0, 50, EchoServers.loopback());
        Thread server = Thread.ofVirtual().start(() -> {
            try (Socket s = ln.accept()) {
                s.setTcpNoDelay(true);
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[EchoServers.BUFFER];
                for (int r; (r = in.read(buf)) > 0; ) {
                    out.write(buf, 0, r);
                }
            } catch (IOException e) {
                // the client closed: done
            }
        });
        Socket client = new Socket(EchoServers.loopback(), ln.getLocalPort());
        client.setTcpNoDelay(true);
        InputStream in = client.getInputStream();
        OutputStream out = client.getOutputStream();
        byte[] msg = new byte[size], echoed = new byte[size];
        ChanBenchSupport.Driver d = ChanBenchSupport.virtualThread(n -> roundTrips(n, msg, echoed, (m, e) -> {
            out.write(m);
            in.readNBytes(e, 0, e.length);
        }));
        return peer(d, client, server::join, ln);
    }

    /** A peer whose client is driver {@code d}; closing it closes {@code d}, then {@code then} in order. */
    private static Peer peer(ChanBenchSupport.Driver d, AutoCloseable... then) {
        return new Peer() {
            @Override
            public void run(int n) {
                d.run(n);
            }

            @Override
            public void close() throws Exception {
                d.close();
                for (AutoCloseable c : then) {
                    c.close();
                }
            }
        };
    }

    /**
     * Netty: the echo handler of {@link NettyEchoServer} on one loop, {@link NettyClient} on
     * another, or both on the same one if {@code oneLoop}.
     */
    @SuppressWarnings("deprecation") // EpollEventLoopGroup: Netty 4.1's epoll event loop, as in NettyEchoServer
    static Peer netty(int size, boolean oneLoop) throws InterruptedException {
        EventLoopGroup serverLoop = new EpollEventLoopGroup(1);
        EventLoopGroup clientLoop = oneLoop ? serverLoop : new EpollEventLoopGroup(1);
        NettyClient handler = new NettyClient(size);
        Channel server = new ServerBootstrap()
                .group(serverLoop)
                .channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new NettyEchoServer.Echo())
                .bind(new InetSocketAddress(EchoServers.loopback(), 0)).sync().channel();
        Channel client = new Bootstrap()
                .group(clientLoop)
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(handler)
                .connect(server.localAddress()).sync().channel();
        return new Peer() {
            @Override
            public void run(int n) {
                handler.start(client, n).join();
            }

            @Override
            public void close() throws InterruptedException {
                client.close().sync();
                server.close().sync();
                if (clientLoop != serverLoop) {
                    clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                }
                serverLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        };
    }

    /**
     * The Netty client: writes a message, gathers its echo as it arrives, checks it, and
     * writes the next until the batch is done. Runs on its channel's event loop only.
     */
    static final class NettyClient extends ChannelInboundHandlerAdapter {
        private final byte[] msg, echoed;
        private int got, sent, remaining;
        private CompletableFuture<Void> done;

        NettyClient(int size) {
            msg = new byte[size];
            echoed = new byte[size];
        }

        /** Starts {@code n} round trips on {@code ch}'s event loop; completes after the last. */
        CompletableFuture<Void> start(Channel ch, int n) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            ch.eventLoop().execute(() -> {
                done = f;
                remaining = n;
                sent = 0;
                send(ch);
            });
            return f;
        }

        private void send(Channel ch) {
            fill(msg, sent++);
            got = 0;
            ch.writeAndFlush(ch.alloc().buffer(msg.length).writeBytes(msg));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object m) {
            ByteBuf b = (ByteBuf) m;
            try {
                int r = b.readableBytes();
                if (done == null || got + r > echoed.length) {
                    fail(new IllegalStateException("unexpected echo of " + r + " bytes"));
                    return;
                }
                b.readBytes(echoed, got, r);
                got += r;
            } finally {
                b.release();
            }
            if (got < echoed.length) {
                return;
            }
            try {
                check(msg, echoed);
            } catch (IllegalStateException e) {
                fail(e);
                return;
            }
            if (--remaining > 0) {
                send(ctx.channel());
            } else {
                CompletableFuture<Void> f = done;
                done = null;
                f.complete(null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
            ctx.close();
        }

        private void fail(Throwable t) {
            CompletableFuture<Void> f = done;
            done = null;
            if (f != null) {
                f.completeExceptionally(t);
            }
        }
    }
}
