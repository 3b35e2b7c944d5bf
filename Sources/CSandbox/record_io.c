/*
 * One packet with descriptors, each way, for hearthd's end of the launcher's socketpair.
 *
 * Daemon side (unprivileged, any thread): the SCM_RIGHTS control-message macros have no
 * Swift form. The launcher's own end is in Sources/hearth-launcher/record.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "hearth_launcher.h"
#include "hearth_sandbox.h"

long hearth_send_fds(int socket, const void *bytes, size_t size, const int *fds, int fd_count, int flags) {
    union {
        char buffer[CMSG_SPACE(sizeof(int) * HL_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov = {(void *)bytes, size};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd_count < 0 || fd_count > HL_MAX_FDS) return -EINVAL;
    if (fd_count > 0) {
        memset(&control, 0, sizeof control);
        message.msg_control = control.buffer;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)fd_count);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)fd_count);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)fd_count);
    }
    ssize_t n;
    do { n = sendmsg(socket, &message, MSG_NOSIGNAL | flags); } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (long)n;
}

int hearth_send_record(int socket, const void *bytes, size_t size, const int *fds, int fd_count) {
    long n = hearth_send_fds(socket, bytes, size, fds, fd_count, 0);
    if (n < 0) return (int)n;
    return n == (long)size ? 0 : -EIO;
}

long hearth_receive_record(int socket, void *buffer, size_t size, int *fds, int max_fds, int *fd_count, int *truncated) {
    union {
        char buffer[CMSG_SPACE(sizeof(int) * HL_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct iovec iov = {buffer, size};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof control.buffer};
    ssize_t n;
    do { n = recvmsg(socket, &message, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    *fd_count = 0;
    int cut = (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
    if (n < 0) return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            cut = 1;
            continue;
        }
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            /* More than was room for: not kept, so never leaked either. */
            if (*fd_count < max_fds) fds[(*fd_count)++] = fd;
            else close(fd);
        }
    }
    if (truncated) *truncated = cut;
    return (long)n;
}
