/*
 * The whole API of Hearth's sandbox: describe a sandbox in a `hearth_spec`, call
 * `hearth_spawn`, get a pid or the step that failed with its errno.
 *
 * Everything the child runs between clone() and execve() is in this target, is plain C,
 * and makes only async-signal-safe system calls: the daemon is multithreaded, so another
 * thread may hold malloc's or stdio's lock at the moment of clone().
 */
#ifndef HEARTH_SANDBOX_H
#define HEARTH_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where set-up stopped. Mirrored by the Swift `SandboxError.Step`. */
enum hearth_step {
    HEARTH_STEP_NONE = 0,
    HEARTH_STEP_PIPES,          /* parent: sync/error pipes */
    HEARTH_STEP_STACK,          /* parent: child stack */
    HEARTH_STEP_CLONE,          /* parent: clone() with the namespace flags */
    HEARTH_STEP_ID_MAPS,        /* parent: uid_map / gid_map of the child */
    HEARTH_STEP_CGROUP,         /* parent: moving the child into its cgroups */
    HEARTH_STEP_RELEASE,        /* parent: letting the child go on */
    HEARTH_STEP_WAIT_PARENT,    /* child: parent went away before releasing it */
    HEARTH_STEP_IDENTITY,       /* child: setgroups/setresgid/setresuid */
    HEARTH_STEP_MOUNT_PRIVATE,  /* child: stop mount propagation */
    HEARTH_STEP_MOUNT_ROOT,     /* child: tmpfs for the new root */
    HEARTH_STEP_MOUNT_BIND,     /* child: read-only binds of what the runtime needs */
    HEARTH_STEP_MOUNT_PROC,     /* child: fresh /proc of the new pid namespace */
    HEARTH_STEP_MOUNT_DEV,      /* child: minimal /dev */
    HEARTH_STEP_MOUNT_TMP,      /* child: size-limited /tmp and the code directory */
    HEARTH_STEP_PIVOT_ROOT,     /* child: pivot_root and detaching the old root */
    HEARTH_STEP_ROOT_READONLY,  /* child: remounting / read-only */
    HEARTH_STEP_HOSTNAME,       /* child: uts namespace hostname */
    HEARTH_STEP_CGROUP_NS,      /* child: cgroup namespace rooted at its own cgroup */
    HEARTH_STEP_RLIMITS,        /* child: setrlimit */
    HEARTH_STEP_FDS,            /* child: fds 0-3 and closing everything else */
    HEARTH_STEP_CHDIR,          /* child: working directory */
    HEARTH_STEP_CAPS,           /* child: securebits, bounding set, ambient, capset */
    HEARTH_STEP_NO_NEW_PRIVS,   /* child: PR_SET_NO_NEW_PRIVS */
    HEARTH_STEP_SIGNALS,        /* child: default dispositions, empty mask */
    HEARTH_STEP_SECCOMP,        /* child: installing the filter */
    HEARTH_STEP_EXEC,           /* child: execve */
    HEARTH_STEP_SETUP_TIMEOUT,  /* parent: the child did not reach execve in time (killed) */
    HEARTH_STEP_FORK,           /* child: forking the worker off the sandbox's init */
    HEARTH_STEP_INIT,           /* child: the init's own fds and signal mask */
    HEARTH_STEP_EXEC_INIT,      /* child: execveat of hearth-init as PID 1 */
};

/* A bind mount into the sandbox; targets are absolute paths inside it. */
struct hearth_bind {
    const char *source;
    const char *target;
    int writable;
};

/* A symbolic link inside the sandbox (e.g. /bin -> usr/bin on merged-/usr systems). */
struct hearth_symlink {
    const char *target;
    const char *path;
};

struct hearth_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
};

/* A compiled seccomp filter: BPF instructions as exported by libseccomp. */
struct hearth_filter {
    const void *instructions; /* struct sock_filter[] */
    unsigned short count;
};

struct hearth_spec {
    /* An existing, empty directory on the host where the child mounts its tmpfs root. */
    const char *root_mountpoint;
    const struct hearth_bind *binds;
    size_t bind_count;
    const struct hearth_symlink *symlinks;
    size_t symlink_count;
    /* tmpfs options of /tmp and of the code directory (e.g. "size=64m"). */
    const char *tmp_options;
    const char *code_dir;        /* absolute path inside, NULL for none */
    const char *code_options;
    const char *hostname;

    /* The host uid and gid that uid/gid 0 inside the sandbox map to. */
    uint32_t host_uid;
    uint32_t host_gid;
    int new_network;             /* 1: an empty network namespace */

    const struct hearth_rlimit *rlimits;
    size_t rlimit_count;
    /* Open `cgroup.procs` files the parent writes the child's pid into before releasing it. */
    const int *cgroup_procs_fds;
    size_t cgroup_fd_count;

    /* Become fds 0, 1, 2 and 3 in the child; -1 means /dev/null (0-2) or closed (3). */
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    int control_fd;

    int last_capability;         /* highest capability number of this kernel */
    const struct hearth_filter *filter; /* NULL only for debugging */

    /* hearth-init, opened O_PATH | O_CLOEXEC in the parent: the sandbox's PID 1 (see
       Sources/hearth-init). Exec'd through the descriptor, so no path inside leads to it. */
    int init_fd;

    /* 1: the sandbox is killed when the thread that spawned it ends (PR_SET_PDEATHSIG), for
       a single-threaded parent such as hearth-launcher. 0 in a multithreaded daemon, whose
       spawning thread may end long before the sandbox. */
    int die_with_parent;

    const char *cwd;             /* inside the sandbox */
    const char *path;            /* executable, inside the sandbox */
    char *const *argv;
    char *const *envp;
};

struct hearth_result {
    pid_t pid;                   /* the sandbox's init; killing it kills the sandbox */
    int pidfd;                   /* pollable, readable once the sandbox's init exited */
    int status_fd;               /* read end, close-on-exec: the worker's wait status from init */
    enum hearth_step step;       /* HEARTH_STEP_NONE on success */
    int error;                   /* errno of the failed step */
};

/*
 * Creates a sandbox and runs `spec->path` in it. Returns 0 with result->pid and
 * result->pidfd set once execve() succeeded, or -1 with result->step and result->error.
 * A child that failed has been reaped. Safe to call from any thread.
 */
int hearth_spawn(const struct hearth_spec *spec, struct hearth_result *result);

/*
 * The same in two halves, for a single-threaded parent (hearth-launcher) that must not block
 * while a child sets itself up. hearth_spawn_start clones the child, writes its id maps and
 * cgroups and releases it: 0 with *pending filled, or -1 with result->step and result->error
 * (the child reaped). Then, once pending->error_fd polls readable (or after
 * HEARTH_SETUP_TIMEOUT_MS, with timed_out 1, which kills the child), hearth_spawn_finish
 * gives what hearth_spawn would have and closes error_fd.
 */
struct hearth_pending {
    pid_t pid;
    int pidfd;
    int status_fd;
    int error_fd;   /* read end, close-on-exec: end-of-file once both execs succeeded */
};
#define HEARTH_SETUP_TIMEOUT_MS 10000
int hearth_spawn_start(const struct hearth_spec *spec, struct hearth_pending *pending, struct hearth_result *result);
int hearth_spawn_finish(struct hearth_pending *pending, int timed_out, struct hearth_result *result);

/* Parent side: SIGKILL to a sandbox's init through its pidfd (no pid reuse race). 0 or -errno. */
int hearth_kill(int pidfd);

/*
 * Parent side: blocks until the sandbox's init exited and reaps it, then reports how the
 * worker ended, as the init wrote it to `status_fd` (or, if the init died first, killed by
 * the daemon say, how the init ended). Sets *exited to 1 and *status to the exit code, or
 * *exited to 0 and *status to the signal. 0 or -errno. Closes neither fd.
 */
int hearth_wait(int pidfd, int status_fd, int *exited, int *status);

/* Parent side: an executable to exec through its descriptor (O_PATH | O_CLOEXEC), as
   spec->init_fd wants it. The fd or -errno. */
int hearth_open_executable(const char *path);

/* Parent side: pipe2(O_CLOEXEC), which Swift does not see. 0 or -errno. */
int hearth_pipe(int fds[2]);

/*
 * Parent side, root in the initial mount namespace: a detached, recursive, read-only,
 * nosuid, nodev clone of the directory `path` (open_tree + mount_setattr), as a descriptor to
 * hand to a sandbox. Path lookup from it cannot leave it: `..` at the root of a detached mount
 * stays at that root, unlike `..` from a host directory descriptor, which climbs to the host
 * `/`. Returns the fd (close-on-exec) or -errno.
 */
int hearth_clone_tree(const char *path);
/* The same for a directory already opened (O_PATH is enough): what hearth-launcher clones
   once it has resolved the path under the packages root without following any symlink. */
int hearth_clone_tree_fd(int directory_fd);

/*
 * Both ends of hearth-launcher's socketpair (SOCK_SEQPACKET): one record with up to
 * HL_MAX_FDS descriptors. Send: 0 or -errno. Receive: the record's size, 0 at end-of-file,
 * or -errno; received descriptors are close-on-exec, those past max_fds are closed, and
 * *truncated (if not NULL) says the record or its control data did not fit or held more
 * than descriptors.
 */
int hearth_send_record(int socket, const void *bytes, size_t size, const int *fds, int fd_count);
/* The sendmsg under both senders: `bytes` with up to HL_MAX_FDS descriptors (MSG_NOSIGNAL
 * added to `flags`); the bytes that went out, or -errno. */
long hearth_send_fds(int socket, const void *bytes, size_t size, const int *fds, int fd_count, int flags);
long hearth_receive_record(int socket, void *buffer, size_t size, int *fds, int max_fds, int *fd_count, int *truncated);

/*
 * hearthd's one I/O loop for all workers (event_poll.c): an epoll set whose entries carry a
 * 64-bit token, an eventfd to wake it, and a non-blocking send of a frame's bytes with
 * descriptors (SCM_RIGHTS, at most HL_MAX_FDS) riding on them. Events are HEARTH_POLL_*,
 * epoll's own values; setting no events removes the entry. Each returns -errno on failure;
 * the send returns the bytes sent (perhaps fewer than `size`), wait the number of events.
 */
#define HEARTH_POLL_IN 0x001u
#define HEARTH_POLL_OUT 0x004u
#define HEARTH_POLL_ERR 0x008u
#define HEARTH_POLL_HUP 0x010u
int hearth_poll_create(void);
int hearth_poll_set(int poll_fd, int fd, uint32_t events, uint64_t token, int registered);
int hearth_poll_wait(int poll_fd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms);
int hearth_wake_create(void);
int hearth_wake(int wake_fd);
void hearth_wake_clear(int wake_fd);
long hearth_send_attaching(int socket, const void *bytes, size_t size, const int *fds, int fd_count);

/* hearthd's root phase: chown -R of a directory that never follows a symlink (openat with
   O_NOFOLLOW from each parent's fd, fchownat AT_SYMLINK_NOFOLLOW). 0 or -errno. */
int hearth_chown_tree(const char *path, uid_t uid, gid_t gid);
/* hearthd's root phase, last step: every thread becomes uid/gid with no supplementary group,
   and root cannot be regained (checked). 0, or -errno (-EPERM: root came back). */
int hearth_become(uid_t uid, gid_t gid);
/* Then: execve of hearthd itself as that user, signals at their defaults and none blocked,
   so that the process (whose first thread the Swift runtime has ended, and whose credentials
   `ps` reads from it) is seen as what it now is. Returns only on failure, -errno. */
int hearth_exec_fresh(const char *path, char *const argv[], char *const envp[]);

/* The highest capability number the running kernel knows (libcap's cap_max_bits() - 1). */
int hearth_last_capability(void);

/*
 * Seccomp compilation, in the parent, once per profile (libseccomp).
 * hearth_filter_new() starts a filter with a default action; rules are added one by one;
 * hearth_filter_export() produces BPF that hearth_spawn installs. Errors are -errno.
 */
struct hearth_filter_builder;

enum hearth_action_kind {
    HEARTH_ACTION_ALLOW = 0,
    HEARTH_ACTION_ERRNO = 1,
    HEARTH_ACTION_KILL_PROCESS = 2,
};

struct hearth_arg_rule {
    unsigned index;
    int op;                 /* enum scmp_compare */
    uint64_t value;
    uint64_t value_two;
};

struct hearth_filter_builder *hearth_filter_new(enum hearth_action_kind default_action, int default_errno, int *error);
int hearth_filter_add_arch(struct hearth_filter_builder *builder, const char *arch_name);
/* Returns -ENOENT when the syscall name is unknown to libseccomp for the native arch. */
int hearth_filter_add_rule(struct hearth_filter_builder *builder, const char *syscall_name,
                           enum hearth_action_kind action, int errno_value,
                           const struct hearth_arg_rule *args, unsigned arg_count);
/* On success *out is malloc'd BPF the caller frees with hearth_filter_free_program(). */
int hearth_filter_export(struct hearth_filter_builder *builder, struct hearth_filter *out);
void hearth_filter_free(struct hearth_filter_builder *builder);
void hearth_filter_free_program(struct hearth_filter *program);

#ifdef __cplusplus
}
#endif

#endif
