package io.panago.context;

/**
 * Why a context is done: {@link Context#CANCELED} or {@link Context#DEADLINE_EXCEEDED},
 * Go's {@code context.Canceled} and {@code context.DeadlineExceeded}. Both are shared,
 * immutable instances without a stack trace, compared by identity like Go's sentinel
 * errors; they may be thrown to abandon work when a context ends.
 */
public final class ContextError extends RuntimeException {
    /** Serial form version. */
    private static final long serialVersionUID = 1L;

    /** True for {@link Context#DEADLINE_EXCEEDED}, false for {@link Context#CANCELED}. */
    private final boolean timeout;

    ContextError(String message, boolean timeout) {
        super(message, null, false, false);
        this.timeout = timeout;
    }

    /**
     * True for {@link Context#DEADLINE_EXCEEDED} (Go's {@code Timeout() bool}).
     *
     * @return true if the deadline passed, false if the context was cancelled
     */
    public boolean isTimeout() {
        return timeout;
    }
}
