package io.panago.context;

import io.panago.runtime.RunRoot;
import io.panago.runtime.Sched;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * {@link Context#afterFunc}, Go's {@code afterFuncCtx}: a cancel context registered under
 * the watched one whose cancellation starts the function in a new goroutine. A CAS on
 * {@code once} decides between running the function and {@link #stop()}.
 */
final class AfterFuncCtx extends CancelCtx implements AfterFunc {
    private static final VarHandle ONCE;

    static {
        try {
            ONCE = MethodHandles.lookup().findVarHandle(AfterFuncCtx.class, "once", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Runnable f;
    /** The {@code Go.run} of the goroutine that called afterFunc: f's panic fails it. */
    private final RunRoot run = Sched.currentRun();
    @SuppressWarnings("unused") // accessed through ONCE
    private volatile boolean once;

    private AfterFuncCtx(Context parent, Runnable f) {
        super(parent);
        this.f = f;
    }

    static AfterFunc create(Context ctx, Runnable f) {
        AfterFuncCtx a = new AfterFuncCtx(ctx, f);
        a.propagateCancel();
        return a;
    }

    @Override
    void cancelled() {
        if (ONCE.compareAndSet(this, false, true)) {
            Sched.newproc(f, run);
        }
    }

    @Override
    public boolean stop() {
        if (ONCE.compareAndSet(this, false, true)) {
            cancel(true, CANCELED, null);
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        return parent + ".AfterFunc";
    }
}
