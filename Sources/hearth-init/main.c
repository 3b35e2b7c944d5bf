/*
 * hearth-init: PID 1 of every sandbox.
 *
 * Runs inside the sandbox, with no capabilities, no_new_privs and the sandbox's seccomp
 * filter, as the sandbox's own unprivileged host uid. `hearth_spawn` forks the worker first
 * and then exec's this program in the sandbox's first process (execveat of a descriptor the
 * daemon opened, so no path inside the sandbox leads to it):
 *
 *     hearth-init STATUS_FD WORKER_PID [the worker's command, for ps only]
 *
 * Why it exists: the kernel ignores every signal that PID 1 of a pid namespace has no
 * handler for, even signals it sends itself. A worker that is PID 1 survives its own
 * `kill(getpid(), SIGKILL)`, and `abort()` ends as a SIGSEGV; orphans are reparented to it and
 * nobody reaps them. As PID 1 this program
 *   - reaps every process of the sandbox (orphans a function leaves become its children);
 *   - forwards the signals it receives (from the daemon or from inside) to the worker;
 *   - when the worker ends, writes the worker's wait status (an int, as waitpid returns it)
 *     to STATUS_FD and exits with the worker's code (128 + signal if it was killed), upon
 *     which the kernel kills whatever else is left in the namespace.
 *
 * Single-threaded, no allocation, no stdio: only system calls. Every signal is blocked from
 * before exec (hearth_spawn blocks them) so none is lost: the reaping loop runs before each
 * wait, and a SIGCHLD that comes later stays pending until sigwaitinfo takes it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* A non-negative decimal number, or -1. */
static long parse_number(const char *text) {
    long value = 0;
    if (!text || !*text) return -1;
    for (; *text; text++) {
        if (*text < '0' || *text > '9' || value > 100000000) return -1;
        value = value * 10 + (*text - '0');
    }
    return value;
}

/* The worker ended: pass on how, then leave. */
static void finish(int status_fd, int status) {
    ssize_t n;
    do { n = write(status_fd, &status, sizeof status); } while (n < 0 && errno == EINTR);
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    _exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

int main(int argc, char **argv) {
    long status_fd = argc > 2 ? parse_number(argv[1]) : -1;
    long worker = argc > 2 ? parse_number(argv[2]) : -1;
    if (status_fd < 0 || worker <= 1) {
        static const char usage[] = "hearth-init: started by hearthd as PID 1 of a sandbox, not by hand\n";
        ssize_t ignored = write(2, usage, sizeof usage - 1);
        (void)ignored;
        return 2;
    }

    /* Nothing of the sandbox, which runs as our uid, may read our memory or fds (in /proc/1)
       or ptrace us, and so forge the status we report. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
        static const char refused[] = "hearth-init: prctl(PR_SET_DUMPABLE) refused\n";
        ssize_t ignored = write(2, refused, sizeof refused - 1);
        (void)ignored;
        return 2;
    }

    sigset_t all;
    sigfillset(&all);
    /* Already blocked by hearth_spawn; blocking again costs nothing and makes it true here. */
    sigprocmask(SIG_BLOCK, &all, NULL);

    for (;;) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == (pid_t)worker) finish((int)status_fd, status);
        }
        if (pid < 0 && errno == ECHILD) {
            /* No child at all: the worker is gone without us seeing it (cannot happen, as
               it is our child from the start); report it as killed rather than hang. */
            finish((int)status_fd, SIGKILL);
        }
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig <= 0 || sig == SIGCHLD) continue;
        /* Whatever asked PID 1 to stop, continue or handle a signal means the worker. */
        kill((pid_t)worker, sig);
    }
}
