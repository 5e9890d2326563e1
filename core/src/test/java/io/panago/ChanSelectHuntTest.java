package io.panago;

import static io.panago.TestMode.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Hunting for departures from Go's channel and select semantics (runtime/chan.go, select.go). */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ChanSelectHuntTest {

    private int procs;

    @BeforeEach
    void saveProcs() {
        procs = Go.gomaxprocs();
    }

    @AfterEach
    void restoreProcs() {
        Go.gomaxprocs(procs);
    }

    /**
     * Selects with a send and a receive case on one unbuffered channel pair up with each
     * other (Go: two goroutines running {@code select { case c <- v: case <-c: }} meet),
     * never with themselves; the odd one out is woken by close with ok == false.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void selectsWithBothDirectionsOnOneChannelPairUpAndCloseFreesTheLast(TestMode mode) throws Exception {
        mode.run(() -> {
            int n = 41;
            Chan<Integer> c = Chan.make();
            Chan<int[]> results = Chan.make(n); // {who, kind, value}: kind 0 sent, 1 received, 2 closed
            for (int i = 0; i < n; i++) {
                int id = i;
                mode.go(() -> {
                    Select sel = new Select();
                    var s = sel.send(c, id);
                    var r = sel.recv(c);
                    int k = sel.select();
                    if (k == s.index()) {
                        results.send(new int[] {id, 0, id});
                    } else if (r.ok()) {
                        results.send(new int[] {id, 1, r.value()});
                    } else {
                        results.send(new int[] {id, 2, -1});
                    }
                });
            }
            int sent = 0;
            int received = 0;
            boolean[] gotValue = new boolean[n];
            for (int i = 0; i < n - 1; i++) {
                int[] x = results.recv();
                assertTrue(x[1] != 2, "closed before close");
                if (x[1] == 0) {
                    sent++;
                } else {
                    received++;
                    assertTrue(x[2] != x[0], "select received its own send");
                    assertFalse(gotValue[x[2]], "value received twice");
                    gotValue[x[2]] = true;
                }
            }
            assertEquals(sent, received);
            until(() -> c.waitingReceivers() == 1 && c.waitingSenders() == 1, "last select parked");
            c.close();
            int[] last = results.recv();
            assertEquals(2, last[1], "last select must take the closed receive");
        });
    }

    /** Go: when a send and a receive on one buffered channel are both ready, either is chosen. */
    @Test
    void sendAndReceiveOnOneBufferedChannelAreBothChosen() {
        Chan<Integer> c = Chan.make(2);
        c.send(0);
        Select sel = new Select();
        var s = sel.send(c, 1);
        var r = sel.recv(c);
        int[] count = new int[2];
        int trials = 20_000;
        for (int i = 0; i < trials; i++) {
            int k = sel.select();
            if (k == s.index()) {
                count[0]++;
                c.recv();
            } else {
                count[1]++;
                c.send(0);
            }
            assertEquals(1, c.len());
        }
        double sigma = Math.sqrt(trials * 0.25);
        assertTrue(Math.abs(count[0] - trials / 2.0) < 10 * sigma, count[0] + " / " + count[1]);
    }

    /** Go: two receive cases on one closed channel are both ready, and chosen at random. */
    @Test
    void twoReceiveCasesOnOneClosedChannelAreChosenUniformly() {
        Chan<Integer> c = Chan.make();
        c.close();
        Select sel = new Select();
        var a = sel.recv(c);
        var b = sel.recv(c);
        sel.recv(null);
        int[] count = new int[3];
        int trials = 20_000;
        for (int i = 0; i < trials; i++) {
            int k = sel.trySelect();
            count[k]++;
            assertFalse((k == a.index() ? a : b).ok());
        }
        double sigma = Math.sqrt(trials * 0.25);
        assertTrue(Math.abs(count[0] - trials / 2.0) < 10 * sigma, count[0] + " / " + count[1]);
        assertEquals(0, count[2]);
    }

    /**
     * Go's selectgo: a send case on a closed channel panics only if it is chosen, so with a
     * ready receive case both outcomes occur.
     */
    @Test
    void closedSendCaseCompetesWithAReadyReceive() {
        Chan<Integer> closed = Chan.make(1);
        closed.close();
        Chan<Integer> ready = Chan.make(1);
        Select sel = new Select();
        sel.send(closed, 1);
        var r = sel.recv(ready);
        int panics = 0;
        int recvs = 0;
        for (int i = 0; i < 2000; i++) {
            ready.trySend(7);
            try {
                assertEquals(r.index(), sel.select());
                recvs++;
            } catch (IllegalStateException e) {
                assertEquals("send on closed channel", e.getMessage());
                panics++;
            }
        }
        assertTrue(panics > 700 && recvs > 700, panics + " panics, " + recvs + " receives");
    }

    /**
     * Unbuffered channel with timed selects on both sides: a value is either exchanged
     * (both selects report it) or not at all. Nothing lost, nothing duplicated, in order.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void timedSelectsOnBothSidesExchangeEachValueExactlyOnce(TestMode mode) throws Exception {
        mode.run(() -> {
            int n = 3000;
            Chan<Integer> c = Chan.make();
            RecvChan<Integer> prod = mode.async(() -> {
                Select sel = new Select();
                var s = sel.send(c);
                int timeouts = 0;
                for (int i = 0; i < n; ) {
                    s.value(i);
                    int k = sel.select(Duration.ofNanos(ThreadLocalRandom.current().nextLong(1, 50_000)));
                    if (k == s.index()) {
                        i++;
                    } else {
                        assertEquals(Select.TIMEOUT, k);
                        timeouts++;
                    }
                }
                return timeouts;
            });
            Select sel = new Select();
            var r = sel.recv(c);
            for (int i = 0; i < n; ) {
                int k = sel.select(Duration.ofNanos(ThreadLocalRandom.current().nextLong(1, 50_000)));
                if (k == r.index()) {
                    assertTrue(r.ok());
                    assertEquals(i, r.value());
                    i++;
                } else {
                    assertEquals(Select.TIMEOUT, k);
                }
            }
            prod.recv();
            assertNull(c.tryRecv());
            assertEquals(0, c.waitingSenders());
            assertEquals(0, c.waitingReceivers());
        });
    }

    /** Plain threads, virtual threads and goroutines sharing one channel lose nothing. */
    @ParameterizedTest
    @ValueSource(ints = {0, 3})
    void platformVirtualAndGoroutinePartiesShareOneChannel(int cap) throws Exception {
        int perProducer = 2000;
        int producersPerKind = 2;
        Chan<Integer> c = Chan.make(cap);
        Chan<Void> done = Chan.make(100);
        AtomicLongArray seen = new AtomicLongArray(3 * producersPerKind * perProducer);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        int base = Go.numGoroutine();
        Go.gomaxprocs(2);
        Runnable[] consumers = new Runnable[6];
        for (int k = 0; k < consumers.length; k++) {
            boolean viaSelect = k % 2 == 0;
            consumers[k] = () -> {
                try {
                    Select sel = new Select();
                    var r = sel.recv(c);
                    sel.recv(null);
                    for (;;) {
                        Integer v;
                        if (viaSelect) {
                            sel.select();
                            if (!r.ok()) {
                                break;
                            }
                            v = r.value();
                        } else {
                            var got = c.recvOk();
                            if (!got.ok()) {
                                break;
                            }
                            v = got.value();
                        }
                        if (seen.getAndIncrement(v) != 0) {
                            failure.compareAndSet(null, new AssertionError("duplicate " + v));
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
                done.send(null);
            };
        }
        Runnable[] producers = new Runnable[3 * producersPerKind];
        for (int p = 0; p < producers.length; p++) {
            int from = p * perProducer;
            boolean viaSelect = p % 2 == 1;
            producers[p] = () -> {
                Select sel = new Select();
                var s = sel.send(c);
                for (int i = from; i < from + perProducer; i++) {
                    if (viaSelect) {
                        s.value(i);
                        sel.select();
                    } else {
                        c.send(i);
                    }
                }
                done.send(null);
            };
        }
        // kinds: 0 platform, 1 virtual, 2 goroutine
        for (int i = 0; i < producers.length; i++) {
            start(i % 3, producers[i], threads);
        }
        for (int i = 0; i < consumers.length; i++) {
            start(i % 3, consumers[i], threads);
        }
        for (int i = 0; i < producers.length; i++) {
            assertTrue(recvWithin(done, 20_000), "producer stuck");
        }
        c.close();
        for (int i = 0; i < consumers.length; i++) {
            assertTrue(recvWithin(done, 20_000), "consumer stuck");
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        for (int i = 0; i < seen.length(); i++) {
            assertEquals(1, seen.get(i), "value " + i);
        }
        until(() -> Go.numGoroutine() <= base, "goroutines left");
    }

    private static void start(int kind, Runnable r, List<Thread> threads) {
        switch (kind) {
            case 0 -> {
                Thread t = new Thread(r, "hunt-platform");
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
            case 1 -> threads.add(Thread.ofVirtual().name("hunt-virtual").start(r));
            default -> Go.go(r);
        }
    }

    private static boolean recvWithin(Chan<Void> c, long millis) {
        Select sel = new Select();
        var r = sel.recv(c);
        return sel.select(Duration.ofMillis(millis)) == r.index();
    }

    /**
     * Close while many selects are parked over the channel, a nil channel and a channel
     * nobody uses: every select wakes with the closed case and ok == false, at GOMAXPROCS 1
     * and 2.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void closeWakesEveryParkedSelectWithNotOk(int maxprocs) throws Exception {
        Go.gomaxprocs(maxprocs);
        TestMode.GOROUTINES.run(() -> {
            for (int round = 0; round < 50; round++) {
                int n = 30;
                Chan<Integer> c = Chan.make(round % 2);
                Chan<Integer> idle = Chan.make();
                Chan<Integer> out = Chan.make(n);
                for (int i = 0; i < n; i++) {
                    boolean send = i % 3 == 0;
                    Go.go(() -> {
                        Select sel = new Select();
                        sel.recv(null);
                        var r = sel.recv(c);
                        sel.recv(idle);
                        try {
                            int k = sel.select();
                            out.send(k == r.index() && !r.ok() ? 1 : 100);
                        } catch (IllegalStateException e) {
                            out.send(100);
                        }
                    });
                }
                if (round % 5 != 0) {
                    until(() -> c.waitingReceivers() == n, "selects parked");
                }
                c.close();
                int sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += out.recv();
                }
                assertEquals(n, sum);
                assertEquals(0, idle.waitingReceivers());
                assertEquals(0, idle.waitingSenders());
            }
        });
    }

    /**
     * Close while many goroutines are parked sending (plain and in selects): every one of
     * them fails with "send on closed channel", receivers get the buffered values then ok == false.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void closeFailsEveryParkedSenderPlainAndSelect(TestMode mode) throws Exception {
        mode.run(() -> {
            int n = 20;
            Chan<Integer> c = Chan.make(2);
            c.send(-1);
            c.send(-2);
            Chan<String> out = Chan.make(n);
            for (int i = 0; i < n; i++) {
                int id = i;
                mode.go(() -> {
                    try {
                        if (id % 2 == 0) {
                            c.send(id);
                        } else {
                            Select sel = new Select();
                            sel.send(c, id);
                            sel.recv(null);
                            sel.select();
                        }
                        out.send("sent");
                    } catch (IllegalStateException e) {
                        out.send(e.getMessage());
                    }
                });
            }
            until(() -> c.waitingSenders() == n, "senders parked");
            c.close();
            for (int i = 0; i < n; i++) {
                assertEquals("send on closed channel", out.recv());
            }
            assertEquals(-1, c.recv());
            assertEquals(-2, c.recv());
            assertFalse(c.recvOk().ok());
            assertEquals(0, c.len());
        });
    }

    /** A buffered channel keeps FIFO order per producer under contention, with selects. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void bufferedFifoPerProducerUnderContention(int maxprocs) throws Exception {
        Go.gomaxprocs(maxprocs);
        TestMode.GOROUTINES.run(() -> {
            int producers = 4;
            int per = 5000;
            Chan<long[]> c = Chan.make(3);
            for (int p = 0; p < producers; p++) {
                int id = p;
                Go.go(() -> {
                    Select sel = new Select();
                    var s = sel.send(c);
                    for (int i = 0; i < per; i++) {
                        long[] v = {id, i};
                        if ((i & 1) == 0) {
                            c.send(v);
                        } else {
                            s.value(v);
                            sel.select();
                        }
                    }
                });
            }
            int[] next = new int[producers];
            for (int i = 0; i < producers * per; i++) {
                long[] v = c.recv();
                assertEquals(next[(int) v[0]], v[1], "order of producer " + v[0]);
                next[(int) v[0]]++;
            }
            assertNull(c.tryRecv());
        });
    }

    /** Go.sleep and a timed select never return before their duration. */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void sleepAndSelectTimeoutNeverEndEarly(TestMode mode) throws Exception {
        mode.run(() -> {
            int n = 20;
            Chan<String> out = Chan.make(n);
            for (int i = 0; i < n; i++) {
                mode.go(() -> {
                    String err = null;
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    Select sel = new Select();
                    sel.recv(Chan.make());
                    for (int j = 0; j < 30 && err == null; j++) {
                        long ns = rnd.nextLong(1, 3_000_000);
                        long t0 = System.nanoTime();
                        if (rnd.nextBoolean()) {
                            Go.sleep(Duration.ofNanos(ns));
                        } else if (sel.select(Duration.ofNanos(ns)) != Select.TIMEOUT) {
                            err = "select did not time out";
                        }
                        long took = System.nanoTime() - t0;
                        if (took < ns) {
                            err = "woke after " + took + " of " + ns + " ns";
                        }
                    }
                    out.send(err == null ? "ok" : err);
                });
            }
            for (int i = 0; i < n; i++) {
                assertEquals("ok", out.recv());
            }
        });
    }

    /** Go.sleep from a virtual thread, and zero or negative durations return at once. */
    @Test
    void sleepFromAVirtualThreadAndNonPositive() throws Exception {
        AtomicLong took = new AtomicLong(-1);
        Thread t = Thread.ofVirtual().start(() -> {
            long t0 = System.nanoTime();
            Go.sleep(Duration.ofMillis(10));
            Go.sleep(Duration.ZERO);
            Go.sleep(Duration.ofSeconds(-5));
            took.set(System.nanoTime() - t0);
        });
        t.join(10_000);
        assertFalse(t.isAlive());
        assertTrue(took.get() >= 10_000_000L, "took " + took.get());
    }

    /**
     * Go.sleep's javadoc (and Go's time.Sleep): "Zero or negative returns at once". A
     * negative Duration beyond the long range of nanoseconds (about -292 years, e.g. a
     * deadline computed from Instant.MIN) must return at once too, not sleep forever.
     */
    @ParameterizedTest
    @EnumSource(TestMode.class)
    void sleepWithAHugeNegativeDurationReturnsAtOnce(TestMode mode) throws Exception {
        mode.run(() -> {
            RecvChan<Boolean> slept = mode.async(() -> {
                Go.sleep(Duration.ofSeconds(Long.MIN_VALUE));
                Go.sleep(Duration.ofDays(-365L * 300));
                return true;
            });
            Select sel = new Select();
            var r = sel.recv(slept);
            assertEquals(r.index(), sel.select(Duration.ofSeconds(5)), "Go.sleep(negative) did not return");
        });
    }

    /** Go: a select on only nil channels with default takes the default; trySend/tryRecv on nil never block. */
    @Test
    void nilChannelsOnlyWithDefault() {
        Select sel = new Select();
        sel.recv(null);
        sel.send(null, 1);
        sel.recv(Chan.nil());
        assertEquals(Select.DEFAULT, sel.trySelect());
        assertEquals(Select.TIMEOUT, sel.select(Duration.ofMillis(5)));
        assertFalse(Chan.<Integer>nil().trySend(1));
        assertNull(Chan.nil().tryRecv());
        assertEquals(0, Chan.nil().len());
        assertEquals(0, Chan.nil().cap());
        assertThrows(IllegalStateException.class, () -> Chan.nil().close());
    }

    /** Many cases: growing the case arrays keeps every case reachable and nil ones dead. */
    @Test
    void manyCasesEachReachable() {
        int n = 37;
        List<Chan<Integer>> cs = new ArrayList<>();
        Select sel = new Select();
        List<Select.RecvCase<Integer>> rcs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Chan<Integer> c = i % 5 == 4 ? null : Chan.make(1);
            cs.add(c);
            rcs.add(sel.recv(c));
        }
        for (int i = 0; i < n; i++) {
            if (cs.get(i) == null) {
                continue;
            }
            cs.get(i).send(i);
            assertEquals(i, sel.select());
            assertEquals(i, rcs.get(i).value());
        }
        // Switch the nil ones on, others off.
        for (int i = 0; i < n; i++) {
            Chan<Integer> c = cs.get(i) == null ? Chan.make(1) : null;
            rcs.get(i).chan(c);
            cs.set(i, c);
        }
        for (int i = 0; i < n; i++) {
            if (cs.get(i) != null) {
                cs.get(i).send(i);
                assertEquals(i, sel.select());
            }
        }
        assertEquals(Select.DEFAULT, sel.trySelect());
    }

    /**
     * Random timed and non-blocking operations over a few channels of mixed capacity from
     * many goroutines: every value a sender saw go out is received exactly once (or is
     * left in a buffer), at GOMAXPROCS 1 and 2.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void randomTimedOperationsLoseAndDuplicateNothing(int maxprocs) throws Exception {
        Go.gomaxprocs(maxprocs);
        TestMode.GOROUTINES.run(() -> {
            int nch = 4;
            List<Chan<Integer>> chans = new ArrayList<>();
            for (int i = 0; i < nch; i++) {
                chans.add(Chan.make(i % 3));
            }
            int parties = 16;
            int ops = 1500;
            AtomicInteger ids = new AtomicInteger();
            ConcurrentHashMap<Integer, Boolean> sent = new ConcurrentHashMap<>();
            ConcurrentHashMap<Integer, Integer> received = new ConcurrentHashMap<>();
            Chan<Void> done = Chan.make(parties);
            for (int p = 0; p < parties; p++) {
                Go.go(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    Select sel = new Select();
                    List<Select.SendCase<Integer>> sc = new ArrayList<>();
                    List<Select.RecvCase<Integer>> rc = new ArrayList<>();
                    for (int i = 0; i < nch; i++) {
                        sc.add(sel.send(null));
                        rc.add(sel.recv(null));
                    }
                    for (int j = 0; j < ops; j++) {
                        int id = ids.incrementAndGet();
                        for (int i = 0; i < nch; i++) {
                            sc.get(i).chan(rnd.nextInt(3) == 0 ? chans.get(i) : null).value(id);
                            rc.get(i).chan(rnd.nextInt(3) == 0 ? chans.get(i) : null);
                        }
                        int k;
                        switch (rnd.nextInt(4)) {
                            case 0 -> k = sel.trySelect();
                            case 1 -> k = sel.select(Duration.ofNanos(rnd.nextLong(1, 200_000)));
                            case 2 -> {
                                Chan<Integer> c = chans.get(rnd.nextInt(nch));
                                if (rnd.nextBoolean()) {
                                    if (c.trySend(id)) {
                                        sent.put(id, true);
                                    }
                                } else {
                                    var r = c.tryRecv();
                                    if (r != null) {
                                        received.merge(r.value(), 1, Integer::sum);
                                    }
                                }
                                continue;
                            }
                            default -> {
                                Go.yield();
                                continue;
                            }
                        }
                        if (k < 0) {
                            continue;
                        }
                        int slot = k / 2;
                        if (k % 2 == 0) {
                            sent.put(id, true);
                        } else {
                            var r = rc.get(slot);
                            assertTrue(r.ok());
                            received.merge(r.value(), 1, Integer::sum);
                        }
                    }
                    done.send(null);
                });
            }
            for (int p = 0; p < parties; p++) {
                done.recv();
            }
            for (Chan<Integer> c : chans) {
                assertEquals(0, c.waitingReceivers());
                assertEquals(0, c.waitingSenders());
                for (Chan.Received<Integer> r; (r = c.tryRecv()) != null; ) {
                    received.merge(r.value(), 1, Integer::sum);
                }
            }
            for (var e : received.entrySet()) {
                assertEquals(1, e.getValue(), "value " + e.getKey() + " received more than once");
                assertTrue(sent.containsKey(e.getKey()), "received a value never sent: " + e.getKey());
            }
            assertEquals(sent.size(), received.size(), "sent values lost");
        });
    }

    /** A token passed around a ring of unbuffered channels by blocking selects, at GOMAXPROCS 1 and 2. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void tokenRingOfSelectsNeverStalls(int maxprocs) throws Exception {
        Go.gomaxprocs(maxprocs);
        TestMode.GOROUTINES.run(() -> {
            int n = 50;
            int laps = 200;
            List<Chan<Integer>> ring = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ring.add(Chan.make());
            }
            Chan<Void> quit = Chan.make();
            Chan<Integer> last = Chan.make(1);
            for (int i = 0; i < n; i++) {
                Chan<Integer> in = ring.get(i);
                Chan<Integer> out = ring.get((i + 1) % n);
                int me = i;
                Go.go(() -> {
                    Select rs = new Select();
                    var r = rs.recv(in);
                    rs.recv(quit);
                    Select ss = new Select();
                    var s = ss.send(out);
                    ss.recv(quit);
                    for (;;) {
                        if (rs.select() != r.index()) {
                            return;
                        }
                        int v = r.value();
                        if (me == 0 && v == n * laps) {
                            last.send(v);
                            return;
                        }
                        s.value(v + 1);
                        if (ss.select() != s.index()) {
                            return;
                        }
                    }
                });
            }
            ring.get(0).send(0);
            Select w = new Select();
            var lr = w.recv(last);
            assertEquals(lr.index(), w.select(Duration.ofSeconds(20)), "ring stalled");
            assertEquals(n * laps, lr.value());
            quit.close();
        });
    }

    /**
     * Go's makechan allocates no buffer for a zero-size element: {@code make(chan struct{},
     * math.MaxInt32)} is a free "unlimited" semaphore (runtime/chan.go: {@code case mem == 0}).
     * Chan&lt;Void&gt; is this project's struct{} channel; a large capacity must not allocate
     * the whole buffer up front (it cannot even be allocated: OutOfMemoryError).
     */
    @Test
    void hugeCapacityIsNotAllocatedUpFront() {
        Chan<Void> sem;
        try {
            sem = Chan.make(Integer.MAX_VALUE);
        } catch (OutOfMemoryError e) {
            throw new AssertionError("Chan.make(Integer.MAX_VALUE) allocated its buffer: " + e);
        }
        assertEquals(Integer.MAX_VALUE, sem.cap());
        for (int i = 0; i < 1000; i++) {
            assertTrue(sem.trySend(null));
        }
        assertEquals(1000, sem.len());
        for (int i = 0; i < 1000; i++) {
            assertTrue(sem.tryRecv().ok());
        }
        assertNull(sem.tryRecv());
    }

    /** A buffered channel keeps FIFO order across wrap-arounds with waiting senders and selects. */
    @Test
    void bufferedFifoAcrossWrapAroundsWithParkedSenders() throws Exception {
        for (int cap : new int[] {1, 2, 3, 17, 100, 1000, 1500, 3000}) {
            int capacity = cap;
            TestMode.GOROUTINES.run(() -> {
                Chan<Integer> c = Chan.make(capacity);
                int n = capacity * 7 + 13;
                Go.go(() -> {
                    Select sel = new Select();
                    var s = sel.send(c);
                    for (int i = 0; i < n; i++) {
                        if (i % 3 == 0) {
                            s.value(i);
                            sel.select();
                        } else {
                            c.send(i);
                        }
                    }
                });
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                for (int i = 0; i < n; i++) {
                    if (rnd.nextInt(4) == 0) {
                        Go.yield();
                    }
                    assertTrue(c.len() <= capacity);
                    assertEquals(i, c.recv());
                }
            });
        }
    }

    /** Buffers of every size, filled and drained at random, behave as a FIFO of cap slots. */
    @Test
    void bufferMatchesAFifoModelAtRandom() {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (int cap : new int[] {1, 5, 1023, 1024, 1025, 2500, 5000}) {
            Chan<Integer> c = Chan.make(cap);
            java.util.ArrayDeque<Integer> model = new java.util.ArrayDeque<>();
            Select sendSel = new Select();
            var s = sendSel.send(c);
            Select recvSel = new Select();
            var r = recvSel.recv(c);
            int next = 0;
            for (int i = 0; i < 40_000; i++) {
                // Phases biased to fill or to drain, so that the buffer wraps at every size.
                boolean fill = (i / 3000) % 2 == 0 ? rnd.nextInt(10) < 7 : rnd.nextInt(10) < 3;
                if (fill) {
                    boolean ok;
                    if (rnd.nextBoolean()) {
                        ok = c.trySend(next);
                    } else {
                        s.value(next);
                        ok = sendSel.trySelect() == s.index();
                    }
                    assertEquals(model.size() < cap, ok);
                    if (ok) {
                        model.add(next++);
                    }
                } else {
                    Integer got;
                    if (rnd.nextBoolean()) {
                        var x = c.tryRecv();
                        got = x == null ? null : x.value();
                    } else {
                        got = recvSel.trySelect() == r.index() ? r.value() : null;
                    }
                    assertEquals(model.poll(), got);
                }
                assertEquals(model.size(), c.len());
            }
            for (Integer v; (v = model.poll()) != null; ) {
                assertEquals(v, c.recv());
            }
            assertNull(c.tryRecv());
        }
    }

    /**
     * Many virtual threads parked on channels (plain receives and timed selects) are woken
     * by goroutines, and close wakes the rest: none is left blocked.
     */
    @Test
    void manyVirtualThreadsParkedOnChannelsAreAllWoken() throws Exception {
        int n = 1000;
        Chan<Integer> work = Chan.make();
        Chan<Integer> results = Chan.make(n);
        List<Thread> vts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean viaSelect = i % 2 == 0;
            vts.add(Thread.ofVirtual().start(() -> {
                Select sel = new Select();
                var r = sel.recv(work);
                int got = 0;
                for (;;) {
                    if (viaSelect) {
                        int k = sel.select(Duration.ofMillis(ThreadLocalRandom.current().nextInt(1, 5)));
                        if (k == Select.TIMEOUT) {
                            continue;
                        }
                        if (!r.ok()) {
                            break;
                        }
                        got++;
                    } else {
                        var x = work.recvOk();
                        if (!x.ok()) {
                            break;
                        }
                        got++;
                    }
                }
                results.send(got);
            }));
        }
        int total = 20_000;
        Go.run(() -> {
            Chan<Void> done = Chan.make(4);
            for (int p = 0; p < 4; p++) {
                Go.go(() -> {
                    for (int i = 0; i < total / 4; i++) {
                        work.send(i);
                    }
                    done.send(null);
                });
            }
            for (int p = 0; p < 4; p++) {
                done.recv();
            }
            work.close();
        });
        int sum = 0;
        for (int i = 0; i < n; i++) {
            Integer got = recvIntWithin(results, 20_000);
            assertTrue(got != null, "a virtual thread stayed blocked");
            sum += got;
        }
        assertEquals(total, sum);
        for (Thread t : vts) {
            t.join(10_000);
            assertFalse(t.isAlive());
        }
    }

    private static Integer recvIntWithin(Chan<Integer> c, long millis) {
        Select sel = new Select();
        var r = sel.recv(c);
        return sel.select(Duration.ofMillis(millis)) == r.index() ? r.value() : null;
    }
}
