package io.panago;

import io.panago.runtime.G;
import io.panago.runtime.RTimer;
import io.panago.runtime.Sched;
import io.panago.runtime.TimerFunc;
import io.panago.runtime.WaitReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Go's {@code select} statement: wait on several channel operations and perform exactly
 * one of them.
 *
 * <p>A {@code Select} is built once and run any number of times; running it allocates
 * nothing, so it belongs outside the loop:
 *
 * <pre>{@code
 * Select sel = new Select();
 * Select.RecvCase<String> in = sel.recv(requests);
 * Select.SendCase<Integer> out = sel.send(results);
 * Select.RecvCase<Void> done = sel.recv(ctx.done());
 * for (;;) {
 *     out.value(next);
 *     int i = sel.select();
 *     if (i == in.index()) handle(in.value());
 *     else if (i == out.index()) next = produce();
 *     else return;  // done
 * }
 * }</pre>
 *
 * {@link #select()} blocks until a case can proceed, {@link #trySelect()} is the form with
 * a {@code default} case, {@link #select(Duration)} adds a timeout. When several cases
 * are ready one is chosen uniformly at random. A case on {@link Chan#nil()} is never
 * chosen (Go's nil channel); {@link RecvCase#chan}/{@link SendCase#chan} switch a case
 * to another channel between runs. A send case on a closed channel throws "send on
 * closed channel" if it is chosen, as in Go. For one-off use,
 * {@link #select(Clause...)} takes the cases with bodies in one call.
 *
 * <p>A {@code Select} is run by one goroutine at a time (the cases hold that run's
 * results): a second run that starts while one is under way, or a case added or switched
 * to another channel meanwhile, throws {@link IllegalStateException} and changes nothing.
 *
 * <p>Implementation overview (Go's {@code runtime/select.go}, {@code selectgo}). The
 * live cases are shuffled into a poll order (inside-out Fisher-Yates, per run) and kept
 * sorted by channel id as the lock order (recomputed only when a case changes channel).
 * All channel locks are taken in lock order, so two selects over the same channels can
 * never deadlock. Pass 1 looks for a ready case in poll order and completes it. Else
 * pass 2 enqueues one preallocated {@link Sudog} per case, the locks are released and
 * the goroutine parks. A waker that dequeues one of these sudogs must first win the
 * select's state word: a CAS from {@code (round, 0)} to {@code (round, case + 1)}
 * (Go's {@code selectDone}), so exactly one case (or the timeout) wakes the select and
 * the losers are dropped from their queues by the waker. The round number in the high
 * half keeps a late timeout of an earlier run from winning a later one. Once woken, the
 * select takes all locks again, removes its other sudogs (pass 3), and reads the outcome
 * the waker left in the winning sudog, written under that channel's lock.
 */
public final class Select {

    /** Returned by {@link #trySelect()} when no case is ready (Go's {@code default}). */
    public static final int DEFAULT = -1;
    /** Returned by {@link #select(Duration)} when the timeout elapsed first. */
    public static final int TIMEOUT = -2;

    private static final long TIMEOUT_WIN = 0xFFFF_FFFFL;
    private static final VarHandle STATE;
    private static final VarHandle RUNNING;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Select.class, "state", long.class);
            RUNNING = MethodHandles.lookup().findVarHandle(Select.class, "running", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One case of a {@link Select}; its {@link #index()} is what a run returns. */
    public abstract static sealed class Case permits RecvCase, SendCase {
        final Select owner;
        final int index;
        final Sudog sg = new Sudog();
        Chan<?> c;

        Case(Select owner, int index, Chan<?> c) {
            this.owner = owner;
            this.index = index;
            this.c = c;
        }

        /**
         * The value {@link Select#select()} returns when this case is chosen.
         *
         * @return this case's position among the select's cases, counted from 0
         */
        public int index() {
            return index;
        }

        abstract boolean isSend();

        final void setChan(Object ch) {
            owner.checkNotRunning();
            c = ch == null ? Chan.nil() : (Chan<?>) ch;
            owner.orderValid = false;
        }
    }

    /**
     * A receive case, Go's {@code case v, ok := <-ch}. After a run that chose it,
     * {@link #value()} and {@link #ok()} hold the result.
     *
     * @param <T> the element type
     */
    public static final class RecvCase<T> extends Case {
        private T value;
        private boolean ok;

        RecvCase(Select owner, int index, Chan<?> c) {
            super(owner, index, c);
        }

        /**
         * The value received by the last run that chose this case.
         *
         * @return the value; {@code null} when {@link #ok()} is false
         */
        public T value() {
            return value;
        }

        /**
         * False if the last run chose this case because the channel was closed.
         *
         * @return true if a value was received, false if the channel was closed and drained
         */
        public boolean ok() {
            return ok;
        }

        /**
         * Switches this case to {@code ch} for later runs; {@code null} disables it.
         *
         * @param ch the channel to receive from, or {@code null}
         * @return this case
         */
        public RecvCase<T> chan(RecvChan<T> ch) {
            setChan(ch);
            return this;
        }

        @Override
        boolean isSend() {
            return false;
        }

        @SuppressWarnings("unchecked")
        void deliver(Object v, boolean received) {
            value = (T) v;
            ok = received;
        }
    }

    /**
     * A send case, Go's {@code case ch <- v}. Set the value with {@link #value(Object)}
     * before each run.
     *
     * @param <T> the element type
     */
    public static final class SendCase<T> extends Case {
        private T value;

        SendCase(Select owner, int index, Chan<?> c, T value) {
            super(owner, index, c);
            this.value = value;
        }

        /**
         * Sets the value the next runs send if they choose this case.
         *
         * @param v the value to send, which may be {@code null}
         * @return this case
         */
        public SendCase<T> value(T v) {
            value = v;
            return this;
        }

        /**
         * Switches this case to {@code ch} for later runs; {@code null} disables it.
         *
         * @param ch the channel to send on, or {@code null}
         * @return this case
         */
        public SendCase<T> chan(SendChan<T> ch) {
            setChan(ch);
            return this;
        }

        @Override
        boolean isSend() {
            return true;
        }
    }

    /** The timer of {@link #select(Duration)}; replaced if a stop loses to a firing. */
    private static final class Timeout implements TimerFunc {
        final Select sel;
        final RTimer rt;
        long round;
        G g;

        Timeout(Select sel) {
            this.sel = sel;
            this.rt = new RTimer(this, null);
        }

        @Override
        public void fire(Object arg, long now) {
            long expect = round << 32;
            if ((long) STATE.getVolatile(sel) == expect && STATE.compareAndSet(sel, expect, expect | TIMEOUT_WIN)) {
                Sched.goready(g);
            }
        }
    }

    private Case[] cases = new Case[4];
    private int ncases;
    /** Indexes of the non-nil cases; a prefix of {@code nlive} entries is used. */
    private int[] pollorder = new int[4];
    private int[] lockorder = new int[4];
    private int nlive;
    boolean orderValid;
    private long rng = ThreadLocalRandom.current().nextLong() | 1;
    /** {@code round << 32 | winner}: winner 0 = none yet, case + 1, or TIMEOUT_WIN. */
    private volatile long state;
    /**
     * Set while a run owns the cases, their sudogs and the orders: two runs at once enqueued
     * one sudog twice and corrupted the channels' wait queues for every other user.
     */
    private volatile boolean running;
    private Timeout timeout;
    /**
     * How many leading {@code lockorder} entries have their channel's lock held by this run;
     * kept exact across every call so that the run's one error handler can release them
     * without a call (see {@code RuntimeLock.state}).
     */
    private int held;
    /** True from the first enqueue of a park until all its sudogs are unlinked again. */
    private boolean queued;
    /**
     * Set when a run failed (a StackOverflowError or OutOfMemoryError) with sudogs perhaps still
     * queued: the next run unlinks them before it reuses them.
     */
    private boolean poisoned;

    /** Creates a select with no cases. */
    public Select() {}

    /**
     * Adds a receive case on {@code ch} ({@code null} for Go's nil channel).
     *
     * @param <T> the element type
     * @param ch the channel to receive from, or {@code null}
     * @return the new case
     */
    public <T> RecvCase<T> recv(RecvChan<T> ch) {
        RecvCase<T> cs = new RecvCase<>(this, ncases, ch == null ? Chan.nil() : (Chan<?>) ch);
        add(cs);
        return cs;
    }

    /**
     * Adds a send case on {@code ch}; set its value with {@link SendCase#value(Object)}.
     *
     * @param <T> the element type
     * @param ch the channel to send on, or {@code null}
     * @return the new case, sending {@code null} until its value is set
     */
    public <T> SendCase<T> send(SendChan<T> ch) {
        return send(ch, null);
    }

    /**
     * Adds a send case on {@code ch} sending {@code v} ({@code null} channel: nil).
     *
     * @param <T> the element type
     * @param ch the channel to send on, or {@code null}
     * @param v the value to send, until {@link SendCase#value(Object)} changes it
     * @return the new case
     */
    public <T> SendCase<T> send(SendChan<T> ch, T v) {
        SendCase<T> cs = new SendCase<>(this, ncases, ch == null ? Chan.nil() : (Chan<?>) ch, v);
        add(cs);
        return cs;
    }

    private void add(Case cs) {
        checkNotRunning();
        if (ncases == cases.length) {
            cases = Arrays.copyOf(cases, ncases * 2);
            pollorder = new int[ncases * 2];
            lockorder = new int[ncases * 2];
        }
        cases[ncases++] = cs;
        orderValid = false;
    }

    /**
     * Blocks until one case can proceed, performs it and returns its index. With no
     * usable case (none, or all on nil channels) it blocks forever, as {@code select {}}.
     *
     * @return the index of the case performed
     * @throws IllegalStateException "send on closed channel" if a chosen send case's
     *     channel is closed
     */
    public int select() {
        return run(true, -1);
    }

    /**
     * Performs a ready case if there is one, else returns {@link #DEFAULT} at once: Go's
     * {@code select} with a {@code default} case.
     *
     * @return the index of the case performed, or {@link #DEFAULT}
     */
    public int trySelect() {
        return run(false, -1);
    }

    /**
     * As {@link #select()}, but gives up after {@code timeout} and returns
     * {@link #TIMEOUT}; a zero or negative timeout only polls.
     *
     * @param timeout how long to wait for a case
     * @return the index of the case performed, or {@link #TIMEOUT}
     */
    public int select(Duration timeout) {
        long ns = saturatedNanos(Objects.requireNonNull(timeout, "timeout"));
        return ns <= 0 ? poll(TIMEOUT) : run(true, ns);
    }

    private int poll(int none) {
        int i = run(false, -1);
        return i == DEFAULT ? none : i;
    }

    private int run(boolean block, long timeoutNanos) {
        if (!RUNNING.compareAndSet(this, false, true)) {
            throw new IllegalStateException("select: run by two goroutines at once");
        }
        try {
            int chosen = runOwned(block, timeoutNanos);
            RUNNING.setRelease(this, false);
            return chosen;
        } catch (Throwable t) {
            // No calls here: after a StackOverflowError there may be no stack for one.
            for (int k = held - 1; k >= 0; k--) {
                Chan<?> c = cases[lockorder[k]].c;
                if (k == 0 || cases[lockorder[k - 1]].c != c) {
                    c.lock.state = 0;
                }
            }
            held = 0;
            if (queued) {
                state = state | TIMEOUT_WIN; // wakers now drop this round's sudogs
                queued = false;
                poisoned = true;
            }
            running = false;
            throw t;
        }
    }

    private void checkNotRunning() {
        if (running) {
            throw new IllegalStateException("select: cases changed while it runs");
        }
    }

    private int runOwned(boolean block, long timeoutNanos) {
        if (!orderValid) {
            computeOrder();
        }
        int n = nlive;
        if (poisoned) {
            unlinkAll(n);
        }
        shufflePollOrder(n);
        lockAll(n);
        Case found = null;
        boolean closed = false;
        Object v = null;
        G gp = null;
        for (int k = 0; k < n && found == null; k++) {
            Case cs = cases[pollorder[k]];
            Chan<?> c = cs.c;
            if (cs.isSend()) {
                if (c.closed) {
                    closed = true;
                    found = cs;
                    break;
                }
                Sudog sg = c.recvq.dequeue();
                if (sg != null) {
                    gp = c.sendTo(sg, ((SendCase<?>) cs).value);
                    found = cs;
                } else if (c.qcount() < c.dataqsiz) {
                    c.bufSend(((SendCase<?>) cs).value); // may throw OutOfMemoryError, changing nothing
                    found = cs;
                }
            } else {
                Sudog sg = c.sendq.dequeue();
                if (sg != null) {
                    v = c.recvFrom(sg);
                    gp = sg.g;
                    found = cs;
                } else if (c.qcount() > 0) {
                    v = c.bufRecv();
                    found = cs;
                } else if (c.closed) {
                    closed = true;
                    found = cs;
                }
            }
        }
        if (found == null) {
            if (!block) {
                unlockAll(n);
                return DEFAULT;
            }
            return park(n, timeoutNanos);
        }
        unlockAll(n);
        if (found.isSend()) {
            if (closed) {
                throw Chan.sendOnClosed();
            }
        } else {
            ((RecvCase<?>) found).deliver(v, !closed);
        }
        if (gp != null) {
            Sched.goready(gp);
        }
        return found.index;
    }

    /**
     * After a failed run: takes every sudog out of any queue it may still be in (unlinking
     * one that is not linked changes nothing), under all locks.
     */
    private void unlinkAll(int n) {
        lockAll(n);
        for (int k = 0; k < n; k++) {
            Case cs = cases[lockorder[k]];
            (cs.isSend() ? cs.c.sendq : cs.c.recvq).remove(cs.sg);
            cs.sg.sel = null;
        }
        clearSudogs(n);
        poisoned = false;
        unlockAll(n);
    }

    /** Passes 2 and 3 of {@code selectgo}; called holding all locks, returns unlocked. */
    private int park(int n, long timeoutNanos) {
        G g = Sched.getg();
        long round = ((long) STATE.getVolatile(this) >>> 32) + 1;
        STATE.setVolatile(this, round << 32);
        queued = true;
        // Enqueued in poll order, not lock order: all locks are held, so the order across
        // channels does not matter, and cases on one channel then wait in random order, as in
        // Go (whose lock order ties are broken by its random poll order).
        for (int k = 0; k < n; k++) {
            Case cs = cases[pollorder[k]];
            Sudog sg = cs.sg;
            sg.g = g;
            sg.sel = this;
            sg.caseIndex = cs.index;
            sg.success = false;
            if (cs.isSend()) {
                sg.elem = ((SendCase<?>) cs).value;
                cs.c.sendq.enqueue(sg);
            } else {
                sg.elem = null;
                cs.c.recvq.enqueue(sg);
            }
        }
        unlockAll(n);
        if (n == 0 && timeoutNanos < 0) {
            Chan.parkForever(WaitReason.SELECT_NO_CASES);
        }
        Timeout t = null;
        if (timeoutNanos >= 0) {
            t = timeout;
            if (t == null) {
                t = timeout = new Timeout(this);
            }
            t.round = round;
            t.g = g;
            t.rt.reset(deadline(timeoutNanos), 0);
        }
        long s;
        do {
            Sched.gopark(Sudog.STAY_PARKED, this, n == 0 ? WaitReason.SLEEP : WaitReason.SELECT);
        } while ((int) (s = (long) STATE.getVolatile(this)) == 0);
        long win = s & TIMEOUT_WIN;
        if (t != null && !t.rt.stop() && win != TIMEOUT_WIN) {
            // Its firing is under way and will lose the CAS; it must not see a later round.
            timeout = null;
        }

        lockAll(n);
        Case chosen = null;
        for (int k = 0; k < n; k++) {
            Case cs = cases[lockorder[k]];
            Sudog sg = cs.sg;
            if (cs.index + 1 == win) {
                chosen = cs;
            } else {
                (cs.isSend() ? cs.c.sendq : cs.c.recvq).remove(sg);
            }
            sg.sel = null;
        }
        boolean success = chosen != null && chosen.sg.success;
        Object v = chosen == null ? null : chosen.sg.elem;
        clearSudogs(n);
        queued = false;
        unlockAll(n);
        if (chosen == null) {
            return TIMEOUT;
        }
        if (chosen.isSend()) {
            if (!success) {
                throw Chan.sendOnClosed();
            }
        } else {
            ((RecvCase<?>) chosen).deliver(v, success);
        }
        return chosen.index;
    }

    /** Drops references the sudogs hold between runs; under all locks. */
    private void clearSudogs(int n) {
        for (int k = 0; k < n; k++) {
            Sudog sg = cases[lockorder[k]].sg;
            sg.elem = null;
            sg.g = null;
        }
    }

    /**
     * Wins this select for case {@code caseIndex} of the current round; called by a
     * waker holding the lock of the case's channel. Go's {@code selectDone} CAS.
     */
    boolean win(int caseIndex) {
        long s = (long) STATE.getVolatile(this);
        return (int) s == 0 && STATE.compareAndSet(this, s, s | (caseIndex + 1));
    }

    private void computeOrder() {
        int n = 0;
        for (int i = 0; i < ncases; i++) {
            if (!cases[i].c.isNil) {
                lockorder[n++] = i;
            }
        }
        // Insertion sort by channel id: selects are small and this runs only on change.
        for (int i = 1; i < n; i++) {
            int x = lockorder[i];
            long id = cases[x].c.id;
            int j = i - 1;
            while (j >= 0 && cases[lockorder[j]].c.id > id) {
                lockorder[j + 1] = lockorder[j];
                j--;
            }
            lockorder[j + 1] = x;
        }
        nlive = n;
        orderValid = true;
    }

    private void shufflePollOrder(int n) {
        int[] order = pollorder;
        for (int k = 0; k < n; k++) {
            int j = cheaprandn(k + 1);
            order[k] = order[j];
            order[j] = lockorder[k];
        }
    }

    /** A uniform int in [0, n), from a xorshift generator private to this select. */
    private int cheaprandn(int n) {
        long x = rng;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        rng = x;
        return (int) (((x >>> 32) * n) >>> 32);
    }

    /** Locks the cases' channels in lock order, counting each entry in {@link #held}. */
    private void lockAll(int n) {
        for (int k = 0; k < n; k++) {
            if (k == 0 || cases[lockorder[k - 1]].c != cases[lockorder[k]].c) {
                cases[lockorder[k]].c.lock.lock();
            }
            held = k + 1;
        }
    }

    /** Unlocks in reverse lock order, keeping {@link #held} exact if an unlock call throws. */
    private void unlockAll(int n) {
        for (int k = n - 1; k >= 0; k--) {
            Chan<?> c = cases[lockorder[k]].c;
            if (k == 0 || cases[lockorder[k - 1]].c != c) {
                c.lock.unlock();
            }
            held = k;
        }
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    static long deadline(long nanos) {
        long now = Sched.nanotime();
        long when = now + nanos;
        return when < now ? Long.MAX_VALUE : when;
    }

    /** One clause of {@link #select(Clause...)}: a case together with its body. */
    public sealed interface Clause permits RecvClause, RecvOkClause, SendClause, TimeoutClause, DefaultClause {}

    private record RecvClause<T>(RecvChan<T> ch, Consumer<? super T> body) implements Clause {}

    private record RecvOkClause<T>(RecvChan<T> ch, BiConsumer<? super T, Boolean> body) implements Clause {}

    private record SendClause<T>(SendChan<T> ch, T value, Runnable body) implements Clause {}

    private record TimeoutClause(Duration after, Runnable body) implements Clause {}

    private record DefaultClause(Runnable body) implements Clause {}

    /**
     * A receive clause, Go's {@code case v := <-ch: body(v)}.
     *
     * @param <T> the element type
     * @param ch the channel to receive from ({@code null}: never taken)
     * @param body runs with the value received, {@code null} once the channel is closed
     * @return the clause
     */
    public static <T> Clause onRecv(RecvChan<T> ch, Consumer<? super T> body) {
        return new RecvClause<>(ch, Objects.requireNonNull(body, "body"));
    }

    /**
     * A receive clause with Go's {@code ok}: {@code case v, ok := <-ch: body(v, ok)}.
     *
     * @param <T> the element type
     * @param ch the channel to receive from ({@code null}: never taken)
     * @param body runs with the value received and {@code ok}
     * @return the clause
     */
    public static <T> Clause onRecvOk(RecvChan<T> ch, BiConsumer<? super T, Boolean> body) {
        return new RecvOkClause<>(ch, Objects.requireNonNull(body, "body"));
    }

    /**
     * A send clause, Go's {@code case ch <- value: body()}.
     *
     * @param <T> the element type
     * @param ch the channel to send on ({@code null}: never taken)
     * @param value the value to send
     * @param body runs once the value is sent
     * @return the clause
     */
    public static <T> Clause onSend(SendChan<T> ch, T value, Runnable body) {
        return new SendClause<>(ch, value, Objects.requireNonNull(body, "body"));
    }

    /**
     * A clause taken if no other is ready within {@code after}, Go's {@code case <-time.After(d)}.
     *
     * @param after how long the other clauses are waited for
     * @param body runs if none of them was ready in time
     * @return the clause
     */
    public static Clause onTimeout(Duration after, Runnable body) {
        return new TimeoutClause(Objects.requireNonNull(after, "after"), Objects.requireNonNull(body, "body"));
    }

    /**
     * Go's {@code default:} clause: taken at once if no other clause is ready.
     *
     * @param body runs if no other clause is ready
     * @return the clause
     */
    public static Clause onDefault(Runnable body) {
        return new DefaultClause(Objects.requireNonNull(body, "body"));
    }

    /**
     * Runs a one-off select over {@code clauses}: performs one ready clause's operation
     * (chosen uniformly at random), then runs its body, and returns that clause's
     * position in the arguments. At most one timeout and one default clause; with a
     * default the timeout is never taken. With no clauses it blocks forever, Go's
     * {@code select {}}: written {@code Select.select(new Select.Clause[0])}, because Java
     * resolves a bare {@code select()} to the instance method. Each call builds a fresh
     * {@code Select}: in a hot loop, build one {@link #Select() Select} and reuse it instead.
     *
     * @param clauses the clauses to choose from
     * @return the position in {@code clauses} of the clause taken
     * @throws IllegalArgumentException if there is more than one timeout or default clause
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static int select(Clause... clauses) {
        Select sel = new Select();
        int[] caseToClause = new int[clauses.length];
        int timeoutAt = -1;
        int defaultAt = -1;
        for (int i = 0; i < clauses.length; i++) {
            switch (Objects.requireNonNull(clauses[i], "clauses[" + i + "]")) {
                case RecvClause rc -> caseToClause[sel.recv(rc.ch()).index] = i;
                case RecvOkClause rc -> caseToClause[sel.recv(rc.ch()).index] = i;
                case SendClause sc -> caseToClause[sel.send(sc.ch(), sc.value()).index] = i;
                case TimeoutClause tc -> timeoutAt = single(timeoutAt, i, "timeout");
                case DefaultClause dc -> defaultAt = single(defaultAt, i, "default");
            }
        }
        int r;
        if (defaultAt >= 0) {
            r = sel.trySelect();
        } else if (timeoutAt >= 0) {
            r = sel.select(((TimeoutClause) clauses[timeoutAt]).after());
        } else {
            r = sel.select();
        }
        if (r == DEFAULT) {
            ((DefaultClause) clauses[defaultAt]).body().run();
            return defaultAt;
        }
        if (r == TIMEOUT) {
            ((TimeoutClause) clauses[timeoutAt]).body().run();
            return timeoutAt;
        }
        int at = caseToClause[r];
        switch (clauses[at]) {
            case RecvClause rc -> rc.body().accept(((RecvCase) sel.cases[r]).value());
            case RecvOkClause rc -> {
                RecvCase<?> cs = (RecvCase<?>) sel.cases[r];
                rc.body().accept(cs.value(), cs.ok());
            }
            case SendClause sc -> sc.body().run();
            default -> throw new AssertionError(clauses[at]);
        }
        return at;
    }

    private static int single(int seen, int at, String what) {
        if (seen >= 0) {
            throw new IllegalArgumentException("select: more than one " + what + " clause");
        }
        return at;
    }
}
