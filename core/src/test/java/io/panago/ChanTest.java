package io.panago;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The channel rules of the Go spec and {@code runtime/chan_test.go}'s TestChan. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChanTest {

    @Test
    void makeRejectsNegativeCapacity() {
        var e = assertThrows(IllegalArgumentException.class, () -> Chan.make(-1));
        assertEquals("makechan: size out of range", e.getMessage());
    }

    @Test
    void lenAndCapReportTheBuffer() {
        Chan<Integer> c = Chan.make(3);
        assertEquals(3, c.cap());
        assertEquals(0, c.len());
        c.send(1);
        c.send(2);
        assertEquals(2, c.len());
        c.recv();
        assertEquals(1, c.len());
        assertEquals(0, Chan.make().cap());
    }

    @Test
    void bufferedChannelIsFifo() {
        Chan<Integer> c = Chan.make(100);
        for (int i = 0; i < 100; i++) {
            c.send(i);
        }
        for (int i = 0; i < 100; i++) {
            assertEquals(i, c.recv());
        }
    }

    @Test
    void nullIsAValidElement() {
        Chan<Void> c = Chan.make(1);
        c.send(null);
        Chan.Received<Void> r = c.recvOk();
        assertTrue(r.ok());
        assertNull(r.value());
    }

    @Test
    void sendOnClosedChannelThrows() {
        Chan<Integer> c = Chan.make(1);
        c.close();
        var e = assertThrows(IllegalStateException.class, () -> c.send(1));
        assertEquals("send on closed channel", e.getMessage());
        assertThrows(IllegalStateException.class, () -> c.trySend(1));
    }

    @Test
    void closeOfClosedChannelThrows() {
        Chan<Integer> c = Chan.make();
        c.close();
        var e = assertThrows(IllegalStateException.class, c::close);
        assertEquals("close of closed channel", e.getMessage());
    }

    @Test
    void closeOfNilChannelThrows() {
        var e = assertThrows(IllegalStateException.class, () -> Chan.nil().close());
        assertEquals("close of nil channel", e.getMessage());
    }

    @Test
    void nilChannelIsNeverReady() {
        Chan<Integer> c = Chan.nil();
        assertFalse(c.trySend(1));
        assertNull(c.tryRecv());
        assertEquals(0, c.cap());
    }

    @Test
    void closedChannelYieldsBufferedValuesThenZero() {
        Chan<Integer> c = Chan.make(2);
        c.send(1);
        c.send(2);
        c.close();
        assertEquals(new Chan.Received<>(1, true), c.recvOk());
        assertEquals(2, c.recv());
        assertNull(c.recv());
        assertEquals(Chan.Received.closed(), c.recvOk());
        assertEquals(Chan.Received.closed(), c.tryRecv());
    }

    @Test
    void tryRecvOnEmptyOpenChannelReportsWouldBlock() {
        assertNull(Chan.make().tryRecv());
        assertNull(Chan.make(1).tryRecv());
    }

    @Test
    void trySendOnFullChannelReportsWouldBlock() {
        Chan<Integer> c = Chan.make(1);
        assertTrue(c.trySend(1));
        assertFalse(c.trySend(2));
        assertFalse(Chan.<Integer>make().trySend(1));
    }

    @Test
    void rangeEndsWhenClosedAndDrained() {
        Chan<Integer> c = Chan.make(5);
        for (int i = 0; i < 5; i++) {
            c.send(i);
        }
        c.close();
        List<Integer> got = new ArrayList<>();
        for (int v : c) {
            got.add(v);
        }
        assertEquals(List.of(0, 1, 2, 3, 4), got);
    }

    @Test
    void viewsRestrictDirection() {
        Chan<String> c = Chan.make(1);
        SendChan<String> out = c;
        RecvChan<String> in = c;
        out.send("x");
        assertEquals("x", in.recv());
        out.close();
        assertNull(in.recv());
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void unbufferedSendWaitsForReceiver(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make();
            AtomicBoolean sent = new AtomicBoolean();
            mode.go(() -> {
                c.send(42);
                sent.set(true);
            });
            until(() -> c.waitingSenders() == 1);
            assertFalse(sent.get());
            assertEquals(42, c.recv());
            until(sent::get);
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void sendToWaitingReceiverIsHandedOffDirectly(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make(1);
            RecvChan<Integer> got = mode.async(c::recv);
            until(() -> c.waitingReceivers() == 1);
            c.send(7);
            // The value went to the parked receiver, not into the buffer.
            assertEquals(0, c.len());
            assertEquals(7, got.recv());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void closeWakesEveryBlockedReceiver(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make();
            Chan<Chan.Received<Integer>> results = Chan.make(10);
            for (int i = 0; i < 10; i++) {
                mode.go(() -> results.send(c.recvOk()));
            }
            until(() -> c.waitingReceivers() == 10);
            c.close();
            for (int i = 0; i < 10; i++) {
                assertEquals(Chan.Received.closed(), results.recv());
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void closeFailsEveryBlockedSender(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make(1);
            c.send(0);
            Chan<String> failures = Chan.make(5);
            for (int i = 0; i < 5; i++) {
                int v = i + 1;
                mode.go(() -> {
                    try {
                        c.send(v);
                        failures.send("sent");
                    } catch (IllegalStateException e) {
                        failures.send(e.getMessage());
                    }
                });
            }
            until(() -> c.waitingSenders() == 5);
            c.close();
            for (int i = 0; i < 5; i++) {
                assertEquals("send on closed channel", failures.recv());
            }
            assertEquals(0, c.recv());
            assertNull(c.recv());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void blockedReceiversAreServedInFifoOrder(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make();
            Chan<Integer> order = Chan.make(5);
            for (int i = 0; i < 5; i++) {
                int me = i;
                mode.go(() -> {
                    c.recv();
                    order.send(me);
                });
                until(() -> c.waitingReceivers() == me + 1);
            }
            for (int i = 0; i < 5; i++) {
                c.send(i);
                assertEquals(i, order.recv());
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void blockedSendersAreServedInFifoOrder(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make(2);
            c.send(-2);
            c.send(-1);
            for (int i = 0; i < 5; i++) {
                int me = i;
                mode.go(() -> c.send(me));
                until(() -> c.waitingSenders() == me + 1);
            }
            for (int i = -2; i < 5; i++) {
                assertEquals(i, c.recv());
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void receiveFromEmptyChannelBlocksUntilSend(TestMode mode) throws Exception {
        mode.run(() -> {
            for (int cap : new int[] {0, 1, 10}) {
                Chan<Integer> c = Chan.make(cap);
                AtomicInteger got = new AtomicInteger(-1);
                mode.go(() -> got.set(c.recv()));
                until(() -> c.waitingReceivers() == 1);
                Thread.sleep(5);
                assertEquals(-1, got.get());
                c.send(5);
                until(() -> got.get() == 5);
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void rangeOverChannelFromProducer(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make();
            mode.go(() -> {
                for (int i = 1; i <= 1000; i++) {
                    c.send(i);
                }
                c.close();
            });
            long sum = 0;
            for (int v : c) {
                sum += v;
            }
            assertEquals(500_500, sum);
        });
    }
}
