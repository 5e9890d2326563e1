package io.panago.sync;

import io.panago.runtime.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A reader/writer mutual exclusion lock, Go's {@code sync.RWMutex}: any number of
 * readers or one writer. A blocked {@link #lock()} keeps new readers out, so writers are
 * not starved; consequently a reader must not {@link #rlock()} recursively.
 *
 * <p>Implementation overview (Go's {@code sync/rwmutex.go}). Writers serialise on a
 * {@link Mutex}. {@code readerCount} counts active readers; a writer subtracts
 * {@code MAX_READERS} from it to announce itself, so a negative count sends arriving
 * readers to {@code readerSem}, and copies the number of readers still active into
 * {@code readerWait}, whose last departing reader releases {@code writerSem}. Unlock adds
 * {@code MAX_READERS} back and releases one {@code readerSem} permit per reader that
 * blocked meanwhile.
 */
public final class RWMutex implements Locker {
    private static final int MAX_READERS = 1 << 30;
    private static final VarHandle READER_COUNT;
    private static final VarHandle READER_WAIT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            READER_COUNT = l.findVarHandle(RWMutex.class, "readerCount", int.class);
            READER_WAIT = l.findVarHandle(RWMutex.class, "readerWait", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Mutex w = new Mutex();
    private final Sema writerSem = new Sema();
    private final Sema readerSem = new Sema();
    @SuppressWarnings("unused") // accessed through READER_COUNT
    private volatile int readerCount;
    @SuppressWarnings("unused") // accessed through READER_WAIT
    private volatile int readerWait;
    private Locker rlocker;

    /** Creates an unlocked RWMutex. */
    public RWMutex() {}

    /** Locks for reading; parks while a writer holds or waits for the lock. */
    public void rlock() {
        if ((int) READER_COUNT.getAndAdd(this, 1) + 1 < 0) {
            readerSem.acquire(false, WaitReason.SYNC_RWMUTEX_RLOCK);
        }
    }

    /**
     * Locks for reading if that needs no waiting.
     *
     * @return true if the read lock was taken
     */
    public boolean tryRLock() {
        for (;;) {
            int c = readerCount;
            if (c < 0) {
                return false;
            }
            if (READER_COUNT.compareAndSet(this, c, c + 1)) {
                return true;
            }
        }
    }

    /**
     * Undoes one {@link #rlock()}.
     *
     * @throws IllegalStateException "sync: RUnlock of unlocked RWMutex"
     */
    public void runlock() {
        // A CAS checked first rather than Go's blind add: the misuse throws here (fatal in
        // Go), and a transiently wrong count would strand a writer locking meanwhile.
        int c;
        do {
            c = readerCount;
            if (c == 0 || c == -MAX_READERS) {
                throw new IllegalStateException("sync: RUnlock of unlocked RWMutex");
            }
        } while (!READER_COUNT.compareAndSet(this, c, c - 1));
        if (c - 1 < 0) {
            // A writer is pending; the last reader it waits for lets it in.
            if ((int) READER_WAIT.getAndAdd(this, -1) - 1 == 0) {
                writerSem.release(false);
            }
        }
    }

    /** Locks for writing; parks until no reader or writer holds the lock. */
    @Override
    public void lock() {
        w.lock();
        int r = (int) READER_COUNT.getAndAdd(this, -MAX_READERS);
        if (r != 0 && (int) READER_WAIT.getAndAdd(this, r) + r != 0) {
            writerSem.acquire(false, WaitReason.SYNC_RWMUTEX_LOCK);
        }
    }

    /**
     * Locks for writing if that needs no waiting.
     *
     * @return true if the write lock was taken
     */
    public boolean tryLock() {
        if (!w.tryLock()) {
            return false;
        }
        if (!READER_COUNT.compareAndSet(this, 0, -MAX_READERS)) {
            w.unlock();
            return false;
        }
        return true;
    }

    /**
     * Unlocks for writing and lets the readers that queued meanwhile in.
     *
     * @throws IllegalStateException "sync: Unlock of unlocked RWMutex"
     */
    @Override
    public void unlock() {
        int c; // checked before the change, as in runlock
        do {
            c = readerCount;
            if (c >= 0) {
                throw new IllegalStateException("sync: Unlock of unlocked RWMutex");
            }
        } while (!READER_COUNT.compareAndSet(this, c, c + MAX_READERS));
        int r = c + MAX_READERS;
        for (int i = 0; i < r; i++) {
            readerSem.release(false);
        }
        w.unlock();
    }

    /** Readers parked in {@link #rlock()} plus writers parked in {@link #lock()}; for tests. */
    int parked() {
        return readerSem.waiting() + writerSem.waiting() + w.waiters();
    }

    /**
     * A {@link Locker} view whose lock/unlock are {@link #rlock()}/{@link #runlock()}.
     *
     * @return the read-side view, for a {@link Cond} whose waiters hold the read lock
     */
    public Locker rlocker() {
        Locker l = rlocker;
        if (l == null) {
            l = new Locker() {
                @Override
                public void lock() {
                    rlock();
                }

                @Override
                public void unlock() {
                    runlock();
                }
            };
            rlocker = l;
        }
        return l;
    }
}
