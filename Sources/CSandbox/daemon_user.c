/*
 * The daemon's own user: handing it the data directory, and becoming it.
 *
 * Runs in hearthd's root phase (multithreaded, root), after hearth-launcher started and
 * before the store opens or anything listens. hearth_chown_tree: every file of the data directory
 * (left by an earlier run as root, or by a `hearthd token` run as root) becomes the user's.
 * The tree may already belong to that user, who could swap a directory for a symlink while
 * the walk runs: so the walk never follows one. Each entry is opened once (O_PATH |
 * O_NOFOLLOW) from its parent's descriptor, checked, changed and, a directory, entered through
 * that descriptor, so no path is looked up twice and none leaves the tree. A non-directory with
 * more than one link is left alone: it may be a hard link to a file outside the tree.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAX_DEPTH 64

static int chown_below(int dir, uid_t uid, gid_t gid, int depth) {
    if (depth > MAX_DEPTH) return -ELOOP;
    int listing = dup(dir);
    if (listing < 0) return -errno;
    DIR *stream = fdopendir(listing);
    if (!stream) {
        int e = errno;
        close(listing);
        return -e;
    }
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir(stream))) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        /* One lookup, without following: what is checked below is what is changed. */
        int item = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (item < 0) {
            if (errno == ENOENT) continue;
            rc = -errno;
            break;
        }
        struct stat st;
        if (fstat(item, &st)) {
            rc = -errno;
            close(item);
            break;
        }
        /* A file with a second name may be a hard link the user planted to one outside the
           tree (fs.protected_hardlinks=0 allows /etc/shadow; =1 still any file it can read
           and write): chowning it would give that file away. Left as it is. */
        int linked = !S_ISDIR(st.st_mode) && st.st_nlink > 1;
        if (!linked && (st.st_uid != uid || st.st_gid != gid) && fchownat(item, "", uid, gid, AT_EMPTY_PATH)) {
            rc = -errno;
            close(item);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            int child = openat(item, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (child >= 0) {
                rc = chown_below(child, uid, gid, depth + 1);
                close(child);
            }
        }
        close(item);
    }
    closedir(stream);
    return rc;
}

int hearth_chown_tree(const char *path, uid_t uid, gid_t gid) {
    int top = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (top < 0) return -errno;
    int rc = fchown(top, uid, gid) ? -errno : chown_below(top, uid, gid, 0);
    close(top);
    return rc;
}

int hearth_become(uid_t uid, gid_t gid) {
    /* The libc wrappers, not raw calls: glibc applies each change to every thread (setxid). */
    if (setgroups(0, NULL)) return -errno;
    if (setresgid(gid, gid, gid)) return -errno;
    if (setresuid(uid, uid, uid)) return -errno;
    /* No way back: the saved ids are gone too, and from non-root no capability remains. */
    if (geteuid() != uid || getuid() != uid || getegid() != gid || setuid(0) == 0 || seteuid(0) == 0) return -EPERM;
    /* The credential change made the process non-dumpable, which makes /proc/self root's;
       being traceable by its own user only is what any process of that user is. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)) return -errno;
    return 0;
}

int hearth_exec_fresh(const char *path, char *const argv[], char *const envp[]) {
    /* The calling thread's mask and ignored signals would survive execve; the new image must
       start as a freshly started hearthd does. */
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) (void)sigaction(sig, &action, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    if (pthread_sigmask(SIG_SETMASK, &none, NULL)) return -EINVAL;
    execve(path, argv, envp);
    return -errno;
}
