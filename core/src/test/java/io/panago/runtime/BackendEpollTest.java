package io.panago.runtime;

/**
 * The readiness scenarios on the reference backend, epoll: the control for the kqueue and
 * io_uring runs of the same tests.
 */
class BackendEpollTest extends BackendReadinessTests {
    @Override
    Class<? extends Netpoll> backendUnderTest() {
        return NetpollEpoll.class;
    }
}
