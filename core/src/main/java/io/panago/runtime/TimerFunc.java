package io.panago.runtime;

/**
 * What an {@link RTimer} does when it fires (Go's timer {@code f}). It runs on a scheduler
 * thread, so it must neither block nor park; {@link Sched#goready}, a non-blocking channel send
 * or a close are the kind of thing it does.
 */
@FunctionalInterface
public interface TimerFunc {
    /**
     * Called once per firing.
     *
     * @param arg the argument the timer was created with
     * @param now the {@link Sched#nanotime()} at which the timer was run (at or after its deadline)
     */
    void fire(Object arg, long now);
}
