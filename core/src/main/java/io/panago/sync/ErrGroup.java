package io.panago.sync;

import io.panago.Chan;
import io.panago.Go;
import io.panago.context.CancelContext;
import io.panago.context.Context;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * A structured group of goroutines working on one task,
 * {@code golang.org/x/sync/errgroup.Group}: {@link #go} starts children, {@link #await()}
 * waits for all of them and rethrows the first failure. The first failure also cancels
 * the group's {@link #context()} (with the failure as its {@link Context#cause cause}),
 * so the other children can stop early.
 *
 * <pre>{@code
 * try (var g = ErrGroup.withContext(ctx)) {
 *     for (String url : urls) g.go(() -> fetch(g.context(), url));
 *     g.await();
 * }
 * }</pre>
 *
 * Closing the group cancels its context and waits for every child, so no child outlives
 * the block even when it is left by an exception. Failures are {@code await()}'s to report;
 * a failure that no {@code await()} reported is not dropped, though: {@code close()} throws
 * it, as the cause of an {@link IllegalStateException} (a suppressed one if the block is left
 * by an exception), as the JDK's {@code StructuredTaskScope} refuses a close without a join.
 */
public final class ErrGroup implements AutoCloseable {

    /** A child's work, Go's {@code func() error}: throw to fail the group. */
    @FunctionalInterface
    public interface Task {
        /**
         * Does the work; an exception is the child's failure.
         *
         * @throws Exception to fail the group
         */
        void run() throws Exception;
    }

    private static final VarHandle ERR;

    static {
        try {
            ERR = MethodHandles.lookup().findVarHandle(ErrGroup.class, "err", Throwable.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final CancelContext ctx;
    private final WaitGroup wg = new WaitGroup();
    /** Go's {@code sem chan token}: null when unlimited. */
    private Chan<Void> sem;
    @SuppressWarnings("unused") // accessed through ERR
    private volatile Throwable err;
    /** Whether an {@link #await()} has returned or rethrown the outcome. */
    private volatile boolean reported;

    private ErrGroup(CancelContext ctx) {
        this.ctx = ctx;
    }

    /** A group whose context derives from background and is cancelled by a failure. */
    public ErrGroup() {
        this(Context.withCancel(Context.background()));
    }

    /**
     * A group whose context derives from {@code parent}; it is cancelled by the first
     * failure, by {@link #await()} returning, or by {@link #close()}. Go's
     * {@code errgroup.WithContext}.
     *
     * @param parent the context the group's context derives from
     * @return the new group
     */
    public static ErrGroup withContext(Context parent) {
        return new ErrGroup(Context.withCancel(parent));
    }

    /**
     * The group's context: pass it to the children so they stop when one fails.
     *
     * @return the group's context
     */
    public Context context() {
        return ctx;
    }

    /**
     * Limits the number of children running at once to {@code n}; negative means no
     * limit. {@link #go} then blocks while the group is full. As in Go, removing the limit is
     * always allowed, and children started while there was no limit do not count.
     *
     * @param n the most children running at once, or negative for no limit
     * @throws IllegalStateException if {@code n >= 0} and children started under the current
     *         limit are still running
     */
    public void setLimit(int n) {
        if (n < 0) {
            sem = null;
            return;
        }
        Chan<Void> s = sem;
        if (s != null && s.len() != 0) {
            throw new IllegalStateException("errgroup: modify limit while " + s.len()
                    + " goroutines in the group are still active");
        }
        sem = Chan.make(n);
    }

    /**
     * Starts {@code task} in a new goroutine, first waiting for room if limited.
     *
     * @param task the child's work
     */
    public void go(Task task) {
        Objects.requireNonNull(task, "task");
        Chan<Void> s = sem;
        if (s != null) {
            s.send(null);
        }
        start(task, s);
    }

    /**
     * Starts {@code task} if the limit allows it now; returns false otherwise.
     *
     * @param task the child's work
     * @return true if the child was started
     */
    public boolean tryGo(Task task) {
        Objects.requireNonNull(task, "task");
        Chan<Void> s = sem;
        if (s != null && !s.trySend(null)) {
            return false;
        }
        start(task, s);
        return true;
    }

    private void start(Task task, Chan<Void> s) {
        wg.add(1);
        Go.go(() -> {
            try {
                task.run();
            } catch (Throwable t) {
                if (ERR.compareAndSet(this, null, t)) {
                    ctx.cancel(t);
                }
            } finally {
                if (s != null) {
                    s.recv();
                }
                wg.done();
            }
        });
    }

    /**
     * Waits for every child, cancels the context, and rethrows the first failure
     * (unwrapped) if there was one.
     *
     * @throws Exception the first child's failure, if one failed
     */
    public void await() throws Exception {
        wg.await();
        Throwable t = err;
        reported = true;
        ctx.cancel(t);
        if (t == null) {
            return;
        }
        if (t instanceof Exception e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new java.util.concurrent.ExecutionException(t);
    }

    /**
     * Cancels the context and waits for every child. A failure that came before the close
     * and that no {@link #await()} reported is thrown here, not lost; failures that the
     * close's own cancellation caused are not failures of the group.
     *
     * @throws IllegalStateException with the first failure as its cause, if no
     *     {@code await()} reported it
     */
    @Override
    public void close() {
        Throwable first = err; // before the cancellation below, which children may fail on
        ctx.cancel();
        wg.await();
        if (first != null && !reported) {
            throw new IllegalStateException("ErrGroup closed without an await() that reported its failure: " + first,
                    first);
        }
    }
}
