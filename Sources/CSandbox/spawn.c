/*
 * hearth_spawn: one sandbox, start to exec.
 *
 * Runs in the daemon (multithreaded, root in the initial user namespace). The parent half
 * clones the child into new namespaces, gives it its uid/gid maps and cgroups, then lets it
 * go on. The child half runs the steps below in order, each a plain system call sequence,
 * and reports the first failure as {step, errno} on a close-on-exec pipe; end-of-file on
 * that pipe means execve() succeeded. The order matters and is the sandbox's design:
 *
 *   identity → mounts (private, root, binds, proc, dev, tmp, pivot_root, read-only /)
 *   → hostname → cgroup namespace → rlimits → fds → chdir → capabilities → no_new_privs
 *   → signals → seccomp (last: it also filters what the earlier steps would need) → execve
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
static void close_inherited(const struct child_context *ctx) {
    int keep[6] = {ctx->sync_fd, ctx->error_fd, ctx->spec->stdin_fd, ctx->spec->stdout_fd, ctx->spec->stderr_fd, ctx->spec->control_fd};
    /* Sort the few fds to keep (insertion sort, no allocation). */
    for (int i = 1; i < 6; i++) {
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = t;
        }
    }
    unsigned int next = 0;
    for (int i = 0; i < 6; i++) {
        if (keep[i] < 0 || (unsigned int)keep[i] < next) continue;
        if ((unsigned int)keep[i] > next) syscall(SYS_close_range, next, (unsigned int)keep[i] - 1, 0);
        next = (unsigned int)keep[i] + 1;
    }
    syscall(SYS_close_range, next, ~0U, 0);
}

/* Child entry point: pid 1 of a new pid namespace, root of a new user namespace. */
static int child_main(void *arg) {
    struct child_context *ctx = arg;
    const struct hearth_spec *spec = ctx->spec;
    close_inherited(ctx);

    /* Wait until the parent has written our id maps and put us in our cgroups. */
    char go = 0;
    ssize_t n;
    do { n = read(ctx->sync_fd, &go, 1); } while (n < 0 && errno == EINTR);
    if (n != 1) fail(ctx->error_fd, HEARTH_STEP_WAIT_PARENT, n < 0 ? errno : EPIPE);
    close(ctx->sync_fd);

    STEP(HEARTH_STEP_IDENTITY, child_identity(spec));
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
    STEP(HEARTH_STEP_RLIMITS, child_rlimits(spec));
    STEP(HEARTH_STEP_FDS, child_fds(spec, &ctx->error_fd));
    STEP(HEARTH_STEP_CHDIR, chdir(spec->cwd ? spec->cwd : "/") ? -errno : 0);
    STEP(HEARTH_STEP_CAPS, child_caps(spec));
    STEP(HEARTH_STEP_NO_NEW_PRIVS, prctl_no_new_privs());
    /* The daemon's thread masked nearly every signal and the daemon ignores SIGTERM, SIGINT
       and SIGPIPE; all of that would survive execve and break the function's own processes. */
    STEP(HEARTH_STEP_SIGNALS, child_reset_signals());
    /* Seccomp last: from here on only what the profile allows, and execve must be in it. */
    STEP(HEARTH_STEP_SECCOMP, child_seccomp(spec));
    execve(spec->path, spec->argv, spec->envp);
    fail(ctx->error_fd, HEARTH_STEP_EXEC, errno);
    return 127;
}

static void close_pair(int fds[2]) {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
}

static int parent_failure(struct hearth_result *result, enum hearth_step step, int error) {
    result->pid = -1;
    result->pidfd = -1;
    result->step = step;
    result->error = error;
    return -1;
}

/* How long the set-up in the child may take before it is killed. It normally takes a few ms. */
#define SETUP_TIMEOUT_MS 10000

/* Whether fd becomes readable (or reaches end-of-file) within timeout_ms. */
static int wait_readable(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    do { n = poll(&p, 1, timeout_ms); } while (n < 0 && errno == EINTR);
    return n != 0;
}

int hearth_spawn(const struct hearth_spec *spec, struct hearth_result *result) {
    int sync_pipe[2] = {-1, -1}, error_pipe[2] = {-1, -1};
    if (pipe2(sync_pipe, O_CLOEXEC) || pipe2(error_pipe, O_CLOEXEC)) {
        int e = errno;
        close_pair(sync_pipe);
        close_pair(error_pipe);
        return parent_failure(result, HEARTH_STEP_PIPES, e);
    }

    /* The child runs on its own copy of this stack (no CLONE_VM), so it can go right after clone. */
    void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int e = errno;
        close_pair(sync_pipe);
        close_pair(error_pipe);
        return parent_failure(result, HEARTH_STEP_STACK, e);
    }

    struct child_context ctx = {spec, sync_pipe[0], error_pipe[1]};
    /* No daemon signal handler may run in the child between clone and execve: block every
       signal across clone; the child starts with this mask and clears it itself. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD | SIGCHLD;
    if (spec->new_network) flags |= CLONE_NEWNET;
    int pidfd = -1;
    pid_t pid = clone(child_main, (char *)stack + CHILD_STACK_SIZE, flags, &ctx, &pidfd);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    munmap(stack, CHILD_STACK_SIZE);
    close(sync_pipe[0]);
    close(error_pipe[1]);
    if (pid < 0) {
        close(sync_pipe[1]);
        close(error_pipe[0]);
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

    struct child_report report = {0, 0};
    if (step) {
        kill(pid, SIGKILL);
        report.step = step;
        report.error = -rc;
    } else if (!wait_readable(error_pipe[0], SETUP_TIMEOUT_MS)) {
        /* A child stuck before execve (a hung mount, say) must not hold this thread forever. */
        kill(pid, SIGKILL);
        report = (struct child_report){HEARTH_STEP_SETUP_TIMEOUT, ETIMEDOUT};
    } else {
        ssize_t n;
        do { n = read(error_pipe[0], &report, sizeof report); } while (n < 0 && errno == EINTR);
        if (n != 0 && n != (ssize_t)sizeof report) report = (struct child_report){HEARTH_STEP_EXEC, n < 0 ? errno : EPROTO};
    }
    close(error_pipe[0]);

    if (report.step) {
        /* The child has exited (or been killed); reap it so that nothing is left behind. */
        while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {}
        if (pidfd >= 0) close(pidfd);
        return parent_failure(result, report.step, report.error);
    }
    result->pid = pid;
    result->pidfd = pidfd;
    result->step = HEARTH_STEP_NONE;
    result->error = 0;
    return 0;
}

int hearth_kill(int pidfd) {
    return syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) ? -errno : 0;
}

int hearth_wait(int pidfd, int *exited, int *status) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    while (waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED)) {
        if (errno != EINTR) return -errno;
    }
    *exited = info.si_code == CLD_EXITED;
    *status = info.si_status;
    return 0;
}
