package io.panago.bench.net;

import java.net.InetAddress;
import java.util.List;

/**
 * The child-process entry point of the echo benchmark's Java servers:
 * {@code EchoServers KIND} binds an ephemeral port on 127.0.0.1, prints
 * {@code LISTENING <port>} on standard output and echoes until it is killed.
 * Every server reads into a 32 KiB buffer (Go's {@code io.Copy} size), turns
 * {@code TCP_NODELAY} on and listens with a backlog of 4096.
 */
public final class EchoServers {
    static final List<String> KINDS = List.of("panago", "vthreads", "nio", "netty");
    static final int BUFFER = 32 * 1024;
    static final int BACKLOG = 4096;

    private EchoServers() {
    }

    /** Runs the server named by {@code args[0]}: one of panago, vthreads, nio, netty. */
    public static void main(String[] args) throws Exception {
        if (args.length != 1 || !KINDS.contains(args[0])) {
            System.err.println("usage: EchoServers " + String.join("|", KINDS));
            System.exit(2);
        }
        switch (args[0]) {
            case "panago" -> PanagoEchoServer.serve();
            case "vthreads" -> VirtualThreadEchoServer.serve();
            case "nio" -> NioEchoServer.serve();
            case "netty" -> NettyEchoServer.serve();
            default -> throw new AssertionError(args[0]);
        }
    }

    static InetAddress loopback() {
        return InetAddress.getLoopbackAddress();
    }

    /** Tells the harness the server is ready: the one line it waits for. */
    static void listening(int port) {
        System.out.println("LISTENING " + port);
        System.out.flush();
    }
}
