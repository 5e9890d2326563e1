package io.panago.context;

import io.panago.Chan;
import io.panago.RecvChan;
import java.time.Instant;
import java.util.Optional;

/**
 * {@link Context#background()} and {@link Context#todo()}, Go's {@code emptyCtx}: never
 * cancelled, no deadline, no values. {@link WithoutCancelCtx} adds its parent's values.
 */
sealed class EmptyCtx implements Context permits WithoutCancelCtx {
    static final EmptyCtx BACKGROUND = new EmptyCtx("context.Background");
    static final EmptyCtx TODO = new EmptyCtx("context.TODO");

    private final String name;

    EmptyCtx(String name) {
        this.name = name;
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
        return null;
    }

    @Override
    public String toString() {
        return name;
    }
}
