package io.panago.context;

import io.panago.Chan;
import io.panago.RecvChan;
import java.time.Instant;
import java.util.Optional;

/** {@link Context#withoutCancel}, Go's {@code withoutCancelCtx}: values only. */
final class WithoutCancelCtx implements Context {
    final Context parent;

    WithoutCancelCtx(Context parent) {
        this.parent = parent;
    }

    @Override
    public Optional<Instant> deadline() {
        return Optional.empty();
    }

    @Override
    public RecvChan<Void> done() {
        return Chan.nil();
    }

    @Override
    public ContextError err() {
        return null;
    }

    @Override
    public <T> T value(Key<T> key) {
        return parent.value(key);
    }

    @Override
    public String toString() {
        return parent + ".WithoutCancel";
    }
}
