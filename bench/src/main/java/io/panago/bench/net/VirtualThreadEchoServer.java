package io.panago.bench.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;

/** JDK virtual threads and {@code java.net.Socket}: a virtual thread per connection. */
final class VirtualThreadEchoServer {
    private VirtualThreadEchoServer() {
    }

    static void serve() throws IOException {
        try (ServerSocket server = new ServerSocket(0, EchoServers.BACKLOG, EchoServers.loopback())) {
            EchoServers.listening(server.getLocalPort());
            while (true) {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> echo(s));
            }
        }
    }

    private static void echo(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[EchoServers.BUFFER];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // the client went away: this connection is done
        }
    }
}
