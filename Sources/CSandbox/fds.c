/*
 * File descriptors: the sandbox gets exactly fds 0-3 and nothing else of the daemon's.
 *
 * Child side, after the mounts (so /dev/null is the sandbox's own) and before the rlimits
 * (the moves below need fd numbers above 100, which a small nofile limit would refuse).
 * The daemon is multithreaded and may have fds without close-on-exec; every fd above 3 is
 * closed here except the three the child itself still needs, all close-on-exec: the error
 * pipe, the status pipe the init reports on, and the init's executable. The sources are
 * first moved above any target so that placing one cannot clobber another.
 *
 * The descriptor rule (runtimes/PROTOCOL.md): what a sandbox holds is /dev/null, pipes and
 * one socketpair — never a descriptor of a host directory or of a host path it could walk
 * from. A function's code arrives later as a detached mount (hearth_clone_tree), the one
 * directory descriptor a sandbox ever gets, from which `..` cannot climb.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "internal.h"

#define HIGH_FD 100

int close_all_except(unsigned int first, const int *keep, int count) {
    int sorted[8];
    if (count > 8) return -E2BIG;
    for (int i = 0; i < count; i++) sorted[i] = keep[i];
    /* Insertion sort of a handful of numbers. */
    for (int i = 1; i < count; i++) {
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    }
    unsigned int next = first;
    for (int i = 0; i < count; i++) {
        if (sorted[i] < 0 || (unsigned int)sorted[i] < next) continue;
        if ((unsigned int)sorted[i] > next && syscall(SYS_close_range, next, (unsigned int)sorted[i] - 1, 0)) return -errno;
        next = (unsigned int)sorted[i] + 1;
    }
    if (syscall(SYS_close_range, next, ~0U, 0)) return -errno;
    return 0;
}

int format_decimal(char *out, size_t size, long value) {
    char digits[24];
    size_t n = 0;
    int negative = value < 0;
    unsigned long v = negative ? 0UL - (unsigned long)value : (unsigned long)value;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof digits);
    if (n + (size_t)negative + 1 > size) return -ENAMETOOLONG;
    size_t at = 0;
    if (negative) out[at++] = '-';
    while (n) out[at++] = digits[--n];
    out[at] = '\0';
    return 0;
}

/* Moves *fd to a close-on-exec number at or above HIGH_FD. */
static int move_high(int *fd) {
    if (*fd < 0) return 0;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, HIGH_FD);
    if (moved < 0) return -errno;
    close(*fd);
    *fd = moved;
    return 0;
}

int child_fds(struct child_context *ctx) {
    const struct hearth_spec *spec = ctx->spec;
    int rc;
    if ((rc = move_high(&ctx->error_fd)) < 0 || (rc = move_high(&ctx->status_fd)) < 0 || (rc = move_high(&ctx->init_fd)) < 0)
        return rc;

    int sources[4] = {spec->stdin_fd, spec->stdout_fd, spec->stderr_fd, spec->control_fd};
    for (int target = 0; target < 4; target++) {
        if (sources[target] < 0) {
            if (target == 3) continue;
            sources[target] = open("/dev/null", (target == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
            if (sources[target] < 0) return -errno;
        }
        int high = fcntl(sources[target], F_DUPFD_CLOEXEC, HIGH_FD);
        if (high < 0) return -errno;
        sources[target] = high;
    }
    for (int target = 0; target < 4; target++) {
        if (sources[target] < 0) continue;
        /* dup2 clears close-on-exec on the new number: these four are the worker's. */
        if (dup2(sources[target], target) < 0) return -errno;
    }
    int keep[3] = {ctx->error_fd, ctx->status_fd, ctx->init_fd};
    return close_all_except(sources[3] < 0 ? 3 : 4, keep, 3);
}

/*
 * Child, in the process that becomes the init, after the worker was forked off: the init
 * holds none of the worker's fds (its socket and pipes must close when the worker dies), only
 * the status pipe, which stays open across its exec.
 */
int child_init_fds(const struct child_context *ctx) {
    int keep[3] = {ctx->error_fd, ctx->status_fd, ctx->init_fd};
    int rc = close_all_except(0, keep, 3);
    if (rc < 0) return rc;
    if (fcntl(ctx->status_fd, F_SETFD, 0)) return -errno;
    return 0;
}
