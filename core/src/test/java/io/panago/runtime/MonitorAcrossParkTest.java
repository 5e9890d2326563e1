package io.panago.runtime;

import io.panago.Go;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What JDK 25 does with a goroutine that holds {@code synchronized} across a park. It does not
 * pin (JEP 491 freezes frames that hold monitors), so the goroutine may resume on another
 * carrier. A fast-locked monitor lives on the goroutine's lock stack and goes with it (also
 * when contention inflates it meanwhile). A monitor that was already inflated when the goroutine
 * entered it (earlier contention, {@code wait}) records the carrier thread as its owner, and
 * the JVM moves that ownership with the continuation only for virtual threads: after the
 * migration the goroutine does not own it and its exit does not release it.
 * {@link Go#lockOSThread()} keeps such a goroutine on its carrier.
 */
class MonitorAcrossParkTest {
    private static final List<String> FLAGS = List.of("--add-exports=java.base/jdk.internal.vm=io.panago.core",
            "--enable-native-access=io.panago.bindings,io.panago.core", "-Dpanago.maxprocs=1");

    /**
     * Child main. A goroutine takes a monitor and inflates it, a plain thread contends for it,
     * the goroutine sleeps while a second goroutine blocks its carrier, so sysmon moves the P and
     * the sleeper resumes on another carrier unless it is locked to its own.
     */
    public static final class Main {
        public static void main(String[] args) throws Exception {
            boolean locked = args[0].equals("locked");
            Object lock = new Object();
            CountDownLatch contenderIn = new CountDownLatch(1);
            String report = Go.run(() -> {
                String r;
                if (locked) {
                    Go.lockOSThread();
                }
                synchronized (lock) {
                    // wait() inflates the monitor with this carrier as its recorded owner
                    // (a fast-locked monitor lives on the goroutine's own lock stack instead,
                    // which does move with it).
                    lock.wait(1);
                    Thread contender = new Thread(() -> {
                        synchronized (lock) {
                            contenderIn.countDown();
                        }
                    });
                    contender.setDaemon(true);
                    contender.start();
                    while (contender.getState() != Thread.State.BLOCKED) {
                        Thread.onSpinWait();
                    }
                    boolean migrated = sleepUntilMigrated(Sched.currentThread());
                    r = "migrated=" + migrated + " holds=" + Thread.holdsLock(lock);
                }
                if (locked) {
                    Go.unlockOSThread();
                }
                return r;
            });
            boolean in = contenderIn.await(2, TimeUnit.SECONDS);
            System.out.println(report + " contenderGotIn=" + in + " pinned=" + Sched.pinnedParks.get());
            System.exit(0);
        }
    }

    /**
     * GOMAXPROCS 1, in a goroutine that ran on {@code before}: sleeps up to 40 rounds of 20 ms
     * until it resumes on another carrier; returns whether it did. Each round a second goroutine
     * blocks whichever carrier runs it until the sleeper has resumed; the sleeper migrates in the
     * first round in which that carrier was its own (a busy machine can make sysmon move the P
     * earlier, so the first round may block another carrier). Locked, it never migrates.
     */
    static boolean sleepUntilMigrated(Thread before) {
        boolean migrated = false;
        for (int round = 0; round < 40 && !migrated; round++) {
            CountDownLatch resumed = new CountDownLatch(1);
            Go.go(() -> {
                try {
                    resumed.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Go.sleep(Duration.ofMillis(20));
            migrated = Sched.currentThread() != before;
            resumed.countDown();
        }
        return migrated;
    }

    @Test
    void lockOSThreadKeepsAContendedMonitorAcrossAPark() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, Main.class, FLAGS, "locked");
        assertTrue(r.out().contains("migrated=false holds=true contenderGotIn=true pinned=40"), r.out());
    }

    @Test
    void jdk25LosesAnInflatedMonitorWhenTheGoroutineMigrates() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, Main.class, FLAGS, "plain");
        // Pins down the JVM's behaviour documented in Go's class comment; if a JDK moves
        // ownership with plain continuations, this fails and the documentation must change.
        assertTrue(r.out().contains("migrated=true holds=false contenderGotIn=false pinned=0"), r.out());
    }

    @Test
    void fastLockedMonitorMigratesWithTheGoroutine() throws Exception {
        Object lock = new Object();
        long pinned0 = Sched.pinnedParks.get();
        String r = Go.run(() -> {
            synchronized (lock) {
                Go.sleep(Duration.ofMillis(5));
                Go.yield();
                return "holds=" + Thread.holdsLock(lock);
            }
        });
        assertEquals("holds=true", r);
        assertEquals(pinned0, Sched.pinnedParks.get(), "JDK 25 must not pin a park that holds a monitor");
        assertFalse(Thread.holdsLock(lock));
    }

    /**
     * A {@code ReentrantLock} (any JDK lock with an owner thread) held across a park belongs to
     * the carrier, not the goroutine: another goroutine on that carrier gets it as a re-entry,
     * and the holder, moved to another carrier meanwhile, cannot unlock it. README's "Things that
     * differ" says so. GOMAXPROCS 1; a third goroutine blocks the carrier in plain JDK code while
     * the holder sleeps, so sysmon moves the P and the holder resumes elsewhere.
     */
    @Test
    void aReentrantLockHeldAcrossAParkBelongsToTheCarrier() throws Exception {
        int procs = Go.gomaxprocs(1);
        try {
            String r = Go.run(() -> {
                java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
                lock.lock();
                Thread before = Sched.currentThread();
                // Re-entry by another goroutine on the same carrier while the holder is parked.
                io.panago.Chan<Boolean> reentered = io.panago.Chan.make(1);
                Go.go(() -> {
                    boolean same = Sched.currentThread() == before;
                    boolean got = lock.tryLock();
                    if (got) {
                        lock.unlock();
                    }
                    reentered.send(same && got);
                });
                boolean reentry = reentered.recv();
                // Now make the holder resume on another carrier.
                boolean migrated = sleepUntilMigrated(before);
                String unlock;
                try {
                    lock.unlock();
                    unlock = "unlocked";
                } catch (IllegalMonitorStateException e) {
                    unlock = "IllegalMonitorStateException";
                }
                return "reentry=" + reentry + " migrated=" + migrated + " " + unlock;
            });
            assertEquals("reentry=true migrated=true IllegalMonitorStateException", r);
        } finally {
            Go.gomaxprocs(procs);
        }
    }
}
