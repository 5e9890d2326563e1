package io.panago.context;

/** {@link Context#withoutCancel}, Go's {@code withoutCancelCtx}: values only. */
final class WithoutCancelCtx extends EmptyCtx {
    final Context parent;

    WithoutCancelCtx(Context parent) {
        super(".WithoutCancel");
        this.parent = parent;
    }

    @Override
    public <T> T value(Key<T> key) {
        return ValueCtx.lookup(parent, key);
    }

    @Override
    public String toString() {
        return parent + super.toString();
    }
}
