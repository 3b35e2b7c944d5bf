/*
 * Signals: the sandbox starts as a fresh process would, every signal at its default and
 * none blocked.
 *
 * Child side, after no_new_privs, before seccomp. Raw rt_sigaction/rt_sigprocmask: the
 * libc wrappers may take locks (and glibc's sigaction has a userspace side we do not need).
 * Handlers do not survive execve anyway; ignored signals and the mask do, and the daemon's
 * threads have nearly everything masked and SIGTERM, SIGINT and SIGPIPE ignored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* The kernel's struct sigaction for x86_64 and aarch64 (handler, flags, restorer, mask). */
struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

int child_reset_signals(void) {
    struct kernel_sigaction action = {SIG_DFL, 0, 0, 0};
    for (int sig = 1; sig < 65; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        /* Signals glibc reserves for itself (32, 33) may refuse; that is fine. */
        if (syscall(SYS_rt_sigaction, sig, &action, NULL, sizeof action.mask) && errno != EINVAL) return -errno;
    }
    unsigned long empty = 0;
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, sizeof empty)) return -errno;
    return 0;
}
