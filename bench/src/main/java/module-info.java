/**
 * JMH benchmarks and the echo demo, each measured beside its peers (JDK virtual threads,
 * NIO, Netty) in one run.
 */
module io.panago.bench {
    requires io.panago.net;
    requires jmh.core;
}
