package io.panago.runtime;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A poller without descriptors (Go's netpoll_stub.go): it sleeps until the next timer or a
 * {@link #wakeup}. Used where no OS backend exists, or with {@code -Dpanago.netpoll=none}.
 */
final class NetpollStub extends Netpoll {
    private volatile Thread poller;
    /** Go's netpollWakeSig: 1 while a wake-up is pending. */
    private final AtomicInteger wakeSig = new AtomicInteger();

    @Override
    void open(PollDesc pd) throws IOException {
        throw new IOException("no network poller on " + System.getProperty("os.name"));
    }

    @Override
    void close(PollDesc pd) {
    }

    @Override
    void poll(long delayNanos, GList out) {
        if (delayNanos == 0) {
            return;
        }
        poller = Thread.currentThread();
        if (wakeSig.getAndSet(0) == 0) {
            if (delayNanos < 0) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, delayNanos);
            }
            wakeSig.set(0);
        }
        poller = null;
    }

    @Override
    void wakeup() {
        if (wakeSig.compareAndSet(0, 1)) {
            Thread t = poller;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }
}
