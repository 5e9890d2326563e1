package io.panago.context;

/**
 * A context with its cancel function, what Go returns as the pair {@code ctx, cancel}
 * from {@code WithCancel}, {@code WithDeadline} and {@code WithTimeout}. Closing it
 * cancels it, so {@code try (var ctx = Context.withTimeout(parent, d)) { ... }} is Go's
 * {@code defer cancel()}. Pass it on as a plain {@link Context} to code that must not
 * cancel it.
 */
public sealed interface CancelContext extends Context, AutoCloseable permits CancelCtx {

    /**
     * Cancels this context and its descendants with {@link Context#CANCELED}, stops its
     * timer and detaches it from its parent; later calls do nothing (Go's
     * {@code CancelFunc}).
     */
    void cancel();

    /**
     * As {@link #cancel()}, recording {@code cause} for {@link Context#cause(Context)}
     * (Go's {@code CancelCauseFunc}); a {@code null} cause means {@code CANCELED}.
     *
     * @param cause why the context was cancelled
     */
    void cancel(Throwable cause);

    /** Same as {@link #cancel()}. */
    @Override
    default void close() {
        cancel();
    }
}
