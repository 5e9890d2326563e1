package io.panago.runtime;

import io.panago.bindings.macos.Macos;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static io.panago.runtime.BackendFds.describe;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real kqueue backend, end to end on Linux: {@link NetpollKqueue} is Sched's poller
 * ({@code -Dpanago.netpoll=kqueue}, set by this test's surefire execution) and calls
 * {@code kqueue}/{@code kevent} through the macOS bindings, which are bound to
 * {@link KqueueFakeKernel}, a kqueue written in Java over epoll. Everything above the bindings
 * is the production path; the descriptors are real Linux sockets and eventfds. It runs once per
 * kqueue ABI ({@code -Dpanago.kqueue=macos|freebsd|libkqueue}, one surefire execution each),
 * the fake and the backend both speaking that flavour's {@code struct kevent} and
 * {@code EVFILT_USER}.
 */
class KqueueBackendTest extends BackendReadinessTests {
    /** Bound before anything starts the scheduler, which creates the backend. */
    static final KqueueFakeKernel FAKE = selectBackend("kqueue", () -> {
        if (System.getProperty("panago.kqueue") == null) {
            System.setProperty("panago.kqueue", "macos"); // -Dtest=... in the default execution
        }
        return KqueueFakeKernel.install();
    });
    private static final short EVFILT_READ = (short) Macos.EVFILT_READ(), EVFILT_WRITE = (short) Macos.EVFILT_WRITE();

    @Override
    Class<? extends Netpoll> backendUnderTest() {
        return NetpollKqueue.class;
    }

    @AfterEach
    void theFakeSawNoBrokenCall() {
        assertEquals(List.of(), FAKE.failures);
    }

    private static NetpollKqueue backend() {
        return (NetpollKqueue) Sched.netpoll;
    }

    @Test
    void theBackendSpeaksTheFlavourThisRunSelects() {
        NetpollKqueue.Flavor f = NetpollKqueue.Flavor.valueOf(
                System.getProperty("panago.kqueue").toUpperCase(java.util.Locale.ROOT));
        assertEquals(f, FAKE.abi);
        assertEquals(f, backend().flavor);
        long[] expected = switch (f) {
            case MACOS -> new long[] {32, -10, 16, 24};
            case FREEBSD -> new long[] {64, -11, 16, 24};
            case LIBKQUEUE -> new long[] {32, -11, 16, 24};
        };
        assertArrayEquals(expected, new long[] {f.size, f.evfiltUser, f.data, f.udata});
    }

    @Test
    void eachDescriptorGetsEdgeTriggeredReadAndWriteKnotesTaggedWithItsSlotAndSequence() throws Exception {
        int efd = fd(BackendFds.eventfd());
        PollDesc pd = PollDesc.open(efd);
        int kq = backend().kq;
        for (short filter : new short[] {EVFILT_READ, EVFILT_WRITE}) {
            long[] k = FAKE.knote(kq, efd, filter);
            assertNotNull(k, "knote for filter " + filter);
            assertEquals(Macos.EV_ADD() | Macos.EV_CLEAR(), k[0]);
            assertEquals(pd.tag, k[1], "udata carries the tag");
        }
        int deletes = FAKE.deletes.get();
        pd.close();
        assertNull(FAKE.knote(kq, efd, EVFILT_READ));
        assertNull(FAKE.knote(kq, efd, EVFILT_WRITE));
        assertEquals(deletes + 2, FAKE.deletes.get(), "close deletes both knotes before the fd closes");
    }

    /**
     * An M blocks in kevent without a timeout (a goroutine waits on a descriptor, no timer is
     * armed); a timer added from another thread must cut that wait short through the
     * EVFILT_USER trigger, and then fire on time.
     */
    @Test
    void aNewTimerWakesAPollBlockedWithoutTimeout() throws Exception {
        PollDesc lpd = pd(listener);
        Group g = parkAnAcceptor(lpd);
        assertTrue(FAKE.awaitForeverWaiter(10, TimeUnit.SECONDS), "no M blocked in kevent without a timeout");
        int triggers = FAKE.triggers.get();
        int ended = FAKE.foreverWaitsEndedByUser.get();
        CountDownLatch fired = new CountDownLatch(1);
        long[] firedAt = {0};
        long start = Sched.nanotime();
        RTimer t = new RTimer((arg, now) -> {
            firedAt[0] = now;
            fired.countDown();
        }, null);
        t.reset(start + 30_000_000L, 0);
        assertTrue(fired.await(10, TimeUnit.SECONDS), "the timer never fired: the blocked poll was not woken");
        assertTrue(firedAt[0] >= start + 30_000_000L, "fired early");
        assertTrue(FAKE.triggers.get() > triggers, "no NOTE_TRIGGER");
        assertTrue(FAKE.foreverWaitsEndedByUser.get() > ended, "the blocked kevent did not end on EVFILT_USER");
        lpd.evict();
        g.join(10);
    }

    /**
     * Go's rule for the wake-up event: a non-blocking poll sees it but leaves it pending, the
     * next blocking poll returns at once and drains it, and wake-ups in between cost one trigger.
     */
    @Test
    void aNonBlockingPollLeavesTheWakeUpToTheBlockingOne() {
        NetpollKqueue np = new NetpollKqueue();
        GList out = new GList();
        int triggers = FAKE.triggers.get();
        np.wakeup();
        np.wakeup();
        assertEquals(triggers + 1, FAKE.triggers.get(), "a pending wake-up is not triggered again");
        np.poll(0, out);
        assertEquals(1, np.wakeSig.get(), "a non-blocking poll must not consume the wake-up");
        long t0 = System.nanoTime();
        np.poll(10_000_000_000L, out);
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "the pending wake-up did not end the blocking poll");
        assertEquals(0, np.wakeSig.get());
        t0 = System.nanoTime();
        np.poll(30_000_000L, out);
        assertTrue(System.nanoTime() - t0 >= 30_000_000L, "the drained wake-up ended a later poll");
        assertTrue(out.isEmpty());
        FAKE.release(np.kq);
    }

    /**
     * The race fdseq exists for: the kernel has handed out a read event for descriptor A, and
     * before the poller looks at it, A is closed, its number reused and the new descriptor
     * registered in A's slot. The event must be dropped, not delivered to the new descriptor.
     */
    @Test
    void anEventForAClosedDescriptorWhoseSlotWasReusedIsDropped() throws Exception {
        int a = BackendFds.eventfd();
        PollDesc pa = PollDesc.open(a);
        long tagA = pa.tag;
        long[] r = {0};
        Group g = new Group(1);
        g.go(() -> r[0] = BackendFds.consume(pa, a));
        until(parked(1), "reader of A parked");

        AtomicReference<PollDesc> reused = new AtomicReference<>();
        AtomicReference<Throwable> hookFailure = new AtomicReference<>();
        AtomicBoolean once = new AtomicBoolean();
        CountDownLatch hooked = new CountDownLatch(1);
        FAKE.afterCollect.set(seen -> {
            boolean readOfA = false;
            for (long[] e : seen) {
                readOfA |= e[1] == EVFILT_READ && e[2] == tagA;
            }
            if (!readOfA || !once.compareAndSet(false, true)) {
                return false;
            }
            try {
                pa.close();
                BackendFds.close(a);
                int b = BackendFds.eventfd();
                reused.set(PollDesc.open(b));
                fd(b);
            } catch (Throwable t) {
                hookFailure.set(t);
            } finally {
                hooked.countDown();
            }
            return true;
        });
        BackendFds.signal(a);
        assertTrue(hooked.await(10, TimeUnit.SECONDS), "the read event of A was never collected");
        assertNull(hookFailure.get());
        g.join(10);
        assertEquals(BackendFds.CLOSING, r[0], () -> "the reader of A: " + describe(r[0]));

        PollDesc pb = reused.get();
        pds.add(pb);
        assertEquals((int) tagA, (int) pb.tag, "B took A's slot");
        assertNotEquals(tagA, pb.tag, "with a new sequence");
        // No prepare(): a READY left by a misdelivered event would make this return OK at once.
        pb.setDeadline(Sched.nanotime() + 50_000_000L, PollDesc.MODE_READ);
        assertEquals(PollDesc.ERR_TIMEOUT, pb.waitRead(), "the stale event reached the new descriptor");
    }
}
