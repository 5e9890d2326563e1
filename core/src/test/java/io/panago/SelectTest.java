package io.panago;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Go's select semantics, and {@code select_test}/{@code chan_test.go} selects. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SelectTest {

    @Test
    void nullClausesAndClauseArgumentsAreRefusedByName() {
        assertEquals("body", assertThrows(NullPointerException.class,
                () -> Select.onRecv(Chan.make(), null)).getMessage());
        assertEquals("after", assertThrows(NullPointerException.class,
                () -> Select.onTimeout(null, () -> {})).getMessage());
        assertEquals("clauses[1]", assertThrows(NullPointerException.class,
                () -> Select.select(Select.onDefault(() -> {}), null)).getMessage());
    }

    /**
     * A second run while one is parked enqueued the same sudogs again, which broke the
     * channel's wait queue for every user (a later send failed in goready).
     */
    @Test
    void aSecondRunOrACaseChangeWhileOneRunsIsRefused() {
        Chan<Integer> c = Chan.make();
        Select sel = new Select();
        Select.RecvCase<Integer> rc = sel.recv(c);
        Chan<Integer> got = Chan.make(1);
        Go.go(() -> {
            sel.select();
            got.send(rc.value());
        });
        until(() -> c.waitingReceivers() == 1, "select parked");
        assertEquals("select: run by two goroutines at once",
                assertThrows(IllegalStateException.class, sel::trySelect).getMessage());
        assertThrows(IllegalStateException.class, () -> rc.chan(Chan.make()));
        assertThrows(IllegalStateException.class, () -> sel.recv(Chan.make()));
        c.send(1);
        assertEquals(1, got.recv());
        Go.go(() -> c.send(2));
        assertEquals(2, c.recv());
        Go.go(() -> c.send(3));
        assertEquals(rc.index(), sel.select());
        assertEquals(3, rc.value());
    }

    @Test
    void trySelectReturnsDefaultWhenNothingIsReady() {
        Select sel = new Select();
        sel.recv(Chan.make());
        sel.send(Chan.make(), 1);
        assertEquals(Select.DEFAULT, sel.trySelect());
    }

    @Test
    void readyReceiveCaseIsTaken() {
        Chan<String> a = Chan.make(1);
        Chan<String> b = Chan.make(1);
        b.send("b");
        Select sel = new Select();
        var ra = sel.recv(a);
        var rb = sel.recv(b);
        assertEquals(rb.index(), sel.select());
        assertEquals("b", rb.value());
        assertTrue(rb.ok());
        assertEquals(0, ra.index());
    }

    @Test
    void readySendCaseIsTaken() {
        Chan<Integer> full = Chan.make(1);
        full.send(0);
        Chan<Integer> free = Chan.make(1);
        Select sel = new Select();
        sel.send(full, 1);
        var s = sel.send(free, 2);
        assertEquals(s.index(), sel.select());
        assertEquals(2, free.recv());
    }

    @Test
    void closedChannelReceiveCaseReportsNotOk() {
        Chan<Integer> c = Chan.make();
        c.close();
        Select sel = new Select();
        var r = sel.recv(c);
        assertEquals(r.index(), sel.trySelect());
        assertFalse(r.ok());
        assertNull(r.value());
    }

    @Test
    void chosenSendCaseOnClosedChannelThrows() {
        Chan<Integer> c = Chan.make(1);
        c.close();
        Select sel = new Select();
        sel.send(c, 1);
        var e = assertThrows(IllegalStateException.class, sel::trySelect);
        assertEquals("send on closed channel", e.getMessage());
    }

    @Test
    void nilChannelCaseIsNeverChosen() {
        Chan<Integer> c = Chan.make(1);
        Select sel = new Select();
        var r = sel.recv(c);
        c.send(1);
        r.chan(null);
        assertEquals(Select.DEFAULT, sel.trySelect());
        r.chan(c);
        assertEquals(r.index(), sel.trySelect());
        assertEquals(1, r.value());
    }

    @Test
    void timeoutIsReturnedWhenNothingBecomesReady() {
        Select sel = new Select();
        sel.recv(Chan.make());
        long t0 = System.nanoTime();
        assertEquals(Select.TIMEOUT, sel.select(Duration.ofMillis(30)));
        assertTrue(System.nanoTime() - t0 >= 30_000_000L);
    }

    @Test
    void zeroTimeoutOnlyPolls() {
        Chan<Integer> c = Chan.make(1);
        Select sel = new Select();
        var r = sel.recv(c);
        assertEquals(Select.TIMEOUT, sel.select(Duration.ZERO));
        c.send(3);
        assertEquals(r.index(), sel.select(Duration.ZERO));
    }

    @Test
    void selectWithOnlyTimeoutSleeps() {
        long t0 = System.nanoTime();
        assertEquals(Select.TIMEOUT, new Select().select(Duration.ofMillis(20)));
        assertTrue(System.nanoTime() - t0 >= 20_000_000L);
    }

    @Test
    void oneShotSelectRunsTheChosenBody() {
        Chan<Integer> a = Chan.make(1);
        Chan<Integer> b = Chan.make(1);
        a.send(5);
        AtomicInteger got = new AtomicInteger();
        int at = Select.select(
                Select.onRecv(b, v -> got.set(-1)),
                Select.onRecv(a, got::set));
        assertEquals(1, at);
        assertEquals(5, got.get());
        AtomicReference<String> which = new AtomicReference<>();
        assertEquals(2, Select.select(
                Select.onRecv(a, v -> which.set("a")),
                Select.onSend(Chan.<Integer>make(), 1, () -> which.set("send")),
                Select.onDefault(() -> which.set("default"))));
        assertEquals("default", which.get());
        assertEquals(1, Select.select(
                Select.onRecvOk(a, (v, ok) -> which.set("recv")),
                Select.onTimeout(Duration.ofMillis(5), () -> which.set("timeout"))));
        assertEquals("timeout", which.get());
        assertThrows(IllegalArgumentException.class, () -> Select.select(
                Select.onDefault(() -> {}), Select.onDefault(() -> {})));
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void parkedSelectIsWokenByASend(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> a = Chan.make();
            Chan<Integer> b = Chan.make();
            Select sel = new Select();
            var ra = sel.recv(a);
            var rb = sel.recv(b);
            mode.go(() -> {
                until(() -> b.waitingReceivers() == 1);
                b.send(9);
            });
            assertEquals(rb.index(), sel.select());
            assertEquals(9, rb.value());
            // The select's other sudog was removed from a's queue.
            assertEquals(0, a.waitingReceivers());
            assertEquals(0, ra.index());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void parkedSelectIsWokenByClose(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> a = Chan.make();
            Chan<Void> done = Chan.make();
            Select sel = new Select();
            sel.recv(a);
            var d = sel.recv(done);
            mode.go(() -> {
                until(() -> done.waitingReceivers() == 1);
                done.close();
            });
            assertEquals(d.index(), sel.select());
            assertFalse(d.ok());
            assertEquals(0, a.waitingReceivers());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void parkedSendCaseFailsWhenItsChannelIsClosed(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make();
            Select sel = new Select();
            sel.send(c, 1);
            sel.recv(Chan.make());
            mode.go(() -> {
                until(() -> c.waitingSenders() == 1);
                c.close();
            });
            var e = assertThrows(IllegalStateException.class, sel::select);
            assertEquals("send on closed channel", e.getMessage());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void parkedSelectTimesOutAndLeavesNoWaiters(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> a = Chan.make();
            Chan<Integer> b = Chan.make();
            Select sel = new Select();
            sel.recv(a);
            sel.send(b, 1);
            for (int i = 0; i < 20; i++) {
                assertEquals(Select.TIMEOUT, sel.select(Duration.ofMillis(1)));
            }
            assertEquals(0, a.waitingReceivers());
            assertEquals(0, b.waitingSenders());
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void timeoutOfAnEarlierRunNeverEndsALaterOne(TestMode mode) throws Exception {
        mode.run(() -> {
            // Each run's value arrives just around its timeout: a late firing of the
            // previous run's timer must not cut the next run short.
            Chan<Integer> c = Chan.make();
            Select sel = new Select();
            var r = sel.recv(c);
            mode.go(() -> {
                for (int i = 0; i < 300; i++) {
                    c.send(i);
                }
            });
            int received = 0;
            while (received < 300) {
                int i = sel.select(Duration.ofSeconds(5));
                assertEquals(r.index(), i, "spurious timeout after " + received);
                assertEquals(received, r.value());
                received++;
            }
        });
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void selectSendsToAParkedSelectReceiver(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make();
            RecvChan<Integer> got = mode.async(() -> {
                Select sel = new Select();
                var r = sel.recv(c);
                sel.recv(Chan.make());
                sel.select();
                return r.value();
            });
            until(() -> c.waitingReceivers() == 1);
            Select sel = new Select();
            var s = sel.send(c, 77);
            assertEquals(s.index(), sel.select());
            assertEquals(77, got.recv());
        });
    }

    /**
     * Go's TestSelectFairness: with several cases always ready, each is chosen with equal
     * probability. 100,000 runs over three ready channels; the bound is 10 sigma.
     */
    @Test
    void readyCasesAreChosenUniformly() {
        int trials = 100_000;
        Chan<Integer> c1 = Chan.make(1);
        Chan<Integer> c2 = Chan.make(1);
        Chan<Integer> c3 = Chan.make(1);
        Select sel = new Select();
        var r1 = sel.recv(c1);
        var r2 = sel.recv(c2);
        var r3 = sel.recv(c3);
        sel.recv(Chan.make());
        int[] count = new int[4];
        c1.send(1);
        c2.send(2);
        c3.send(3);
        for (int i = 0; i < trials; i++) {
            int k = sel.select();
            count[k]++;
            // Refill the drained channel so all three stay ready.
            ((Chan<Integer>) (k == r1.index() ? c1 : k == r2.index() ? c2 : c3)).send(k);
        }
        double p = 1.0 / 3;
        double sigma = Math.sqrt(trials * p * (1 - p));
        for (int k = 0; k < 3; k++) {
            assertTrue(Math.abs(count[k] - trials * p) < 10 * sigma,
                    "case " + k + " chosen " + count[k] + " of " + trials);
        }
        assertEquals(0, count[3]);
        assertEquals(2, r3.index());
    }

    /** Go's TestPseudoRandomSend: two send cases on one channel are both taken. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void sendCasesOnOneChannelAreChosenAtRandom(TestMode mode) throws Exception {
        mode.run(() -> {
            int n = 1000;
            Chan<Integer> c = Chan.make();
            RecvChan<int[]> counts = mode.async(() -> {
                int[] cnt = new int[2];
                for (int i = 0; i < n; i++) {
                    cnt[c.recv()]++;
                }
                return cnt;
            });
            Select sel = new Select();
            sel.send(c, 0);
            sel.send(c, 1);
            for (int i = 0; i < n; i++) {
                sel.select();
            }
            int[] cnt = counts.recv();
            assertTrue(cnt[0] > n / 10 && cnt[1] > n / 10, cnt[0] + " vs " + cnt[1]);
        });
    }

    /** Go's TestSelectDuplicateChannel: the same channel in several cases of one select. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void duplicateChannelInOneSelect(TestMode mode) throws Exception {
        mode.run(() -> {
            Chan<Integer> c = Chan.make();
            Chan<Integer> d = Chan.make();
            Chan<Integer> e = Chan.make();
            mode.go(() -> {
                Select sel = new Select();
                sel.recv(c);
                sel.recv(c);
                sel.recv(d);
                sel.select();
                e.send(9);
            });
            mode.go(() -> {
                Select sel = new Select();
                sel.recv(c);
                sel.recv(c);
                sel.select();
            });
            until(() -> c.waitingReceivers() == 4);
            d.send(7);
            assertEquals(9, e.recv());
            c.send(8);
            until(() -> c.waitingReceivers() == 0);
        });
    }

    @Test
    void reusedSelectAllocatesNothingPerRun() throws Exception {
        Chan<Integer> a = Chan.make(1);
        Chan<Integer> b = Chan.make(1);
        Integer one = 1;
        Select sel = new Select();
        var ra = sel.recv(a);
        var sb = sel.send(b, one);
        var rb = sel.recv(b);
        Runnable loop = () -> {
            for (int i = 0; i < 20_000; i++) {
                a.send(one);
                int k = sel.select();
                if (k == sb.index()) {
                    b.recv();
                    a.recv();
                } else if (k == rb.index()) {
                    throw new AssertionError();
                } else if (ra.value() != one) {
                    throw new AssertionError();
                }
            }
        };
        loop.run();
        loop.run();
        long before = allocatedBytes();
        loop.run();
        long bytes = allocatedBytes() - before;
        assertTrue(bytes < 20_000, "allocated " + bytes + " bytes over 20,000 selects");
    }

    private static long allocatedBytes() throws Exception {
        Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        Method m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (long) m.invoke(bean);
    }
}
