package io.panago.net;

import io.panago.Go;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The I/O budget, end to end: a goroutine whose socket never runs dry yields its P now and
 * then, so the other goroutines on its P keep running while it reads.
 */
@ExtendWith(NetTesting.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IoBudgetTest {

    @Test
    void aGoroutineWhoseReadsNeverWaitLetsTheOthersOnItsPRun() throws Exception {
        Queue<Throwable> errors = NetTesting.errors();
        int prev = Go.gomaxprocs(1);
        try {
            for (int round = 0; round < 3; round++) {
                int[] got = witnessRunsDuringBulkRead(errors);
                NetTesting.rethrow(errors);
                // got: the witness's runs during the bulk read, and the reads it took. Every
                // 16 calls that did not wait, the reader yields and the witness runs once;
                // without the budget the reader keeps the P for all of them (its data is
                // queued before it starts), and the witness never runs in between.
                assertTrue(got[1] >= 256, "only " + got[1] + " reads");
                assertTrue(got[0] >= got[1] / 16 / 2,
                        "the witness ran " + got[0] + " times during " + got[1] + " reads");
            }
        } finally {
            Go.gomaxprocs(prev);
        }
    }

    private static int[] witnessRunsDuringBulkRead(Queue<Throwable> errors) throws Exception {
        return Go.run(() -> {
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0");
                 TcpStream out = TcpStream.connect(ln.localAddress());
                 TcpStream in = ln.accept()) {
                out.setSendBufferSize(1 << 20);
                in.setReceiveBufferSize(1 << 20);
                // Queue, with nobody reading yet, what the buffers surely take: a short write
                // says they are full, and no write here may wait.
                int target = Math.min(256 << 10, (out.sendBufferSize() + in.receiveBufferSize()) / 4);
                byte[] chunk = new byte[16 << 10];
                int queued = 0;
                while (queued < target) {
                    int want = Math.min(chunk.length, target - queued);
                    int n = out.write(chunk, 0, want);
                    queued += n;
                    if (n < want) {
                        break;
                    }
                }
                AtomicInteger runs = new AtomicInteger();
                AtomicInteger stop = new AtomicInteger();
                Latch done = new Latch(1);
                NetTesting.go(errors, done, () -> {
                    while (stop.get() == 0) {
                        runs.incrementAndGet();
                        Go.yield();
                    }
                });
                while (runs.get() < 3) {
                    Go.yield();
                }
                // The bulk read: this goroutine, on the one P, of data already queued.
                byte[] buf = new byte[256];
                int start = runs.get(), reads = 0, left = queued;
                while (left > 0) {
                    int n = in.read(buf, 0, Math.min(buf.length, left));
                    if (n <= 0) {
                        throw new AssertionError("read returned " + n + " with " + left + " left");
                    }
                    left -= n;
                    reads++;
                }
                int during = runs.get() - start;
                stop.set(1);
                done.await();
                return new int[] {during, reads};
            }
        });
    }
}
