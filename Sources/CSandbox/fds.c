/*
 * File descriptors: the sandbox gets exactly fds 0-3 and nothing else of the daemon's.
 *
 * Child side, after the mounts (so /dev/null is the sandbox's own), before dropping
 * capabilities. The daemon is multithreaded and may have fds without close-on-exec; every
 * fd above 3 except the error pipe is closed here. The sources are first moved above any
 * target so that placing one cannot clobber another.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "internal.h"

#define HIGH_FD 100

int child_fds(const struct hearth_spec *spec, int *error_fd) {
    /* Keep the error pipe, close-on-exec, out of the way of 0-3. */
    int moved = fcntl(*error_fd, F_DUPFD_CLOEXEC, HIGH_FD);
    if (moved < 0) return -errno;
    close(*error_fd);
    *error_fd = moved;

    int sources[4] = {spec->stdin_fd, spec->stdout_fd, spec->stderr_fd, spec->control_fd};
    for (int target = 0; target < 4; target++) {
        if (sources[target] < 0) {
            if (target == 3) continue;
            sources[target] = open("/dev/null", target == 0 ? O_RDONLY : O_WRONLY);
            if (sources[target] < 0) return -errno;
        }
        int high = fcntl(sources[target], F_DUPFD, HIGH_FD + 1);
        if (high < 0) return -errno;
        sources[target] = high;
    }
    for (int target = 0; target < 4; target++) {
        if (sources[target] < 0) continue;
        if (dup2(sources[target], target) < 0) return -errno;
    }
    int first_closed = sources[3] < 0 ? 3 : 4;
    /* Everything from first_closed up, except the error pipe. */
    if (syscall(SYS_close_range, first_closed, moved - 1, 0)) return -errno;
    if (syscall(SYS_close_range, moved + 1, ~0U, 0)) return -errno;
    return 0;
}
