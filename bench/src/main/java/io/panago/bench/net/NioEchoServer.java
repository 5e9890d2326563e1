package io.panago.bench.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A single-threaded NIO {@link Selector} loop. Each ready connection gets one read and its
 * echo per round; a connection whose echo did not fit the socket buffer keeps the rest and
 * waits for OP_WRITE instead of reading more, so a slow reader costs only its own memory.
 */
final class NioEchoServer {
    private final Selector selector;
    private final ServerSocketChannel server;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(EchoServers.BUFFER);

    private NioEchoServer() throws IOException {
        selector = Selector.open();
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(EchoServers.loopback(), 0), EchoServers.BACKLOG);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
    }

    static void serve() throws IOException {
        NioEchoServer s = new NioEchoServer();
        EchoServers.listening(((InetSocketAddress) s.server.getLocalAddress()).getPort());
        while (true) {
            s.selector.select(s::onReady);
        }
    }

    private void onReady(SelectionKey key) {
        try {
            if (key.isAcceptable()) {
                accept();
            } else if (key.isWritable()) {
                drain(key);
            } else if (key.isReadable()) {
                echo(key);
            }
        } catch (IOException e) {
            close(key);
        }
    }

    private void accept() throws IOException {
        SocketChannel c;
        while ((c = server.accept()) != null) {
            c.configureBlocking(false);
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c.register(selector, SelectionKey.OP_READ);
        }
    }

    private void echo(SelectionKey key) throws IOException {
        SocketChannel c = (SocketChannel) key.channel();
        buf.clear();
        if (c.read(buf) < 0) {
            close(key);
            return;
        }
        buf.flip();
        c.write(buf);
        if (buf.hasRemaining()) {
            ByteBuffer rest = key.attachment() instanceof ByteBuffer b ? b.clear()
                    : ByteBuffer.allocateDirect(EchoServers.BUFFER);
            rest.put(buf).flip();
            key.attach(rest);
            key.interestOps(SelectionKey.OP_WRITE);
        }
    }

    private void drain(SelectionKey key) throws IOException {
        ByteBuffer rest = (ByteBuffer) key.attachment();
        ((SocketChannel) key.channel()).write(rest);
        if (!rest.hasRemaining()) {
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private static void close(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException e) {
            // closing a dead connection: nothing left to do
        }
    }
}
