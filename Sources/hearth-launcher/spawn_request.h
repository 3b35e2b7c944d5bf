/* A validated HL_SPAWN request (spawn_request.c), ready to become a hearth_spec. */
#ifndef HEARTH_LAUNCHER_SPAWN_REQUEST_H
#define HEARTH_LAUNCHER_SPAWN_REQUEST_H

#include "launcher.h"

struct spawn_request {
    uint32_t filter_index;
    const struct hearth_filter *filter;
    uint64_t memory;
    uint32_t pids, millicpu;
    uint64_t tmp_size, code_size;
    int host_network;
    const char *hostname, *cwd, *code_dir, *path;
    struct hearth_bind binds[HL_MAX_BINDS];
    size_t bind_count;
    struct hearth_symlink symlinks[HL_MAX_SYMLINKS];
    size_t symlink_count;
    struct hearth_rlimit rlimits[HL_MAX_RLIMITS];
    size_t rlimit_count;
    char *argv[HL_MAX_ARGS + 1];
    char *envp[HL_MAX_ENV + 1];
    int stdin_fd, stdout_fd, stderr_fd, control_fd;
};

/* 0, or -1 with the refusal filled. The strings live until the next call. */
int parse_spawn(struct cursor *c, const int *fds, int fd_count, struct spawn_request *q, struct refusal *r);

#endif
