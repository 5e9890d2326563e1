package io.panago.sync;

/**
 * Something that can be locked and unlocked, Go's {@code sync.Locker}: what a
 * {@link Cond} waits with.
 */
public interface Locker {

    /** Acquires the lock, parking the goroutine until it is available. */
    void lock();

    /** Releases the lock. */
    void unlock();
}
