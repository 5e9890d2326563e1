/*
 * The echo benchmark's C peer: a minimal single-threaded, level-triggered epoll server.
 * Each ready connection gets one read (32 KiB buffer) and its echo per round; an echo that
 * does not fit the socket buffer is kept and the connection waits for EPOLLOUT instead of
 * reading more. Listens on an ephemeral port of 127.0.0.1 (backlog 4096), prints
 * "LISTENING <port>" and serves until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER (32 * 1024)
#define MAX_EVENTS 256

struct conn {
    int fd;
    char *rest;            /* unsent part of the last echo, or NULL */
    size_t off, len;
};

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void close_conn(struct conn *c) {
    close(c->fd);          /* closing the last reference removes it from the epoll set */
    free(c->rest);
    free(c);
}

static void watch(int ep, int op, struct conn *c, unsigned events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(ep, op, c->fd, &ev) < 0) die("epoll_ctl");
}

/* Writes what it can of buf; keeps the rest in c and returns 1 if some is left. */
static int send_some(struct conn *c, const char *buf, size_t len) {
    ssize_t w = write(c->fd, buf, len);
    if (w < 0) {
        if (errno != EAGAIN) return -1;
        w = 0;
    }
    if ((size_t) w == len) return 0;
    if (c->rest == NULL && (c->rest = malloc(BUFFER)) == NULL) die("malloc");
    memcpy(c->rest, buf + w, len - w);
    c->off = 0;
    c->len = len - w;
    return 1;
}

int main(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    if (bind(lfd, (struct sockaddr *) &addr, sizeof addr) < 0) die("bind");
    if (listen(lfd, 4096) < 0) die("listen");
    if (getsockname(lfd, (struct sockaddr *) &addr, &alen) < 0) die("getsockname");

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl");

    printf("LISTENING %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    static char buf[BUFFER];
    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = calloc(1, sizeof *nc);
                    if (nc == NULL) die("calloc");
                    nc->fd = fd;
                    watch(ep, EPOLL_CTL_ADD, nc, EPOLLIN);
                }
                continue;
            }
            if (c->len > 0) {
                ssize_t w = write(c->fd, c->rest + c->off, c->len);
                if (w < 0 && errno != EAGAIN) {
                    close_conn(c);
                } else if (w > 0) {
                    c->off += (size_t) w;
                    c->len -= (size_t) w;
                    if (c->len == 0) watch(ep, EPOLL_CTL_MOD, c, EPOLLIN);
                }
                continue;
            }
            ssize_t r = read(c->fd, buf, sizeof buf);
            if (r == 0 || (r < 0 && errno != EAGAIN)) {
                close_conn(c);
                continue;
            }
            if (r < 0) continue;
            int left = send_some(c, buf, (size_t) r);
            if (left < 0) {
                close_conn(c);
            } else if (left > 0) {
                watch(ep, EPOLL_CTL_MOD, c, EPOLLOUT);
            }
        }
    }
}
