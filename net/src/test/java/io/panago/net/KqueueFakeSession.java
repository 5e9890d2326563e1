package io.panago.net;

import io.panago.runtime.Sched;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs net's whole suite on the kqueue backend on Linux. With {@code -Dpanago.test.kqueueFake=true}
 * (net's {@code netpoll-kqueue} surefire execution, which also sets
 * {@code -Dpanago.netpoll=kqueue -Dpanago.kqueue=macos}) it binds core's
 * {@code io.panago.runtime.KqueueFakeKernel} (its test jar), a kqueue written in Java over epoll,
 * into the macOS bindings when the JUnit session opens, then starts the scheduler and checks that
 * it polls with a kqueue on that fake. {@code NetpollKqueue} then polls the real Linux sockets
 * that {@link TcpListener} and {@link TcpStream} open through the Linux socket layer; without the
 * property this class does nothing.
 *
 * <p>Registered through {@code META-INF/services}, which JUnit reads from the class path only:
 * that execution runs on the class path, since core's test classes (the fake, in
 * {@code io.panago.runtime}) cannot join the named module {@code io.panago.core}. For the same
 * reason the fake is reached by reflection: net's tests compile as module {@code io.panago.net},
 * where {@code io.panago.runtime} is core's package and the test jar's copy of it is invisible.
 *
 * <p>It is also the main class of the child JVMs {@link EchoStressTest} starts in that run
 * ({@link #childMain}), so they poll with the same backend over the same fake. A call that broke
 * inside the fake answers EFAULT to the backend and is recorded; a session or child that saw one
 * fails at its end.
 */
public final class KqueueFakeSession implements LauncherSessionListener {
    private static final String PROPERTY = "panago.test.kqueueFake";

    /** Instantiated by JUnit's ServiceLoader. */
    public KqueueFakeSession() {}

    /** True in a JVM the kqueue fake was asked for. */
    static boolean asked() {
        return Boolean.getBoolean(PROPERTY);
    }

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (asked()) {
            bindAndStart();
        }
    }

    /** Binds the fake, starts the scheduler, and checks that its poller is a kqueue on the fake. */
    private static Object bindAndStart() {
        Object fake = fake();
        Sched.start();
        if ((int) call(fake, "kqueues") == 0) {
            throw new AssertionError("the kqueue fake is bound but the scheduler polls without it"
                    + " (-Dpanago.netpoll=kqueue missing?)");
        }
        return fake;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void launcherSessionClosed(LauncherSession session) {
        if (asked()) {
            Object fake = fake();
            List<Throwable> failures = (List<Throwable>) call(fake, "failures");
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError("the kqueue fake saw " + failures.size() + " broken call(s)");
                failures.forEach(e::addSuppressed);
                throw e;
            }
        }
    }

    /** {@code KqueueFakeKernel.install()}: binds the fake on the first call, returns it. */
    private static Object fake() {
        try {
            return Class.forName("io.panago.runtime.KqueueFakeKernel").getMethod("install").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("-D" + PROPERTY + " needs core's test jar on the class path", e);
        }
    }

    /** {@code fake.method()}: {@code failures} (calls that broke inside it), {@code kqueues}. */
    private static Object call(Object fake, String method) {
        try {
            return fake.getClass().getMethod(method).invoke(fake);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What follows {@code -cp} on a child JVM's command line to run {@code main}: just its name,
     * or, in a JVM on the fake, the properties that select it and this class as the launcher.
     */
    static List<String> childMain(Class<?> main) {
        List<String> out = new ArrayList<>();
        if (asked()) {
            out.add("-D" + PROPERTY + "=true");
            out.add("-Dpanago.kqueue=" + System.getProperty("panago.kqueue", "macos"));
            out.add(KqueueFakeSession.class.getName());
        }
        out.add(main.getName());
        return out;
    }

    /**
     * A child JVM's entry (see {@link #childMain}): binds the fake, then runs {@code args[0]}'s
     * main with the rest. The mains end in {@code System.exit}, so the check for broken calls is
     * a shutdown hook that turns the exit status into 1.
     */
    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Throwable {
        Object fake = bindAndStart();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            List<Throwable> failures = (List<Throwable>) call(fake, "failures");
            if (!failures.isEmpty()) {
                System.err.println("the kqueue fake saw " + failures.size() + " broken call(s):");
                failures.forEach(Throwable::printStackTrace);
                Runtime.getRuntime().halt(1);
            }
        }));
        try {
            Class.forName(args[0]).getMethod("main", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
