package io.panago.runtime;

/**
 * The commit step of a park (Go's {@code gopark} {@code unlockf}). It runs after the
 * goroutine has yielded, on the scheduler's side, so a waker that finds the goroutine through
 * whatever this step publishes or unlocks can never resume it while it is still on its stack.
 * It must be short and must neither block nor park.
 */
@FunctionalInterface
public interface ParkCommit {
    /**
     * Commits the park of {@code g}.
     *
     * @param g   the goroutine (or plain-thread stand-in) that is parking
     * @param arg the argument given to {@link Sched#gopark}
     * @return true to stay parked until {@link Sched#goready}; false to resume at once
     */
    boolean commit(G g, Object arg);
}
