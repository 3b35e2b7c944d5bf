/*
 * A function's code for a sandbox: a detached mount, never a host directory descriptor.
 *
 * Parent side (the daemon, root in the initial user and mount namespaces, at a worker's
 * `load`; any time, off the clone path). Path lookup from a descriptor of a host directory is
 * not bounded by the sandbox's root: `..` from it climbs to the host `/`, whatever the
 * sandbox's own mounts are. `..` at the root of a mount that is attached nowhere stays at that
 * root. So the package directory is cloned (open_tree with OPEN_TREE_CLONE: a new bind mount
 * of just that directory, in no namespace) and the clone, not the directory, is what the worker
 * gets. It is read-only, nosuid and nodev, recursively; the sandbox cannot change that (it has
 * no capability over the initial namespace, and seccomp denies the mount calls anyway). The
 * mount goes away with the last descriptor or working directory that refers to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* open_tree's clone of (dirfd, path), then read-only, nosuid, nodev all the way down. */
static int clone_tree(int dirfd, const char *path, unsigned int flags) {
    int fd = (int)syscall(SYS_open_tree, dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | flags);
    if (fd < 0) return -errno;
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr)) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int hearth_clone_tree(const char *path) {
    return clone_tree(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW);
}

int hearth_clone_tree_fd(int directory_fd) {
    return clone_tree(directory_fd, "", AT_EMPTY_PATH);
}
