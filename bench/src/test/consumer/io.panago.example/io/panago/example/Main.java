package io.panago.example;

import io.panago.Chan;
import io.panago.Go;
import io.panago.net.TcpListener;
import io.panago.net.TcpStream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The README's first example: an echo server and its client as goroutines, results over a channel. */
public final class Main {
    public static void main(String[] args) throws Exception {
        String reply = Go.run(() -> {
            try (TcpListener listener = TcpListener.bind("127.0.0.1:0")) {
                Go.go(() -> {
                    try (TcpStream conn = listener.accept()) {
                        conn.inputStream().transferTo(conn.outputStream());
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                Chan<String> replies = Chan.make();
                Go.go(() -> {
                    try (TcpStream client = TcpStream.connect(listener.localAddress())) {
                        client.writeAll("hello, panago".getBytes(StandardCharsets.UTF_8));
                        client.shutdownOutput();
                        replies.send(new String(client.inputStream().readAllBytes(), StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                return replies.recv();
            }
        });
        System.out.println("echoed: " + reply);
    }
}
