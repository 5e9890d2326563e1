package io.panago;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.panago.sync.WaitGroup;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stress in the manner of Go's {@code runtime/chan_test.go}: many producers and
 * consumers, close racing with blocked parties, non-blocking operations racing with
 * close and send, and selects racing with each other. Sizes are cut for two busy cores;
 * threads, whose park is a futex, get smaller sizes than goroutines.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChanStressTest {

    private static int scale(TestMode mode, int n) {
        return mode == TestMode.THREADS ? n / 10 : n;
    }

    @ParameterizedTest
    @EnumSource(TestMode.class)
    void manyProducersManyConsumersLoseAndDuplicateNothing(TestMode mode) throws Exception {
        mode.run(() -> {
            for (int cap : new int[] {0, 1, 16}) {
                int producers = 8;
                int consumers = 8;
                int perProducer = scale(mode, 10_000);
                Chan<Integer> c = Chan.make(cap);
                AtomicLong sum = new AtomicLong();
                AtomicLong count = new AtomicLong();
                WaitGroup prod = new WaitGroup();
                WaitGroup cons = new WaitGroup();
                prod.add(producers);
                cons.add(consumers);
                for (int p = 0; p < producers; p++) {
                    int base = p * perProducer;
                    mode.go(() -> {
                        for (int i = 0; i < perProducer; i++) {
                            c.send(base + i);
                        }
                        prod.done();
                    });
                }
                for (int k = 0; k < consumers; k++) {
                    mode.go(() -> {
                        long s = 0;
                        long n = 0;
                        for (int v : c) {
                            s += v;
                            n++;
                        }
                        sum.addAndGet(s);
                        count.addAndGet(n);
                        cons.done();
                    });
                }
                prod.await();
                c.close();
                cons.await();
                long total = (long) producers * perProducer;
                assertEquals(total, count.get(), "cap " + cap);
                assertEquals(total * (total - 1) / 2, sum.get(), "cap " + cap);
                assertEquals(0, c.waitingReceivers());
            }
        });
    }

    /** Go's TestMultiConsumer: workers ranging over a queue, results counted and summed. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void multiConsumer(TestMode mode) throws Exception {
        mode.run(() -> {
            int nwork = 23;
            int niter = scale(mode, 150_000);
            int[] pn = {2, 3, 7, 11, 13, 17, 19, 23, 27, 31};
            Chan<Integer> q = Chan.make(nwork * 3);
            Chan<Integer> r = Chan.make(nwork * 3);
            WaitGroup wg = new WaitGroup();
            for (int i = 0; i < nwork; i++) {
                wg.add(1);
                int w = i;
                mode.go(() -> {
                    for (int v : q) {
                        if (pn[w % pn.length] == v) {
                            io.panago.runtime.Sched.gosched();
                        }
                        r.send(v);
                    }
                    wg.done();
                });
            }
            AtomicLong expect = new AtomicLong();
            mode.go(() -> {
                long e = 0;
                for (int i = 0; i < niter; i++) {
                    int v = pn[i % pn.length];
                    e += v;
                    q.send(v);
                }
                expect.set(e);
                q.close();
                wg.await();
                r.close();
            });
            long n = 0;
            long s = 0;
            for (int v : r) {
                n++;
                s += v;
            }
            assertEquals(niter, n);
            assertEquals(expect.get(), s);
        });
    }

    /**
     * Close races with blocked and arriving senders and receivers: every send that
     * returned normally is received exactly once, every other send throws, and every
     * receiver's range ends.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void closeRacingWithSendersAndReceivers(TestMode mode) throws Exception {
        mode.run(() -> {
            int rounds = scale(mode, 1000);
            for (int round = 0; round < rounds; round++) {
                int cap = round % 3;
                Chan<Long> c = Chan.make(cap);
                AtomicLong sent = new AtomicLong();
                AtomicLong received = new AtomicLong();
                WaitGroup wg = new WaitGroup();
                int senders = 3;
                int receivers = 3;
                wg.add(senders + receivers);
                for (int s = 0; s < senders; s++) {
                    mode.go(() -> {
                        try {
                            for (long v = 1; ; v++) {
                                c.send(v);
                                sent.addAndGet(v);
                            }
                        } catch (IllegalStateException e) {
                            assertEquals("send on closed channel", e.getMessage());
                        } finally {
                            wg.done();
                        }
                    });
                }
                // Close after a random number of values has gone through: an event, not a
                // spin, so the race is the same at any GOMAXPROCS.
                int closeAfter = ThreadLocalRandom.current().nextInt(30);
                AtomicLong count = new AtomicLong();
                Chan<Void> progress = Chan.make(1);
                for (int k = 0; k < receivers; k++) {
                    mode.go(() -> {
                        for (long v : c) {
                            received.addAndGet(v);
                            if (count.incrementAndGet() == closeAfter) {
                                progress.trySend(null);
                            }
                        }
                        wg.done();
                    });
                }
                if (closeAfter > 0) {
                    progress.recv();
                }
                c.close();
                wg.await();
                assertEquals(sent.get(), received.get(), "round " + round);
                assertEquals(0, c.waitingSenders());
                assertEquals(0, c.waitingReceivers());
            }
        });
    }

    /**
     * A goroutine's wait record (sudog) is reused from one blocking send or receive to the
     * next: a wait ended by close must not leak "closed" or a value into the next wait. Each
     * round the peer either completes the operation or closes the channel, at random, while the
     * main party is usually already parked on it.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void reusedWaitRecordsCarryNothingIntoTheNextWait(TestMode mode) throws Exception {
        mode.run(() -> {
            int rounds = scale(mode, 3000);
            @SuppressWarnings("unchecked")
            Chan<Integer>[] cs = new Chan[rounds];
            boolean[] closeIt = new boolean[rounds];
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            for (int r = 0; r < rounds; r++) {
                cs[r] = Chan.make();
                closeIt[r] = rnd.nextBoolean();
            }
            AtomicReference<Throwable> peerFailure = new AtomicReference<>();
            Chan<Void> peerDone = Chan.make(1);
            mode.go(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        if (rnd.nextInt(4) == 0) {
                            Go.yield(); // let the main party park first
                        }
                        if (closeIt[r]) {
                            cs[r].close();
                        } else if (r % 2 == 0) {
                            cs[r].send(r);
                        } else {
                            assertEquals(r, cs[r].recv());
                        }
                    }
                } catch (Throwable t) {
                    peerFailure.set(t);
                } finally {
                    peerDone.send(null);
                }
            });
            for (int r = 0; r < rounds; r++) {
                if (r % 2 == 0) {
                    Chan.Received<Integer> got = cs[r].recvOk();
                    if (closeIt[r]) {
                        assertEquals(Chan.Received.closed(), got, "round " + r);
                    } else {
                        assertEquals(new Chan.Received<>(r, true), got, "round " + r);
                    }
                } else {
                    boolean threw = false;
                    try {
                        cs[r].send(r);
                    } catch (IllegalStateException e) {
                        threw = true;
                    }
                    assertEquals(closeIt[r], threw, "round " + r);
                }
            }
            peerDone.recv();
            if (peerFailure.get() != null) {
                fail(peerFailure.get());
            }
        });
    }

    /** Go's TestNonblockRecvRace: a closed channel with a value is never "not ready". */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void nonBlockingReceiveRacingWithCloseNeverReportsNotReady(TestMode mode) throws Exception {
        mode.run(() -> {
            int n = scale(mode, 10_000);
            AtomicReference<String> failure = new AtomicReference<>();
            WaitGroup wg = new WaitGroup();
            for (int i = 0; i < n; i++) {
                Chan<Integer> c = Chan.make(1);
                c.send(1);
                wg.add(1);
                mode.go(() -> {
                    if (c.tryRecv() == null) {
                        failure.set("chan is not ready");
                    }
                    wg.done();
                });
                c.close();
                c.recv();
            }
            wg.await();
            assertEquals(null, failure.get());
        });
    }

    /** Go's TestNonblockSelectRace: of two channels, one is always ready. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void nonBlockingSelectRacingWithSendNeverMissesBoth(TestMode mode) throws Exception {
        mode.run(() -> {
            int n = scale(mode, 10_000);
            Chan<Boolean> done = Chan.make(1);
            for (int i = 0; i < n; i++) {
                Chan<Integer> c1 = Chan.make(1);
                Chan<Integer> c2 = Chan.make(1);
                c1.send(1);
                mode.go(() -> {
                    Select sel = new Select();
                    sel.recv(c1);
                    sel.recv(c2);
                    done.send(sel.trySelect() != Select.DEFAULT);
                });
                c2.send(1);
                Select sel = new Select();
                sel.recv(c1);
                sel.recv(c2);
                sel.select();
                if (!done.recv()) {
                    fail("no chan is ready");
                }
            }
        });
    }

    /** Go's TestSelfSelect: a select never communicates with itself. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void selectNeverReceivesItsOwnSend(TestMode mode) throws Exception {
        mode.run(() -> {
            for (int cap : new int[] {0, 10}) {
                Chan<Integer> c = Chan.make(cap);
                WaitGroup wg = new WaitGroup();
                AtomicReference<String> failure = new AtomicReference<>();
                wg.add(2);
                for (int p = 0; p < 2; p++) {
                    int me = p;
                    mode.go(() -> {
                        Select sel = new Select();
                        Select.RecvCase<Integer> r;
                        if (me == 0) {
                            sel.send(c, me);
                            r = sel.recv(c);
                        } else {
                            r = sel.recv(c);
                            sel.send(c, me);
                        }
                        for (int i = 0; i < scale(mode, 5000); i++) {
                            if (sel.select() == r.index() && cap == 0 && r.value() == me) {
                                failure.set("self receive");
                            }
                        }
                        wg.done();
                    });
                }
                wg.await();
                assertEquals(null, failure.get());
            }
        });
    }

    /**
     * Go's TestSelectStress: plain senders and receivers on four channels of different
     * capacities, plus one select sending to all four and one receiving from all four,
     * switching off each case (nil channel) once its quota is done. Any lost wake-up
     * deadlocks it.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void selectsRacingWithSendsAndReceivesLoseNoWakeUp(TestMode mode) throws Exception {
        mode.run(() -> {
            int n = scale(mode, 50_000);
            @SuppressWarnings("unchecked")
            Chan<Integer>[] c = new Chan[] {Chan.make(), Chan.make(), Chan.make(2), Chan.make(3)};
            WaitGroup wg = new WaitGroup();
            wg.add(10);
            for (int k = 0; k < 4; k++) {
                Chan<Integer> ch = c[k];
                mode.go(() -> {
                    for (int i = 0; i < n; i++) {
                        ch.send(0);
                    }
                    wg.done();
                });
                mode.go(() -> {
                    for (int i = 0; i < n; i++) {
                        ch.recv();
                    }
                    wg.done();
                });
            }
            mode.go(() -> {
                selectWithQuotas(c, new int[] {3, 2, 0, 1}, true, n);
                wg.done();
            });
            mode.go(() -> {
                selectWithQuotas(c, new int[] {0, 3, 1, 2}, false, n);
                wg.done();
            });
            wg.await();
            for (Chan<Integer> ch : c) {
                assertEquals(0, ch.len());
                assertEquals(0, ch.waitingReceivers() + ch.waitingSenders());
            }
        });
    }

    /**
     * One select over all of {@code c} (cases added in {@code order}) that runs until each
     * case has been chosen {@code n} times, switching a case off once its quota is met.
     */
    private static void selectWithQuotas(Chan<Integer>[] c, int[] order, boolean send, int n) {
        Select sel = new Select();
        Select.Case[] cs = new Select.Case[c.length];
        for (int k : order) {
            cs[k] = send ? sel.send(c[k], 0) : sel.recv(c[k]);
        }
        int[] cnt = new int[c.length];
        for (int i = 0; i < c.length * n; i++) {
            int chosen = sel.select();
            for (int k = 0; k < c.length; k++) {
                if (cs[k].index() == chosen && ++cnt[k] == n) {
                    if (cs[k] instanceof Select.SendCase<?> sc) {
                        sc.chan(null);
                    } else {
                        ((Select.RecvCase<?>) cs[k]).chan(null);
                    }
                }
            }
        }
    }

    /**
     * Many goroutines each select between receiving from a shared channel and a shared
     * "quit" channel, while the main party feeds values then closes quit: every value is
     * received exactly once and every select ends.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void selectsSharingChannelsEachGetDistinctValues(TestMode mode) throws Exception {
        mode.run(() -> {
            int workers = 16;
            int values = scale(mode, 100_000);
            Chan<Integer> in = Chan.make();
            Chan<Void> quit = Chan.make();
            AtomicLong sum = new AtomicLong();
            WaitGroup wg = new WaitGroup();
            wg.add(workers);
            for (int w = 0; w < workers; w++) {
                mode.go(() -> {
                    Select sel = new Select();
                    var v = sel.recv(in);
                    var q = sel.recv(quit);
                    long s = 0;
                    while (sel.select() != q.index()) {
                        s += v.value();
                    }
                    sum.addAndGet(s);
                    wg.done();
                });
            }
            for (int i = 1; i <= values; i++) {
                in.send(i);
            }
            quit.close();
            wg.await();
            assertEquals((long) values * (values + 1) / 2, sum.get());
            assertTrue(in.waitingReceivers() == 0 && quit.waitingReceivers() == 0);
        });
    }
}
