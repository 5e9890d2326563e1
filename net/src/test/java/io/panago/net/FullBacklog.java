package io.panago.net;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener that never accepts, and the connections that fill its backlog: a further connect
 * to it waits (its SYNs go unanswered) until something else ends it, as on a path that drops
 * packets.
 */
record FullBacklog(TcpListener listener, List<TcpStream> queued) implements AutoCloseable {
    /** On 127.0.0.1. */
    static FullBacklog make() throws IOException {
        return make("127.0.0.1");
    }

    /** On {@code host}, a literal ({@code "127.0.0.1"}, {@code "[::1]"}). */
    static FullBacklog make(String host) throws IOException {
        TcpListener ln = TcpListener.bind(host + ":0", 1);
        List<TcpStream> queued = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                queued.add(TcpStream.connect(ln.localAddress(), Duration.ofMillis(300)));
            }
        } catch (SocketTimeoutException full) {
            return new FullBacklog(ln, queued);
        }
        queued.forEach(TcpStream::close);
        ln.close();
        throw new AssertionError("16 connections and the backlog of 1 still took more");
    }

    /** Its {@code host:port}. */
    String address() {
        return io.panago.net.poll.SockAddr.format(listener.localAddress());
    }

    @Override
    public void close() {
        queued.forEach(TcpStream::close);
        listener.close();
    }
}
