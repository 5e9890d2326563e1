package io.panago.context;

import io.panago.RecvChan;
import java.time.Instant;
import java.util.Optional;

/** {@link Context#withValue}, Go's {@code valueCtx}: one key/value pair over a parent. */
final class ValueCtx implements Context {
    final Context parent;
    private final Key<?> key;
    private final Object val;

    ValueCtx(Context parent, Key<?> key, Object val) {
        this.parent = parent;
        this.key = key;
        this.val = val;
    }

    @Override
    public Optional<Instant> deadline() {
        return deadlineOf(parent);
    }

    @Override
    public RecvChan<Void> done() {
        return skipValues(parent).done();
    }

    @Override
    public ContextError err() {
        return skipValues(parent).err();
    }

    @Override
    public <T> T value(Key<T> k) {
        return lookup(this, k);
    }

    /** The nearest ancestor-or-self of {@code c} that is no value context: its done and err are c's. */
    private static Context skipValues(Context c) {
        while (c instanceof ValueCtx v) {
            c = v.parent;
        }
        return c;
    }

    /**
     * The deadline of {@code c}: the nearest deadline context's, walked up iteratively (as
     * {@link #lookup}) so that deep chains of contexts cost no stack.
     */
    static Optional<Instant> deadlineOf(Context c) {
        for (;;) {
            switch (c) {
                case TimerCtx t -> {
                    return t.deadline();
                }
                case CancelCtx cc -> c = cc.parent;
                case ValueCtx v -> c = v.parent;
                case EmptyCtx e -> {
                    return e.deadline(); // none, also past a withoutCancel
                }
            }
        }
    }

    /** Walks up iteratively, as Go's {@code value} does, so deep chains cost no stack. */
    @SuppressWarnings("unchecked")
    static <T> T lookup(Context start, Key<T> k) {
        Context c = start;
        for (;;) {
            switch (c) {
                case ValueCtx v -> {
                    if (v.key == k) {
                        return (T) v.val;
                    }
                    c = v.parent;
                }
                case CancelCtx cc -> c = cc.parent;
                case WithoutCancelCtx w -> c = w.parent;
                case EmptyCtx e -> {
                    return null;
                }
            }
        }
    }

    @Override
    public String toString() {
        return parent + ".WithValue(" + key + ", " + val + ")";
    }
}
