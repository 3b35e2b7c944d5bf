/*
 * Resource limits and cgroups.
 *
 * Parent half (daemon, after clone, before releasing the child): write the child's pid into
 * each `cgroup.procs` the daemon opened for it (memory, pids and cpu; v1 or v2), so that
 * every process the sandbox will ever have is counted. Child half (before dropping
 * capabilities, which setrlimit needs for raising nothing but lowering hard limits is free):
 * the per-process rlimits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"

int parent_join_cgroups(pid_t child, const struct hearth_spec *spec) {
    char text[24];
    int len = snprintf(text, sizeof text, "%d\n", (int)child);
    for (size_t i = 0; i < spec->cgroup_fd_count; i++) {
        if (write(spec->cgroup_procs_fds[i], text, (size_t)len) != len) return errno ? -errno : -EIO;
    }
    return 0;
}

int child_rlimits(const struct hearth_spec *spec) {
    for (size_t i = 0; i < spec->rlimit_count; i++) {
        struct rlimit limit = {spec->rlimits[i].soft, spec->rlimits[i].hard};
        if (setrlimit(spec->rlimits[i].resource, &limit)) return -errno;
    }
    return 0;
}
