/**
 * JMH benchmarks and the echo demo, each measured beside its peers (JDK virtual threads,
 * NIO, Netty) in one run.
 */
module io.panago.bench {
    requires io.panago.net;
    requires jmh.core;

    // The echo benchmark's Netty peer (automatic modules of Netty 4.1).
    requires io.netty.buffer;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
}
