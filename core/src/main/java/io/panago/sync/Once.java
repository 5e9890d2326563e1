package io.panago.sync;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * Performs exactly one action, Go's {@code sync.Once}. All callers of {@link #run} return
 * only after the action has completed; if it throws, the exception reaches the caller
 * that ran it and the Once still counts as done, as in Go.
 *
 * <p>Implementation: a volatile {@code done} flag for the fast path and a {@link Mutex}
 * on the slow path (Go's {@code doSlow}), so waiters park rather than spin.
 */
public final class Once {
    private volatile boolean done;
    private final Mutex m = new Mutex();

    /** Creates a Once that has not run. */
    public Once() {}

    /**
     * Runs {@code f} if and only if no call of this method has run it before (Go's
     * {@code Do}). A null {@code f} is refused before anything happens: the Once stays
     * unused (Go marks it done as it panics).
     *
     * @param f the action
     */
    public void run(Runnable f) {
        Objects.requireNonNull(f, "f");
        if (!done) {
            runSlow(f);
        }
    }

    private void runSlow(Runnable f) {
        m.lock();
        try {
            if (!done) {
                try {
                    f.run();
                } finally {
                    done = true;
                }
            }
        } finally {
            m.unlock();
        }
    }

    /**
     * True once the action has run.
     *
     * @return true once the action has returned or thrown
     */
    public boolean isDone() {
        return done;
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneakyThrow(Throwable t) throws E {
        throw (E) t;
    }

    /**
     * Returns a supplier that computes {@code f} once and then returns its value, Go's
     * {@code sync.OnceValue}; if {@code f} throws, every call rethrows that exception.
     *
     * @param <T> the type of the value
     * @param f computes the value, on the first call of the supplier
     * @return the supplier
     */
    public static <T> Supplier<T> value(Supplier<T> f) {
        Objects.requireNonNull(f, "f");
        return new Supplier<>() {
            private final Once once = new Once();
            private T value;
            private Throwable failure;

            @Override
            public T get() {
                once.run(() -> {
                    try {
                        value = f.get();
                    } catch (Throwable e) { // also a checked exception thrown sneakily
                        failure = e;
                        throw e;
                    }
                });
                if (failure != null) {
                    throw Once.<RuntimeException>sneakyThrow(failure);
                }
                return value;
            }
        };
    }
}
