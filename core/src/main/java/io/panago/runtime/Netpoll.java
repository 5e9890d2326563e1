package io.panago.runtime;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The network poller seam (Go's runtime/netpoll.go): one instance, chosen at start-up, that
 * idle Ms block in. Backends are sibling files.
 */
abstract class Netpoll {
    /** Goroutines parked on a descriptor (Go's netpollWaiters): a poll is only worth it if > 0. */
    final AtomicInteger waiters = new AtomicInteger();

    /** The backend for this platform. */
    static Netpoll create() {
        return new NetpollStub();
    }

    /**
     * Go's {@code netpoll(delay)}: waits for readiness up to {@code delayNanos} (&lt; 0: until
     * woken, 0: do not block) and appends the goroutines it made runnable to {@code out}.
     * Called by one M at a time for blocking polls; non-blocking polls may overlap.
     */
    abstract void poll(long delayNanos, GList out);

    /** Go's {@code netpollBreak}: makes a blocked {@link #poll} return soon. Any thread. */
    abstract void wakeup();

    /** Whether goroutines wait on descriptors (Go's {@code netpollAnyWaiters}). */
    final boolean anyWaiters() {
        return waiters.get() > 0;
    }
}
