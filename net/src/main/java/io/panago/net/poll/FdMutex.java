package io.panago.net.poll;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Reference count, close state and read/write serialisation of one {@link FD}: Go's
 * internal/poll {@code fdMutex} (fd_mutex.go).
 *
 * <p>Implementation overview. One {@code long} holds everything, changed only by CAS:
 * <pre>
 *   bit 0        closed
 *   bit 1        read lock held
 *   bit 2        write lock held
 *   bits 3..22   references (every operation in flight holds one)
 *   bits 23..42  goroutines waiting for the read lock
 *   bits 43..62  goroutines waiting for the write lock
 * </pre>
 * Every use of the file descriptor happens between {@link #incref}/{@link #rwlock} and the
 * matching release, so the descriptor cannot be closed (and its number recycled by the
 * kernel) under a syscall: {@link #increfAndClose} only marks the state closed; the release
 * that drops the last reference of a closed mutex returns true and its caller destroys the fd.
 * Reads are serialised by the read lock and writes by the write lock because the poll
 * descriptor has one waiter slot per direction. Waiters sleep on a {@link Sema} each; closing
 * wakes them all and they then fail, seeing the closed bit.
 *
 * <p>{@link FD} extends this class rather than holding one, so that the state word lives in
 * the descriptor's own object: every read and write changes it twice, and with a thousand
 * connections taking turns a separate object is one more cache miss per call.
 */
abstract class FdMutex {
    private static final long CLOSED = 1L;
    private static final long RLOCK = 1L << 1;
    private static final long WLOCK = 1L << 2;
    private static final long REF = 1L << 3;
    private static final long REF_MASK = ((1L << 20) - 1) << 3;
    private static final long RWAIT = 1L << 23;
    private static final long RMASK = ((1L << 20) - 1) << 23;
    private static final long WWAIT = 1L << 43;
    private static final long WMASK = ((1L << 20) - 1) << 43;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(FdMutex.class, "state", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // through STATE
    private volatile long state;
    private final Sema rsema = new Sema();
    private final Sema wsema = new Sema();

    private static IllegalStateException tooMany() {
        return new IllegalStateException(
                "too many concurrent operations on a single socket (max 1048575)");
    }

    /** True once {@link #increfAndClose} has run. */
    final boolean closeStarted() {
        return (state & CLOSED) != 0;
    }

    /** Adds a reference; false if the mutex is closed (Go: fdMutex.incref). */
    final boolean incref() {
        for (;;) {
            long old = state;
            if ((old & CLOSED) != 0) {
                return false;
            }
            long next = old + REF;
            if ((next & REF_MASK) == 0) {
                throw tooMany();
            }
            if (STATE.compareAndSet(this, old, next)) {
                return true;
            }
        }
    }

    /**
     * Marks the mutex closed, adds a reference and wakes every lock waiter; false if it was
     * closed already (Go: fdMutex.increfAndClose).
     */
    final boolean increfAndClose() {
        for (;;) {
            long old = state;
            if ((old & CLOSED) != 0) {
                return false;
            }
            long next = (old | CLOSED) + REF;
            if ((next & REF_MASK) == 0) {
                throw tooMany();
            }
            next &= ~(RMASK | WMASK);
            if (STATE.compareAndSet(this, old, next)) {
                for (long w = old & RMASK; w != 0; w -= RWAIT) {
                    rsema.release();
                }
                for (long w = old & WMASK; w != 0; w -= WWAIT) {
                    wsema.release();
                }
                return true;
            }
        }
    }

    /** Drops a reference; true if it was the last one of a closed mutex (Go: fdMutex.decref). */
    final boolean decref() {
        for (;;) {
            long old = state;
            if ((old & REF_MASK) == 0) {
                throw new IllegalStateException("inconsistent fdMutex");
            }
            long next = old - REF;
            if (STATE.compareAndSet(this, old, next)) {
                return (next & (REF_MASK | CLOSED)) == CLOSED;
            }
        }
    }

    /**
     * Takes the read or write lock and a reference, sleeping while another goroutine holds
     * that lock; false if the mutex is or becomes closed (Go: fdMutex.rwlock).
     */
    final boolean rwlock(boolean read) {
        long bit = read ? RLOCK : WLOCK;
        long wait = read ? RWAIT : WWAIT;
        long mask = read ? RMASK : WMASK;
        Sema sema = read ? rsema : wsema;
        for (;;) {
            long old = state;
            if ((old & CLOSED) != 0) {
                return false;
            }
            long next;
            if ((old & bit) == 0) {
                next = (old | bit) + REF;
                if ((next & REF_MASK) == 0) {
                    throw tooMany();
                }
            } else {
                next = old + wait;
                if ((next & mask) == 0) {
                    throw tooMany();
                }
            }
            if (STATE.compareAndSet(this, old, next)) {
                if ((old & bit) == 0) {
                    return true;
                }
                sema.acquire();
            }
        }
    }

    /**
     * Releases the read or write lock and its reference, waking one waiter; true if that was
     * the last reference of a closed mutex (Go: fdMutex.rwunlock).
     */
    final boolean rwunlock(boolean read) {
        long bit = read ? RLOCK : WLOCK;
        long wait = read ? RWAIT : WWAIT;
        long mask = read ? RMASK : WMASK;
        for (;;) {
            long old = state;
            if ((old & bit) == 0 || (old & REF_MASK) == 0) {
                throw new IllegalStateException("inconsistent fdMutex");
            }
            long next = (old & ~bit) - REF;
            if ((old & mask) != 0) {
                next -= wait;
            }
            if (STATE.compareAndSet(this, old, next)) {
                if ((old & mask) != 0) {
                    (read ? rsema : wsema).release();
                }
                return (next & (REF_MASK | CLOSED)) == CLOSED;
            }
        }
    }
}
