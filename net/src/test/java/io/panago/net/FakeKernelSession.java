package io.panago.net;

import io.panago.runtime.Sched;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs net's whole suite on a poller whose kernel is one of core's Java stand-ins, on Linux.
 * With {@code -Dpanago.test.fake=kqueue} or {@code =iocp} (net's {@code netpoll-kqueue} and
 * {@code netpoll-iocp} surefire executions) it binds that fake into the bindings when the JUnit
 * session opens, then starts the scheduler and checks that it polls on the fake:
 * <ul>
 * <li>{@code kqueue}: core's {@code KqueueFakeKernel}, a kqueue written in Java over epoll, and
 * its {@code MacosLibcFake}, macOS's libc socket calls in Java over Linux sockets, bound
 * together into the macOS bindings ({@code -Dpanago.netpoll=kqueue -Dpanago.kqueue=macos
 * -Dpanago.test.os=macos}); then {@code NetpollKqueue} is the poller and net's macOS socket
 * layer makes every socket call, all through the fakes, with macOS's numbers;</li>
 * <li>{@code iocp}: core's {@code IocpFakeKernel}, the kernel32 and ws2_32 calls in Java over
 * Linux sockets, bound into the Windows bindings ({@code -Dpanago.netpoll=iocp
 * -Dpanago.test.os=windows}); then {@code NetpollIocp} is the poller and net's Windows socket
 * layer makes every socket call, all through the fake.</li>
 * </ul>
 * Before the suite starts it checks that the scheduler polls on the fake, and that a socket
 * made by {@code TcpListener.bind} went through the fake (so neither can quietly fall back to
 * Linux's calls). Without the property this class does nothing.
 *
 * <p>Registered through {@code META-INF/services}, which JUnit reads from the class path only:
 * those executions run on the class path, since core's test classes (the fakes, in
 * {@code io.panago.runtime}) cannot join the named module {@code io.panago.core}. For the same
 * reason a fake is reached by reflection: net's tests compile as module {@code io.panago.net},
 * where {@code io.panago.runtime} is core's package and the test jar's copy of it is invisible.
 *
 * <p>It is also the main class of the child JVMs {@link EchoStressTest} starts in such a run
 * ({@link #childMain}), so they poll with the same backend over the same fake. A call that broke
 * inside a fake is recorded by it; a session or child whose fake saw one fails at its end.
 */
public final class FakeKernelSession implements LauncherSessionListener {
    private static final String PROPERTY = "panago.test.fake";

    /**
     * A fake kernel: its class, the method counting the kernel objects the poller made, the
     * path of methods from the fake to its count of sockets made (none: not checked), and the
     * properties (with their defaults) that select it, which a child JVM gets too.
     */
    private enum Fake {
        KQUEUE("io.panago.runtime.KqueueFakeKernel", "kqueues", List.of("libc", "sockets"),
                "panago.kqueue", "macos", "panago.test.os", "macos"),
        IOCP("io.panago.runtime.IocpFakeKernel", "ports", List.of(), "panago.test.os", "windows");

        final String className, inUse;
        final List<String> socketCount;
        final String[] properties;

        Fake(String className, String inUse, List<String> socketCount, String... properties) {
            this.className = className;
            this.inUse = inUse;
            this.socketCount = socketCount;
            this.properties = properties;
        }
    }

    /** Instantiated by JUnit's ServiceLoader. */
    public FakeKernelSession() {}

    /** The fake this JVM was asked for, or null. */
    private static Fake asked() {
        String v = System.getProperty(PROPERTY, "");
        return v.isEmpty() ? null : Fake.valueOf(v.toUpperCase(java.util.Locale.ROOT));
    }

    /** True when the suite runs on the Windows socket layer (over the IOCP fake here). */
    static boolean windowsSockets() {
        return asked() == Fake.IOCP || System.getProperty("os.name", "").startsWith("Windows");
    }

    /** True when the suite runs on the macOS socket layer (over the libc fake here). */
    static boolean macosSockets() {
        return asked() == Fake.KQUEUE || System.getProperty("os.name", "").startsWith("Mac");
    }

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        Fake f = asked();
        if (f != null) {
            bindAndStart(f);
        }
    }

    /** Binds the fake, starts the scheduler, and checks that its poller and the sockets use the fake. */
    private static Object bindAndStart(Fake f) {
        Object fake = install(f);
        Sched.start();
        if ((int) call(fake, f.inUse) == 0) {
            throw new AssertionError("the " + f + " fake is bound but the scheduler polls without it"
                    + " (-Dpanago.netpoll=" + f.name().toLowerCase(java.util.Locale.ROOT) + " missing?)");
        }
        if (!f.socketCount.isEmpty()) {
            int before = sockets(f, fake);
            try (TcpListener ln = TcpListener.bind("127.0.0.1:0")) {
                ln.localAddress();
            } catch (java.io.IOException e) {
                throw new AssertionError("a listener on the " + f + " fake", e);
            }
            if (sockets(f, fake) <= before) {
                throw new AssertionError("the " + f + " fake is bound but TcpListener.bind made its socket without it"
                        + " (-Dpanago.test.os missing?)");
            }
        }
        return fake;
    }

    /** The fake's count of sockets made, through the methods {@link Fake#socketCount} names. */
    private static int sockets(Fake f, Object fake) {
        Object o = fake;
        for (String m : f.socketCount) {
            o = call(o, m);
        }
        return (int) o;
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        Fake f = asked();
        if (f != null) {
            List<Throwable> failures = failures(install(f));
            if (!failures.isEmpty()) {
                AssertionError e = new AssertionError("the " + f + " fake saw " + failures.size() + " broken call(s)");
                failures.forEach(e::addSuppressed);
                throw e;
            }
        }
    }

    /** {@code <Fake>.install()}: binds the fake on the first call, returns it. */
    private static Object install(Fake f) {
        try {
            return Class.forName(f.className).getMethod("install").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("-D" + PROPERTY + " needs core's test jar on the class path", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Throwable> failures(Object fake) {
        return (List<Throwable>) call(fake, "failures");
    }

    private static Object call(Object fake, String method) {
        try {
            return fake.getClass().getMethod(method).invoke(fake);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What follows {@code -cp} on a child JVM's command line to run {@code main}: just its name,
     * or, in a JVM on a fake, the properties that select it and this class as the launcher.
     */
    static List<String> childMain(Class<?> main) {
        List<String> out = new ArrayList<>();
        Fake f = asked();
        if (f != null) {
            out.add("-D" + PROPERTY + "=" + System.getProperty(PROPERTY));
            for (int i = 0; i < f.properties.length; i += 2) {
                out.add("-D" + f.properties[i] + "=" + System.getProperty(f.properties[i], f.properties[i + 1]));
            }
            out.add(FakeKernelSession.class.getName());
        }
        out.add(main.getName());
        return out;
    }

    /**
     * A child JVM's entry (see {@link #childMain}): binds the fake, then runs {@code args[0]}'s
     * main with the rest. The mains end in {@code System.exit}, so the check for broken calls is
     * a shutdown hook that turns the exit status into 1.
     */
    public static void main(String[] args) throws Throwable {
        Fake f = asked();
        Object fake = bindAndStart(f);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            List<Throwable> failures = failures(fake);
            if (!failures.isEmpty()) {
                System.err.println("the " + f + " fake saw " + failures.size() + " broken call(s):");
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
