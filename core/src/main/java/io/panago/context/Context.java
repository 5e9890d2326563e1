package io.panago.context;

import io.panago.RecvChan;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Carries a deadline, a cancellation signal and request-scoped values across API
 * boundaries and goroutines, Go's {@code context.Context}.
 *
 * <p>Start from {@link #background()} and derive: {@link #withCancel},
 * {@link #withTimeout}, {@link #withDeadline} (each a {@link CancelContext}, closed to
 * cancel), {@link #withValue}, {@link #withoutCancel}. Cancelling a context cancels
 * every context derived from it and stops their timers. Wait for cancellation by
 * receiving from {@link #done()}, typically as a case of a {@link io.panago.Select}.
 *
 * <p>The implementations are this package's own (the interface is sealed), which lets a
 * child register directly with its nearest cancellable ancestor instead of watching it
 * from a goroutine, as Go does for its own context types.
 */
public sealed interface Context permits CancelContext, EmptyCtx, ValueCtx {

    /** The error of a context cancelled by its cancel function (Go's {@code Canceled}). */
    ContextError CANCELED = new ContextError("context canceled", false);

    /** The error of a context whose deadline passed (Go's {@code DeadlineExceeded}). */
    ContextError DEADLINE_EXCEEDED = new ContextError("context deadline exceeded", true);

    /**
     * A key for {@link #withValue}; keys are compared by identity, so two keys never
     * collide even with equal names.
     *
     * @param <T> the type of the value stored under the key
     */
    final class Key<T> {
        private final String name;

        /**
         * Creates a key; {@code name} appears in {@code toString} only.
         *
         * @param name a name for debugging; it does not identify the key
         */
        public Key(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * The deadline after which this context is cancelled with
     * {@link #DEADLINE_EXCEEDED}, if it has one.
     *
     * @return the deadline, or empty if there is none
     */
    Optional<Instant> deadline();

    /**
     * A channel closed when this context is cancelled. For a context that can never be
     * cancelled it is {@link io.panago.Chan#nil()}, which blocks forever and is never
     * chosen by a select (Go returns a nil channel there).
     *
     * @return the done channel, the same one on every call
     */
    RecvChan<Void> done();

    /**
     * Null while {@link #done()} is open; afterwards {@link #CANCELED} or
     * {@link #DEADLINE_EXCEEDED} (Go's {@code Err}).
     *
     * @return null, {@link #CANCELED} or {@link #DEADLINE_EXCEEDED}
     */
    ContextError err();

    /**
     * The value stored under {@code key} by this context or an ancestor, or null.
     *
     * @param <T> the type of the value
     * @param key the key, compared by identity
     * @return the value of the nearest context that has the key, or null
     */
    <T> T value(Key<T> key);

    /**
     * The root context: never cancelled, no deadline, no values.
     *
     * @return the background context, one shared instance
     */
    static Context background() {
        return EmptyCtx.BACKGROUND;
    }

    /**
     * A placeholder root for code not yet given a context; behaves as background.
     *
     * @return the TODO context, one shared instance
     */
    static Context todo() {
        return EmptyCtx.TODO;
    }

    /**
     * A child that is cancelled by its cancel function or when {@code parent} is.
     *
     * @param parent the context to derive from
     * @return the child, which is also its cancel function
     */
    static CancelContext withCancel(Context parent) {
        return CancelCtx.create(Objects.requireNonNull(parent, "cannot create context from nil parent"));
    }

    /**
     * A child cancelled at {@code deadline} (with {@link #DEADLINE_EXCEEDED}), by its
     * cancel function, or with {@code parent}. If the parent's deadline is earlier this
     * is just {@link #withCancel}.
     *
     * @param parent the context to derive from
     * @param deadline when the child is cancelled
     * @return the child, which is also its cancel function
     */
    static CancelContext withDeadline(Context parent, Instant deadline) {
        return withDeadlineCause(parent, deadline, null);
    }

    /**
     * As {@link #withDeadline}, with {@code cause} as the {@link #cause} on expiry.
     *
     * @param parent the context to derive from
     * @param deadline when the child is cancelled
     * @param cause the {@link #cause} on expiry, or null for {@link #DEADLINE_EXCEEDED}
     * @return the child, which is also its cancel function
     */
    static CancelContext withDeadlineCause(Context parent, Instant deadline, Throwable cause) {
        Objects.requireNonNull(parent, "cannot create context from nil parent");
        Duration left = Duration.between(Instant.now(), Objects.requireNonNull(deadline, "deadline"));
        return TimerCtx.create(parent, deadline, left, cause);
    }

    /**
     * {@code withDeadline(parent, now + timeout)}.
     *
     * @param parent the context to derive from
     * @param timeout how long until the child is cancelled
     * @return the child, which is also its cancel function
     */
    static CancelContext withTimeout(Context parent, Duration timeout) {
        return withTimeoutCause(parent, timeout, null);
    }

    /**
     * As {@link #withTimeout}, with {@code cause} as the {@link #cause} on expiry.
     *
     * @param parent the context to derive from
     * @param timeout how long until the child is cancelled
     * @param cause the {@link #cause} on expiry, or null for {@link #DEADLINE_EXCEEDED}
     * @return the child, which is also its cancel function
     */
    static CancelContext withTimeoutCause(Context parent, Duration timeout, Throwable cause) {
        Objects.requireNonNull(parent, "cannot create context from nil parent");
        Objects.requireNonNull(timeout, "timeout");
        Instant deadline;
        try {
            deadline = Instant.now().plus(timeout);
        } catch (DateTimeException | ArithmeticException beyondInstant) {
            // Saturates as Go's time arithmetic does: far enough is never, negative is now.
            deadline = timeout.isNegative() ? Instant.MIN : Instant.MAX;
        }
        return TimerCtx.create(parent, deadline, timeout, cause);
    }

    /**
     * A child that carries {@code value} under {@code key}.
     *
     * @param <T> the type of the value
     * @param parent the context to derive from
     * @param key the key, compared by identity
     * @param value the value, which may be null
     * @return the child
     */
    static <T> Context withValue(Context parent, Key<T> key, T value) {
        return new ValueCtx(Objects.requireNonNull(parent, "cannot create context from nil parent"),
                Objects.requireNonNull(key, "nil key"), value);
    }

    /**
     * A child that keeps {@code parent}'s values but is never cancelled and has no
     * deadline (Go's {@code WithoutCancel}).
     *
     * @param parent the context whose values the child keeps
     * @return the child
     */
    static Context withoutCancel(Context parent) {
        return new WithoutCancelCtx(Objects.requireNonNull(parent, "cannot create context from nil parent"));
    }

    /**
     * Why {@code ctx} was cancelled: the cause given to {@link CancelContext#cancel(Throwable)}
     * or {@link #withDeadlineCause}, else {@link #err()}; null while not cancelled.
     *
     * @param ctx the context to ask
     * @return the cause, or null
     */
    static Throwable cause(Context ctx) {
        CancelCtx c = CancelCtx.nearest(Objects.requireNonNull(ctx, "ctx"));
        return c == null ? ctx.err() : c.cause();
    }

    /**
     * Arranges for {@code f} to run in its own goroutine once {@code ctx} is done (at
     * once if it already is). Go's {@code AfterFunc}.
     *
     * @param ctx the context to watch
     * @param f the function to run
     * @return a handle whose {@link AfterFunc#stop()} prevents {@code f} from starting
     */
    static AfterFunc afterFunc(Context ctx, Runnable f) {
        return AfterFuncCtx.create(Objects.requireNonNull(ctx, "ctx"), Objects.requireNonNull(f, "f"));
    }
}
