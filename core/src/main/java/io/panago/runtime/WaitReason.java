package io.panago.runtime;

/**
 * Why a goroutine is parked (Go's {@code waitReason}, runtime2.go). {@link #toString()} gives
 * Go's text, which is what a goroutine dump prints between the brackets.
 */
public enum WaitReason {
    /** No reason given. */
    ZERO(""),
    /** Waiting for a file descriptor (network poller). */
    IO_WAIT("IO wait"),
    /** Receiving from a nil channel: blocks forever. */
    CHAN_RECEIVE_NIL_CHAN("chan receive (nil chan)"),
    /** Sending on a nil channel: blocks forever. */
    CHAN_SEND_NIL_CHAN("chan send (nil chan)"),
    /** Blocked in a select with cases. */
    SELECT("select"),
    /** Blocked in a select without cases: forever. */
    SELECT_NO_CASES("select (no cases)"),
    /** Receiving from a channel. */
    CHAN_RECEIVE("chan receive"),
    /** Sending on a channel. */
    CHAN_SEND("chan send"),
    /** Acquiring a runtime semaphore. */
    SEMACQUIRE("semacquire"),
    /** In {@code Go.sleep} or another timer wait. */
    SLEEP("sleep"),
    /** In {@code Cond.await}. */
    SYNC_COND_WAIT("sync.Cond.Wait"),
    /** Locking a {@code Mutex}. */
    SYNC_MUTEX_LOCK("sync.Mutex.Lock"),
    /** Read-locking an {@code RWMutex}. */
    SYNC_RWMUTEX_RLOCK("sync.RWMutex.RLock"),
    /** Write-locking an {@code RWMutex}. */
    SYNC_RWMUTEX_LOCK("sync.RWMutex.Lock"),
    /** Waiting on a {@code WaitGroup}. */
    SYNC_WAITGROUP_WAIT("sync.WaitGroup.Wait"),
    /** Waiting in {@code Go.run} for the main goroutine it started (panago only). */
    GO_RUN("Go.run");

    private final String text;

    WaitReason(String text) {
        this.text = text;
    }

    /** Go's text for this reason, e.g. {@code "chan receive"}. */
    @Override
    public String toString() {
        return text;
    }
}
