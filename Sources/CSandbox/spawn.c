/*
 * hearth_spawn: one sandbox, start to exec.
 *
 * Runs in hearth-launcher (single-threaded, root in the initial user namespace), or in-process
 * in `hearthd sandbox run` and hearth-bench (multithreaded, root). The parent half
 * clones the child into new namespaces, gives it its uid/gid maps and cgroups, then lets it
 * go on. The child half runs the steps below in order, each a plain system call sequence,
 * and reports the first failure as {step, errno} on a close-on-exec pipe; end-of-file on
 * that pipe means both execs succeeded. The order matters and is the sandbox's design:
 *
 *   identity → die with the parent (hearth-launcher only)
 *   → mounts (private, root, binds, proc, dev, tmp, pivot_root, read-only /)
 *   → hostname → cgroup namespace → fds → rlimits → chdir → capabilities → no_new_privs
 *   → signals → the worker (pid 2, vfork-style): seccomp → execve(worker)
 *             → then this process (pid 1): init fds → seccomp → execveat(hearth-init)
 *
 * Seccomp is last on both sides: it also filters what the earlier steps would need. The
 * sandbox's first process becomes hearth-init, a small program of its own (not a copy of
 * the daemon's memory), so that the worker is an ordinary process whose signals behave as on
 * any Linux, and every orphan is reaped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define CHILD_STACK_SIZE (256 * 1024)

struct child_report {
    int step;
    int error;
};

/* Child: report a failed step and leave without running any atexit handler. */
static void fail(int error_fd, enum hearth_step step, int error) {
    struct child_report report = {step, error < 0 ? -error : error};
    ssize_t ignored = write(error_fd, &report, sizeof report);
    (void)ignored;
    _exit(127);
}

#define STEP(name, call)                                  \
    do {                                                  \
        int rc_ = (call);                                 \
        if (rc_ < 0) fail(ctx->error_fd, (name), rc_);    \
    } while (0)

/*
 * Child, first thing: close every fd except the ones this sandbox was given. clone() copied
 * all the daemon's fds, close-on-exec or not, including the sync pipes of sandboxes being
 * made at the same time by other threads; a child holding a sibling's pipe would keep that
 * sibling waiting forever if the daemon died before releasing it (seen: orphans stuck in
 * read() after the daemon stopped).
 */
static int close_inherited(const struct child_context *ctx) {
    const struct hearth_spec *spec = ctx->spec;
    int keep[8] = {ctx->sync_fd, ctx->error_fd, ctx->status_fd, ctx->init_fd,
                   spec->stdin_fd, spec->stdout_fd, spec->stderr_fd, spec->control_fd};
    return close_all_except(0, keep, 8);
}

#define WORKER_STACK_SIZE (32 * 1024)

/*
 * The worker, pid 2: seccomp, then execve. Made with CLONE_VM | CLONE_VFORK, as posix_spawn
 * makes its children: it shares pid 1's memory (a copy of the daemon's, whose page tables a
 * fork would copy once more, the largest cost of a spawn) on a stack of its own, touches
 * nothing else, and pid 1 waits until it has exec'd or failed. Not glibc's fork(): that runs
 * atfork handlers, which take malloc's locks, which another daemon thread may have held at
 * the moment of the first clone().
 */
static int worker_main(void *arg) {
    struct child_context *ctx = arg;
    /* Seccomp last: from here on only what the profile allows, and execve must be in it.
       The status pipe and the init's fd are close-on-exec. */
    STEP(HEARTH_STEP_SECCOMP, child_seccomp(ctx->spec));
    execve(ctx->spec->path, ctx->spec->argv, ctx->spec->envp);
    fail(ctx->error_fd, HEARTH_STEP_EXEC, errno);
    return 127;
}

/* Blocks every signal (raw: no libc wrapper that may take a lock). 0 or -errno. */
static int block_all_signals(void) {
    unsigned long all = ~0UL;
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof all)) return -errno;
    return 0;
}

#define INIT_ARGS 32

/*
 * Child, pid 1, after forking the worker: becomes hearth-init. Its argv is the status fd,
 * the worker's pid and, for `ps` only, the worker's command (the first few words of it).
 */
static void exec_init(struct child_context *ctx, pid_t worker) {
    const struct hearth_spec *spec = ctx->spec;
    char status_text[24], worker_text[24];
    char *argv[INIT_ARGS + 4];
    char *envp[1] = {NULL};
    STEP(HEARTH_STEP_INIT, child_init_fds(ctx));
    STEP(HEARTH_STEP_INIT, format_decimal(status_text, sizeof status_text, ctx->status_fd));
    STEP(HEARTH_STEP_INIT, format_decimal(worker_text, sizeof worker_text, worker));
    /* The init waits for signals with sigwaitinfo: none may arrive unasked before it does. */
    STEP(HEARTH_STEP_INIT, block_all_signals());
    size_t n = 0;
    argv[n++] = "hearth-init";
    argv[n++] = status_text;
    argv[n++] = worker_text;
    for (size_t i = 0; spec->argv && spec->argv[i] && i < INIT_ARGS; i++) argv[n++] = spec->argv[i];
    argv[n] = NULL;
    STEP(HEARTH_STEP_SECCOMP, child_seccomp(spec));
    syscall(SYS_execveat, ctx->init_fd, "", argv, envp, AT_EMPTY_PATH);
    fail(ctx->error_fd, HEARTH_STEP_EXEC_INIT, errno);
}

/*
 * Child: killed if the parent ends from now on, and gone already if it ended before. The
 * parent holds the only read end of the error pipe until our exec, so a write end that polls
 * POLLERR means nobody is there to release or reap us.
 */
static int child_die_with_parent(const struct child_context *ctx) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) return -errno;
    struct pollfd p = {.fd = ctx->error_fd, .events = POLLOUT};
    if (poll(&p, 1, 0) < 0) return -errno;
    return p.revents & POLLERR ? -EPIPE : 0;
}

/* Child entry point: pid 1 of a new pid namespace, root of a new user namespace. */
static int child_main(void *arg) {
    struct child_context *ctx = arg;
    const struct hearth_spec *spec = ctx->spec;
    int closed = close_inherited(ctx);
    if (closed < 0) fail(ctx->error_fd, HEARTH_STEP_FDS, closed);

    /* Wait until the parent has written our id maps and put us in our cgroups. */
    char go = 0;
    ssize_t n;
    do { n = read(ctx->sync_fd, &go, 1); } while (n < 0 && errno == EINTR);
    if (n != 1) fail(ctx->error_fd, HEARTH_STEP_WAIT_PARENT, n < 0 ? errno : EPIPE);
    close(ctx->sync_fd);

    STEP(HEARTH_STEP_IDENTITY, child_identity(spec));
    /* After the identity change, which clears the parent-death signal. */
    if (spec->die_with_parent) STEP(HEARTH_STEP_WAIT_PARENT, child_die_with_parent(ctx));
    STEP(HEARTH_STEP_MOUNT_PRIVATE, child_mount_private());
    STEP(HEARTH_STEP_MOUNT_ROOT, child_mount_root(spec));
    STEP(HEARTH_STEP_MOUNT_BIND, child_mount_binds(spec));
    STEP(HEARTH_STEP_MOUNT_PROC, child_mount_proc(spec));
    STEP(HEARTH_STEP_MOUNT_DEV, child_mount_dev(spec));
    STEP(HEARTH_STEP_MOUNT_TMP, child_mount_tmp(spec));
    STEP(HEARTH_STEP_PIVOT_ROOT, child_pivot_root(spec));
    STEP(HEARTH_STEP_ROOT_READONLY, child_root_readonly());
    if (spec->hostname)
        STEP(HEARTH_STEP_HOSTNAME, sethostname(spec->hostname, strlen(spec->hostname)) ? -errno : 0);
    /* The parent already moved us into our cgroup: make it the root of what we can see. */
    STEP(HEARTH_STEP_CGROUP_NS, unshare(CLONE_NEWCGROUP) ? -errno : 0);
    STEP(HEARTH_STEP_FDS, child_fds(ctx));
    /* After the fds: placing them needs numbers above 100, which a low nofile would refuse. */
    STEP(HEARTH_STEP_RLIMITS, child_rlimits(spec));
    STEP(HEARTH_STEP_CHDIR, chdir(spec->cwd ? spec->cwd : "/") ? -errno : 0);
    STEP(HEARTH_STEP_CAPS, child_caps(spec));
    STEP(HEARTH_STEP_NO_NEW_PRIVS, prctl_no_new_privs());
    /* The daemon's thread masked nearly every signal and the daemon ignores SIGTERM, SIGINT
       and SIGPIPE; all of that would survive execve and break the function's own processes. */
    STEP(HEARTH_STEP_SIGNALS, child_reset_signals());
    char worker_stack[WORKER_STACK_SIZE] __attribute__((aligned(16)));
    pid_t worker = clone(worker_main, worker_stack + sizeof worker_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, ctx);
    if (worker < 0) fail(ctx->error_fd, HEARTH_STEP_FORK, errno);
    exec_init(ctx, worker);
    return 127;
}

static void close_pair(int fds[2]) {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
}

static int parent_failure(struct hearth_result *result, enum hearth_step step, int error) {
    result->pid = -1;
    result->pidfd = -1;
    result->status_fd = -1;
    result->step = step;
    result->error = error;
    return -1;
}


/* Whether fd becomes readable (or reaches end-of-file) within timeout_ms. */
static int wait_readable(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    do { n = poll(&p, 1, timeout_ms); } while (n < 0 && errno == EINTR);
    return n != 0;
}

int hearth_spawn_start(const struct hearth_spec *spec, struct hearth_pending *pending, struct hearth_result *result) {
    int sync_pipe[2] = {-1, -1}, error_pipe[2] = {-1, -1}, status_pipe[2] = {-1, -1};
    if (spec->init_fd < 0) return parent_failure(result, HEARTH_STEP_EXEC_INIT, EBADF);
    if (pipe2(sync_pipe, O_CLOEXEC) || pipe2(error_pipe, O_CLOEXEC) || pipe2(status_pipe, O_CLOEXEC | O_NONBLOCK)) {
        int e = errno;
        close_pair(sync_pipe);
        close_pair(error_pipe);
        close_pair(status_pipe);
        return parent_failure(result, HEARTH_STEP_PIPES, e);
    }

    /* The child runs on its own copy of this stack (no CLONE_VM), so it can go right after clone. */
    void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int e = errno;
        close_pair(sync_pipe);
        close_pair(error_pipe);
        close_pair(status_pipe);
        return parent_failure(result, HEARTH_STEP_STACK, e);
    }

    struct child_context ctx = {spec, sync_pipe[0], error_pipe[1], status_pipe[1], spec->init_fd};
    /* No daemon signal handler may run in the child between clone and execve: block every
       signal across clone; the child starts with this mask and clears it itself. */
    sigset_t all, previous;
    sigfillset(&all);
    int masked = pthread_sigmask(SIG_SETMASK, &all, &previous);
    if (masked) {
        munmap(stack, CHILD_STACK_SIZE);
        close_pair(sync_pipe);
        close_pair(error_pipe);
        close_pair(status_pipe);
        return parent_failure(result, HEARTH_STEP_CLONE, masked);
    }
    int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD | SIGCHLD;
    if (spec->new_network) flags |= CLONE_NEWNET;
    int pidfd = -1;
    pid_t pid = clone(child_main, (char *)stack + CHILD_STACK_SIZE, flags, &ctx, &pidfd);
    int clone_errno = errno;
    /* Restoring a mask that was valid a moment ago cannot fail. */
    (void)pthread_sigmask(SIG_SETMASK, &previous, NULL);
    munmap(stack, CHILD_STACK_SIZE);
    close(sync_pipe[0]);
    close(error_pipe[1]);
    close(status_pipe[1]);
    if (pid < 0) {
        close(sync_pipe[1]);
        close(error_pipe[0]);
        close(status_pipe[0]);
        return parent_failure(result, HEARTH_STEP_CLONE, clone_errno);
    }

    enum hearth_step step = HEARTH_STEP_NONE;
    int rc = parent_write_id_maps(pid, spec);
    if (rc < 0) step = HEARTH_STEP_ID_MAPS;
    if (!step && (rc = parent_join_cgroups(pid, spec)) < 0) step = HEARTH_STEP_CGROUP;
    if (!step && write(sync_pipe[1], "g", 1) != 1) {
        step = HEARTH_STEP_RELEASE;
        rc = -errno;
    }
    close(sync_pipe[1]);

    if (step) {
        kill(pid, SIGKILL);
        close(error_pipe[0]);
        while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {}
        if (pidfd >= 0) close(pidfd);
        close(status_pipe[0]);
        return parent_failure(result, step, -rc);
    }
    pending->pid = pid;
    pending->pidfd = pidfd;
    pending->status_fd = status_pipe[0];
    pending->error_fd = error_pipe[0];
    return 0;
}

int hearth_spawn_finish(struct hearth_pending *pending, int timed_out, struct hearth_result *result) {
    struct child_report report = {0, 0};
    if (timed_out) {
        /* A child stuck before execve (a hung mount, say) must not be waited for forever. */
        kill(pending->pid, SIGKILL);
        report = (struct child_report){HEARTH_STEP_SETUP_TIMEOUT, ETIMEDOUT};
    } else {
        ssize_t n;
        do { n = read(pending->error_fd, &report, sizeof report); } while (n < 0 && errno == EINTR);
        if (n != 0 && n != (ssize_t)sizeof report) report = (struct child_report){HEARTH_STEP_EXEC, n < 0 ? errno : EPROTO};
    }
    close(pending->error_fd);
    pending->error_fd = -1;

    if (report.step) {
        /* The child has exited (or been killed); reap it so that nothing is left behind. */
        while (waitpid(pending->pid, NULL, __WALL) < 0 && errno == EINTR) {}
        if (pending->pidfd >= 0) close(pending->pidfd);
        close(pending->status_fd);
        return parent_failure(result, report.step, report.error);
    }
    result->pid = pending->pid;
    result->pidfd = pending->pidfd;
    result->status_fd = pending->status_fd;
    result->step = HEARTH_STEP_NONE;
    result->error = 0;
    return 0;
}

int hearth_spawn(const struct hearth_spec *spec, struct hearth_result *result) {
    struct hearth_pending pending;
    if (hearth_spawn_start(spec, &pending, result) < 0) return -1;
    return hearth_spawn_finish(&pending, !wait_readable(pending.error_fd, HEARTH_SETUP_TIMEOUT_MS), result);
}

int hearth_kill(int pidfd) {
    return syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) ? -errno : 0;
}

int hearth_wait(int pidfd, int status_fd, int *exited, int *status) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    while (waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED)) {
        if (errno != EINTR) return -errno;
    }
    /* Non-blocking: the init is gone, but a sibling sandbox's child may hold a copy of the
       write end for the instant before it closes what it inherited. */
    int worker = 0;
    ssize_t n;
    do { n = read(status_fd, &worker, sizeof worker); } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof worker) {
        *exited = WIFEXITED(worker);
        *status = WIFEXITED(worker) ? WEXITSTATUS(worker) : WTERMSIG(worker);
        return 0;
    }
    *exited = info.si_code == CLD_EXITED;
    *status = info.si_status;
    return 0;
}

int hearth_open_executable(const char *path) {
    int fd = open(path, O_PATH | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int hearth_pipe(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) ? -errno : 0;
}
