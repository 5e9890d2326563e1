package io.panago;

import io.panago.runtime.Panics;
import io.panago.runtime.Sched;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;

/**
 * Goroutines: Go's {@code go} statement and {@code runtime} package for Java.
 *
 * <p>Goroutines are continuations run by a port of Go's G/M/P scheduler on a few daemon
 * carrier threads ({@link #gomaxprocs()} of them run goroutine code at a time). Blocking
 * operations of panago (channels, select, sync, timers, sockets) park the goroutine, not its
 * carrier. The JVM needs
 * {@code --add-exports java.base/jdk.internal.vm=io.panago.core} and
 * {@code --enable-native-access=io.panago.bindings,io.panago.core} ({@code =ALL-UNNAMED} for
 * both on the class path); without them the first call fails with an
 * {@link IllegalStateException} naming the flag.
 *
 * <p>What to know when writing goroutine code:
 * <ul>
 * <li><b>ThreadLocals, {@code Thread.currentThread()} and its interrupt flag belong to the
 *     carrier</b>, and a goroutine may move to another carrier at every park or yield. Do not
 *     keep per-goroutine state in ThreadLocals. Goroutines are not interrupted (cancel them with
 *     a {@code Context} or by closing a channel); an interrupt a goroutine sets on its carrier
 *     is cleared when it next yields.</li>
 * <li>Code that blocks the carrier thread (file I/O, JDBC, {@code Thread.sleep},
 *     {@code Object.wait}, a contended {@code synchronized}) does not stop other goroutines: the
 *     runtime's monitor hands the carrier's processor to another carrier after ~10 ms. Wrap
 *     such calls in {@link #blocking} to hand it off after ~20 &micro;s instead.</li>
 * <li>A goroutine that parks while it cannot yield (a native frame on its stack, such as an
 *     FFM upcall; a held monitor before JDK 24) is <i>pinned</i>: it blocks its carrier until
 *     woken, with its processor handed off, so it still works, at the cost of a thread.</li>
 * <li><b>Do not park while holding {@code synchronized}</b> (a channel operation, a sleep, a
 *     socket read inside a synchronized block). On JDK 24+ such a park does not pin: the
 *     goroutine yields with the monitor and may resume on another carrier. A thin
 *     (fast-locked) monitor goes with it; but a monitor that was already inflated when the
 *     goroutine entered it (it had been contended, or {@code wait} was used on it) records the
 *     <i>carrier thread</i> as owner, and the JVM moves that ownership with the continuation for
 *     virtual threads only: after the migration the goroutine no longer owns it, its exit does
 *     not release it, and others then deadlock or enter together. Use
 *     {@code io.panago.sync.Mutex}, or wrap the section in {@link #lockOSThread()} /
 *     {@link #unlockOSThread()}, which keeps the goroutine on its carrier.</li>
 * <li>A goroutine that runs without parking or yielding keeps its carrier; after ~10 ms its
 *     processor is handed to another carrier, so the rest keep running.</li>
 * </ul>
 */
public final class Go {
    private Go() {
    }

    /**
     * Runs {@code main} as a goroutine and waits for it, starting the runtime if needed. Callable
     * from a plain thread (which then blocks) or from a goroutine (which then parks).
     *
     * @param main the code the goroutine runs
     * @throws RuntimeException what {@code main} threw, or what a goroutine started by it panicked
     *         with (checked throwables wrapped in a {@link CompletionException})
     */
    public static void run(Runnable main) {
        Objects.requireNonNull(main, "main");
        try {
            Sched.run(() -> {
                main.run();
                return null;
            });
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /**
     * Runs {@code main} as a goroutine, waits for it and returns its result. A panic of a
     * goroutine it started, directly or not, ends the wait too, unless a
     * {@linkplain #setPanicHandler panic handler} handles it.
     *
     * <p>Unlike Go, where a panic ends the process, the panic ends only this wait: {@code main}
     * and the other goroutines it started keep running (a goroutine cannot be stopped from
     * outside). A program that catches the exception and goes on should make them stop, for
     * instance by cancelling a {@link io.panago.context.Context} they watch.
     *
     * @param <T> the result type
     * @param main the code the goroutine runs
     * @return what {@code main} returned
     * @throws Exception what {@code main} threw, or what a goroutine started by it panicked with
     */
    public static <T> T run(Callable<T> main) throws Exception {
        return Sched.run(Objects.requireNonNull(main, "main"));
    }

    /**
     * Starts a goroutine (Go's {@code go} statement). Callable from anywhere; the runtime starts
     * lazily and its threads never keep the JVM alive.
     *
     * @param task the code the new goroutine runs
     */
    public static void go(Runnable task) {
        if (task == null) {
            throw new NullPointerException("task");
        }
        Sched.newproc(task);
    }

    /** Lets other goroutines run (Go's {@code runtime.Gosched}); {@link Thread#yield()} outside goroutines. */
    public static void yield() {
        Sched.gosched();
    }

    /**
     * Parks the goroutine (or blocks the thread) for at least {@code d} (Go's {@code time.Sleep}).
     * Zero or negative returns at once.
     *
     * @param d how long to sleep
     */
    public static void sleep(Duration d) {
        Sched.sleep(Select.saturatedNanos(Objects.requireNonNull(d, "d"))); // beyond the long range: MIN_VALUE when negative
    }

    /**
     * The number of goroutines that exist now (Go's {@code runtime.NumGoroutine}).
     *
     * @return the number of goroutines started and not yet ended
     */
    public static int numGoroutine() {
        return Sched.numGoroutine();
    }

    /**
     * How many goroutines may run at once (Go's {@code GOMAXPROCS}).
     *
     * @return the current GOMAXPROCS
     */
    public static int gomaxprocs() {
        return Sched.gomaxprocs();
    }

    /**
     * Sets GOMAXPROCS and returns the previous value; {@code n < 1} changes nothing, as in Go.
     * Safe while goroutines run. The initial value comes from {@code -Dpanago.maxprocs}, else
     * the {@code GOMAXPROCS} environment variable, else the available processors.
     *
     * @param n the new GOMAXPROCS; below 1 only asks for the current one
     * @return the value before this call
     */
    public static int gomaxprocs(int n) {
        return Sched.gomaxprocs(n);
    }

    /**
     * True when the caller is a goroutine.
     *
     * @return true in goroutine code, false on a plain or virtual thread
     */
    public static boolean inGoroutine() {
        return Sched.inGoroutine();
    }

    /**
     * Runs {@code call}, which may block its carrier thread (file I/O, JDBC, a
     * {@code synchronized} wait), the way Go runs a system call: the goroutine keeps its carrier
     * and the processor is handed to another carrier if the call takes longer than ~20 &micro;s,
     * so other goroutines keep running. Outside goroutines, just calls it. Calls may nest, and
     * {@code call} may use goroutine operations (channels, {@link #sleep}, sockets, {@link #run}):
     * they park and resume as anywhere else, possibly on another carrier.
     *
     * @param <T> the result type
     * @param call the code that may block
     * @return what {@code call} returned
     * @throws Exception what {@code call} threw
     */
    public static <T> T blocking(Callable<T> call) throws Exception {
        return Sched.blocking(Objects.requireNonNull(call, "call"));
    }

    /**
     * Wires the calling goroutine to its carrier thread until the matching
     * {@link #unlockOSThread()} (Go's {@code runtime.LockOSThread}; calls nest): its parks block
     * the carrier, with the processor handed to another carrier, instead of yielding, so it
     * resumes on the same thread; so does {@link #yield}, which lets the other goroutines run
     * on that processor meanwhile. Use it around code that needs thread identity across parks,
     * such as {@code synchronized} sections that park. A no-op outside goroutines.
     */
    public static void lockOSThread() {
        Sched.lockOSThread();
    }

    /** Undoes one {@link #lockOSThread()} (Go's {@code runtime.UnlockOSThread}). */
    public static void unlockOSThread() {
        Sched.unlockOSThread();
    }

    /**
     * Every goroutine's id, state, wait reason and stack, as Go's goroutine dump prints them
     * ({@code goroutine 7 [chan receive]:} then its frames). The same dump goes to stderr on
     * {@code kill -USR1 <pid>} (choose another signal with {@code -Dpanago.dumpsignal=NAME},
     * {@code none} for none; an application's own handler of that signal is left alone).
     *
     * @return the dump as text, one block per goroutine
     */
    public static String dump() {
        return Sched.dump();
    }

    /**
     * Replaces the default panic behaviour (see {@link PanicHandler}); null restores it.
     *
     * @param handler the new handler, or null
     * @return the previous handler, or null
     */
    public static PanicHandler setPanicHandler(PanicHandler handler) {
        return Panics.setHandler(handler);
    }
}
