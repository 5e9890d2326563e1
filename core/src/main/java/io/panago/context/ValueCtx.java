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
        return parent.deadline();
    }

    @Override
    public RecvChan<Void> done() {
        return parent.done();
    }

    @Override
    public ContextError err() {
        return parent.err();
    }

    /** Walks up iteratively, as Go's {@code value} does, so deep chains cost no stack. */
    @Override
    @SuppressWarnings("unchecked")
    public <T> T value(Key<T> k) {
        Context c = this;
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
