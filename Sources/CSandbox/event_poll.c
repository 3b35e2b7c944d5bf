/*
 * The epoll set, wake-up eventfd and descriptor-carrying send behind hearthd's one I/O loop
 * for all workers (HearthPool's WorkerIOLoop).
 *
 * Daemon side (unprivileged, the loop's thread): Swift does not see <sys/epoll.h> or
 * <sys/eventfd.h>, and `struct epoll_event` is packed on x86-64, which Swift cannot lay out;
 * here it is unpacked into two plain arrays. Every descriptor made here is close-on-exec, so
 * no sandbox cloned by another thread inherits one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "hearth_sandbox.h"

int hearth_poll_create(void) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int hearth_poll_set(int poll_fd, int fd, uint32_t events, uint64_t token, int registered) {
    struct epoll_event event = {.events = events, .data.u64 = token};
    int op = events == 0 ? EPOLL_CTL_DEL : registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    return epoll_ctl(poll_fd, op, fd, &event) == 0 ? 0 : -errno;
}

int hearth_poll_wait(int poll_fd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event ready[64];
    if (max > 64) max = 64;
    int n = epoll_wait(poll_fd, ready, max, timeout_ms);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
        tokens[i] = ready[i].data.u64;
        events[i] = ready[i].events;
    }
    return n;
}

int hearth_wake_create(void) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int hearth_wake(int wake_fd) {
    uint64_t one = 1;
    return write(wake_fd, &one, sizeof one) == sizeof one || errno == EAGAIN ? 0 : -errno;
}

void hearth_wake_clear(int wake_fd) {
    uint64_t count;
    (void)!read(wake_fd, &count, sizeof count);
}

long hearth_send_attaching(int socket, const void *bytes, size_t size, const int *fds, int fd_count) {
    return hearth_send_fds(socket, bytes, size, fds, fd_count, MSG_DONTWAIT);
}

_Static_assert(HEARTH_POLL_IN == EPOLLIN && HEARTH_POLL_OUT == EPOLLOUT && HEARTH_POLL_ERR == EPOLLERR && HEARTH_POLL_HUP == EPOLLHUP,
               "HEARTH_POLL_* are epoll's values");
