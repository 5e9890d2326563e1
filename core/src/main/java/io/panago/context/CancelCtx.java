package io.panago.context;

import io.panago.Chan;
import io.panago.RecvChan;
import io.panago.internal.RuntimeLock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link Context#withCancel}, Go's {@code cancelCtx}; the base of the deadline and
 * after-func contexts.
 *
 * <p>Implementation overview (Go's {@code context.go}). A context registers with its
 * nearest cancellable ancestor ({@link #nearest}), skipping value contexts, unless that
 * ancestor is already done, in which case it is cancelled at once. Registered children
 * form an intrusive doubly linked list guarded by the parent's lock, so detaching a
 * child on its own cancel is O(1). {@link #cancel(boolean, ContextError, Throwable)}
 * sets {@code err} and {@code cause}, closes {@code done} and detaches the children under
 * its lock, then does the same to each child from a work list (not recursively), then
 * detaches itself from its parent. The lock is a {@link RuntimeLock}, never a parking one, because
 * deadline expiry cancels from a timer function, which must not park. {@code done} is
 * created lazily; a context cancelled before anyone asked for it shares one closed
 * channel. {@code err} is volatile so {@link #err()} needs no lock.
 */
sealed class CancelCtx implements CancelContext permits TimerCtx, AfterFuncCtx {
    private static final Chan<Void> CLOSED = Chan.make();

    static {
        CLOSED.close();
    }

    final Context parent;
    final RuntimeLock mu = new RuntimeLock();
    private volatile Chan<Void> done;
    private volatile ContextError err;
    /** Set once the cancel that set {@code err} has cancelled every descendant. */
    private volatile boolean settled;
    private Throwable cause;
    /** Head of this context's registered children, guarded by {@link #mu}. */
    private CancelCtx children;
    /** The context whose child list this one is in, guarded by that context's lock. */
    private CancelCtx registeredWith;
    private CancelCtx prevSibling;
    private CancelCtx nextSibling;

    CancelCtx(Context parent) {
        this.parent = parent;
    }

    static CancelCtx create(Context parent) {
        CancelCtx c = new CancelCtx(parent);
        c.propagateCancel();
        return c;
    }

    /**
     * The nearest ancestor-or-self that can be cancelled and whose done channel is
     * therefore {@code ctx}'s, Go's {@code parentCancelCtx}; null if {@code ctx} can never
     * be cancelled.
     */
    static CancelCtx nearest(Context ctx) {
        Context c = ctx;
        for (;;) {
            switch (c) {
                case CancelCtx cc -> {
                    return cc;
                }
                case ValueCtx v -> c = v.parent;
                case EmptyCtx e -> {
                    return null;
                }
            }
        }
    }

    /** Arranges for this context to be cancelled with its parent, Go's {@code propagateCancel}. */
    final void propagateCancel() {
        CancelCtx p = nearest(parent);
        if (p == null) {
            return;
        }
        p.mu.lock();
        try {
            if (p.err != null) {
                cancel(false, p.err, p.cause);
            } else {
                registeredWith = p;
                nextSibling = p.children;
                if (p.children != null) {
                    p.children.prevSibling = this;
                }
                p.children = this;
            }
        } finally {
            p.mu.state = 0; // no call: see RuntimeLock.state
        }
    }

    /** Unlinks this context from its parent's child list, Go's {@code removeChild}. */
    final void removeFromParent() {
        CancelCtx p = nearest(parent);
        if (p == null) {
            return;
        }
        p.mu.lock();
        try {
            if (registeredWith == p) {
                if (prevSibling != null) {
                    prevSibling.nextSibling = nextSibling;
                } else {
                    p.children = nextSibling;
                }
                if (nextSibling != null) {
                    nextSibling.prevSibling = prevSibling;
                }
                prevSibling = null;
                nextSibling = null;
                registeredWith = null;
            }
        } finally {
            p.mu.state = 0; // no call: see RuntimeLock.state
        }
    }

    /**
     * Cancels this context and its children; {@code removeFromParent} also detaches it.
     * Idempotent: only the first call has an effect. Go's {@code cancelCtx.cancel}, but one
     * context at a time from a work list instead of recursively, so a chain of thousands of
     * nested contexts costs no stack, and each lock is released before its children's are
     * taken. That is safe: a child registering meanwhile sees this context's err and cancels
     * itself, and one detaching itself finds it is no longer registered. Every context of the
     * subtree is cancelled before any of their {@link #cancelled} steps runs (an after-func's
     * function starts once its whole subtree is done, as in Go). A call that finds a context
     * already cancelled by a cancel still in progress returns only once that cancel has
     * reached the whole subtree ({@code settled}), as Go's does by waiting for the lock that
     * cancel holds over the children: when a cancel function returns, every descendant is done.
     */
    final void cancel(boolean removeFromParent, ContextError e, Throwable why) {
        Throwable c = why == null ? e : why;
        List<CancelCtx> subtree = new ArrayList<>();
        if (!cancelOne(e, c, subtree)) {
            // Go returns only once the cancel in progress released the lock it holds while
            // cancelling the children: wait until that cancel has reached every descendant.
            awaitSettled();
            return;
        }
        List<CancelCtx> others = null;
        try {
            // subtree grows while it is walked: children of each cancelled context are appended.
            for (int i = 1; i < subtree.size(); i++) {
                CancelCtx x = subtree.get(i);
                if (!x.cancelOne(e, c, subtree)) {
                    subtree.set(i, null); // cancelled by itself meanwhile: its own cancel ends it
                    if (others == null) {
                        others = new ArrayList<>();
                    }
                    others.add(x);
                }
            }
            if (removeFromParent) {
                removeFromParent();
            }
            // Index loops, here and below: an iterator is an allocation, which a full heap
            // refuses, and a finally that threw before it marked every context settled left
            // each later cancel of them (a deadline's retry too) waiting for good.
            for (int i = 0; i < subtree.size(); i++) {
                CancelCtx x = subtree.get(i);
                if (x != null) {
                    x.cancelled();
                }
            }
            // Descendants whose own cancels are still under way (those never wait on ours).
            if (others != null) {
                for (int i = 0; i < others.size(); i++) {
                    others.get(i).awaitSettled();
                }
            }
        } finally {
            // Even if a step threw (an after-func that could not start): nobody may wait forever.
            for (int i = 0; i < subtree.size(); i++) {
                CancelCtx x = subtree.get(i);
                if (x != null) {
                    x.settled = true;
                }
            }
        }
    }

    /**
     * Waits until the cancel that set {@code err} has cancelled this context's whole subtree;
     * that cancel never parks, so spinning, then yielding, then napping (as {@link RuntimeLock})
     * ends soon.
     */
    private void awaitSettled() {
        long nap = 1_000;
        for (int i = 0; !settled; i++) {
            if (i < 64) {
                Thread.onSpinWait();
            } else if (i < 80) {
                Thread.yield();
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(nap);
                nap = Math.min(nap * 2, 1_000_000);
            }
        }
    }

    /**
     * Sets err and cause and closes done, unless already cancelled (false); appends this
     * context and its detached children to {@code subtree}.
     */
    private boolean cancelOne(ContextError e, Throwable c, List<CancelCtx> subtree) {
        mu.lock();
        try {
            if (err != null) {
                return false;
            }
            // The calls that can throw (adds that allocate) come before the writes.
            if (subtree.isEmpty()) {
                subtree.add(this);
            }
            for (CancelCtx child = children; child != null; child = child.nextSibling) {
                subtree.add(child);
            }
            cause = c;
            err = e;
            Chan<Void> d = done;
            if (d == null) {
                done = CLOSED;
            } else {
                d.close();
            }
            CancelCtx child = children;
            children = null;
            while (child != null) {
                CancelCtx next = child.nextSibling;
                child.prevSibling = null;
                child.nextSibling = null;
                child.registeredWith = null;
                child = next;
            }
            return true;
        } finally {
            mu.state = 0; // no call: see RuntimeLock.state
        }
    }

    /** What a kind of context does once cancelled (stop its timer, start its function). */
    void cancelled() {
    }

    @Override
    public void cancel() {
        cancel(true, CANCELED, null);
    }

    @Override
    public void cancel(Throwable why) {
        cancel(true, CANCELED, why);
    }

    final Throwable cause() {
        mu.lock();
        try {
            return cause;
        } finally {
            mu.state = 0; // no call: see RuntimeLock.state
        }
    }

    @Override
    public Optional<Instant> deadline() {
        return ValueCtx.deadlineOf(parent);
    }

    @Override
    public final RecvChan<Void> done() {
        Chan<Void> d = done;
        if (d != null) {
            return d;
        }
        mu.lock();
        try {
            d = done;
            if (d == null) {
                d = Chan.make();
                done = d;
            }
            return d;
        } finally {
            mu.state = 0; // no call: see RuntimeLock.state
        }
    }

    @Override
    public final ContextError err() {
        return err;
    }

    @Override
    public final <T> T value(Key<T> key) {
        return ValueCtx.lookup(parent, key);
    }

    /** True if {@code c} is registered as this context's child; for tests of detaching. */
    final boolean hasChild(CancelCtx c) {
        mu.lock();
        try {
            for (CancelCtx x = children; x != null; x = x.nextSibling) {
                if (x == c) {
                    return true;
                }
            }
            return false;
        } finally {
            mu.state = 0; // no call: see RuntimeLock.state
        }
    }

    /** True if any child is registered; for tests of detaching. */
    final boolean hasAnyChild() {
        mu.lock();
        try {
            return children != null;
        } finally {
            mu.state = 0; // no call: see RuntimeLock.state
        }
    }

    @Override
    public String toString() {
        return parent + ".WithCancel";
    }
}
