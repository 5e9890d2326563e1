package io.panago.bench.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;

import java.net.InetSocketAddress;

/**
 * Netty's native epoll transport with one event loop ({@code EpollEventLoopGroup(1)}) for
 * accepting and serving, and the echo handler of Netty's own examples: write on read,
 * flush when the read burst is over. Netty's defaults otherwise (adaptive receive buffers
 * up to 64 KiB, at most 16 reads per readiness).
 */
final class NettyEchoServer {
    private NettyEchoServer() {
    }

    @SuppressWarnings("deprecation") // EpollEventLoopGroup: Netty 4.1's epoll event loop, as the issue names it
    static void serve() throws InterruptedException {
        EventLoopGroup group = new EpollEventLoopGroup(1);
        try {
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, EchoServers.BACKLOG)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new Echo())
                    .bind(new InetSocketAddress(EchoServers.loopback(), 0)).sync().channel();
            EchoServers.listening(((InetSocketAddress) server.localAddress()).getPort());
            server.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }

    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
