package io.panago.net;

import io.panago.Go;

import java.net.SocketException;
import java.util.concurrent.Phaser;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The echo server of {@link EchoStressTest#tenThousandConnectionsAtOnce}, run in a child JVM:
 * prints {@code port N}, echoes every connection in a goroutine of its own until its standard
 * input ends, then prints {@code served N errors E} and exits with 1 if E is not 0.
 */
public final class EchoServerMain {
    private EchoServerMain() {}

    public static void main(String[] args) throws Exception {
        AtomicInteger served = new AtomicInteger(), errors = new AtomicInteger();
        TcpListener ln = TcpListener.bind("127.0.0.1:0");
        Latch loopEnded = new Latch(1);
        Phaser echoes = new Phaser(1);
        Go.go(() -> {
            try {
                for (;;) {
                    TcpStream s = ln.accept();
                    echoes.register();
                    Go.go(() -> {
                        try {
                            EchoStressTest.echo(s, 4096);
                            served.incrementAndGet();
                        } catch (Throwable t) {
                            errors.incrementAndGet();
                            t.printStackTrace();
                        } finally {
                            echoes.arriveAndDeregister();
                        }
                    });
                }
            } catch (SocketException closed) {
                if (!ln.isClosed()) {
                    errors.incrementAndGet();
                    closed.printStackTrace();
                }
            } catch (Throwable t) {
                errors.incrementAndGet();
                t.printStackTrace();
            } finally {
                loopEnded.countDown();
            }
        });
        System.out.println("port " + ln.localAddress().getPort());
        System.out.flush();
        while (System.in.read() >= 0) {
            // run until the parent closes our standard input
        }
        ln.close();
        loopEnded.await();
        echoes.arriveAndAwaitAdvance();
        System.out.println("served " + served.get() + " errors " + errors.get());
        System.out.flush();
        System.exit(errors.get() == 0 ? 0 : 1);
    }
}
