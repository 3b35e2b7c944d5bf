/* Shared between the step files. Not part of the API. */
#ifndef HEARTH_SANDBOX_INTERNAL_H
#define HEARTH_SANDBOX_INTERNAL_H

#include "hearth_sandbox.h"

/* What the child needs besides the spec: its ends of the pipes, and the init to exec. */
struct child_context {
    const struct hearth_spec *spec;
    int sync_fd;   /* read end: one byte from the parent once ids and cgroups are set */
    int error_fd;  /* write end, close-on-exec: {step, errno} on failure; EOF means exec worked */
    int status_fd; /* write end, close-on-exec: the init writes the worker's wait status here */
    int init_fd;   /* hearth-init, O_PATH, close-on-exec */
};

/* Each child step returns 0 or -errno. Runs in the child, after clone, before execve. */
int child_identity(const struct hearth_spec *spec);
int child_mount_private(void);
int child_mount_root(const struct hearth_spec *spec);
int child_mount_binds(const struct hearth_spec *spec);
int child_mount_proc(const struct hearth_spec *spec);
int child_mount_dev(const struct hearth_spec *spec);
int child_mount_tmp(const struct hearth_spec *spec);
int child_pivot_root(const struct hearth_spec *spec);
int child_root_readonly(void);
int child_rlimits(const struct hearth_spec *spec);
int child_fds(struct child_context *ctx);
int child_init_fds(const struct child_context *ctx);
int child_caps(const struct hearth_spec *spec);
int child_seccomp(const struct hearth_spec *spec);
int prctl_no_new_privs(void);
int child_reset_signals(void);

/* Parent-side steps: 0 or -errno. */
int parent_write_id_maps(pid_t child, const struct hearth_spec *spec);
int parent_join_cgroups(pid_t child, const struct hearth_spec *spec);

/*
 * Closes every fd from `first` up except those in `keep` (any order, negative entries
 * ignored, at most 8). No allocation. 0 or -errno.
 */
int close_all_except(unsigned int first, const int *keep, int count);

/* `value` in decimal into `out` (no allocation, no stdio); -ENAMETOOLONG if it does not fit. */
int format_decimal(char *out, size_t size, long value);

/*
 * `base` + `suffix` into `out` (no allocation). Returns -ENAMETOOLONG when it does not fit.
 */
int path_join(char *out, size_t size, const char *base, const char *suffix);

#define HEARTH_PATH_MAX 4096

#endif
