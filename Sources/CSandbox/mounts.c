/*
 * Mount namespace: the sandbox's whole filesystem.
 *
 * Child side, inside its own user and mount namespaces (so with CAP_SYS_ADMIN over them
 * only), after `child_identity`. Builds a tmpfs root holding read-only binds of what the
 * runtime needs, a fresh /proc, a minimal /dev, a size-limited /tmp and the code directory;
 * pivots into it, detaches the host's tree and makes / read-only. Nothing of the host is
 * reachable afterwards except what was bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

int path_join(char *out, size_t size, const char *base, const char *suffix) {
    size_t a = strlen(base), b = strlen(suffix);
    if (a + b + 1 > size) return -ENAMETOOLONG;
    memcpy(out, base, a);
    memcpy(out + a, suffix, b + 1);
    return 0;
}

/* mkdir -p of an absolute path under the new root (no allocation: one buffer on the stack). */
static int make_directories(const char *root, const char *inside) {
    char path[HEARTH_PATH_MAX];
    int rc = path_join(path, sizeof path, root, inside);
    if (rc < 0) return rc;
    size_t start = strlen(root) + 1;
    for (size_t i = start; ; i++) {
        char c = path[i];
        if (c == '/' || c == '\0') {
            path[i] = '\0';
            if (mkdir(path, 0755) && errno != EEXIST) return -errno;
            path[i] = c;
            if (c == '\0') break;
        }
    }
    return 0;
}

/* An empty regular file to bind a file onto. */
static int make_file(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    close(fd);
    return 0;
}

/* Parent directory of an absolute inside path, into `out`. */
static void parent_of(char *out, size_t size, const char *inside) {
    size_t n = strlen(inside);
    if (n >= size) n = size - 1;
    memcpy(out, inside, n);
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash) *slash = '\0';
}

/*
 * Makes the mount at `path` and every mount below it read-only plus `extra` (MOUNT_ATTR_*).
 * mount_setattr changes only the attributes named, so the flags the kernel locked on a bind
 * that came from a more privileged namespace (nosuid, nodev, noexec, atime) need not be
 * repeated, and AT_RECURSIVE reaches submounts, which a MS_REMOUNT of the top one leaves
 * writable (a host /usr with a mount below it, say).
 */
static int make_readonly(const char *path, unsigned long long extra) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | extra};
    if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &attr, sizeof attr)) return -errno;
    return 0;
}

int child_mount_private(void) {
    /* Nothing we mount may propagate back to the host, and nothing of the host's to us. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) return -errno;
    return 0;
}

int child_mount_root(const struct hearth_spec *spec) {
    if (mount("tmpfs", spec->root_mountpoint, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")) return -errno;
    return 0;
}

int child_mount_binds(const struct hearth_spec *spec) {
    const char *root = spec->root_mountpoint;
    char target[HEARTH_PATH_MAX], parent[HEARTH_PATH_MAX];
    for (size_t i = 0; i < spec->bind_count; i++) {
        const struct hearth_bind *bind = &spec->binds[i];
        struct stat st;
        if (stat(bind->source, &st)) return -errno;
        int rc = path_join(target, sizeof target, root, bind->target);
        if (rc < 0) return rc;
        if (S_ISDIR(st.st_mode)) {
            rc = make_directories(root, bind->target);
        } else {
            parent_of(parent, sizeof parent, bind->target);
            rc = parent[0] ? make_directories(root, parent) : 0;
            if (rc == 0) rc = make_file(target);
        }
        if (rc < 0) return rc;
        if (mount(bind->source, target, NULL, MS_BIND | MS_REC, NULL)) return -errno;
        if (!bind->writable && (rc = make_readonly(target, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0) return rc;
    }
    for (size_t i = 0; i < spec->symlink_count; i++) {
        int rc = path_join(target, sizeof target, root, spec->symlinks[i].path);
        if (rc < 0) return rc;
        if (symlink(spec->symlinks[i].target, target) && errno != EEXIST) return -errno;
    }
    return 0;
}

int child_mount_proc(const struct hearth_spec *spec) {
    char path[HEARTH_PATH_MAX];
    int rc = make_directories(spec->root_mountpoint, "/proc");
    if (rc == 0) rc = path_join(path, sizeof path, spec->root_mountpoint, "/proc");
    if (rc < 0) return rc;
    /* We are pid 1 of a new pid namespace: this /proc shows only the sandbox's processes. */
    if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) return -errno;
    return 0;
}

int child_mount_dev(const struct hearth_spec *spec) {
    /* Host node, and the name under the sandbox's /dev. */
    static const struct { const char *host, *name; } devices[] = {
        {"/dev/null", "/null"}, {"/dev/zero", "/zero"}, {"/dev/random", "/random"}, {"/dev/urandom", "/urandom"},
    };
    static const struct hearth_symlink links[] = {
        {"/proc/self/fd", "/fd"}, {"/proc/self/fd/0", "/stdin"}, {"/proc/self/fd/1", "/stdout"}, {"/proc/self/fd/2", "/stderr"},
    };
    char dev[HEARTH_PATH_MAX], node[HEARTH_PATH_MAX];
    int rc = make_directories(spec->root_mountpoint, "/dev");
    if (rc == 0) rc = path_join(dev, sizeof dev, spec->root_mountpoint, "/dev");
    if (rc < 0) return rc;
    if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")) return -errno;
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        /* Device nodes cannot be created in a user namespace; binding the host's is allowed. */
        if ((rc = path_join(node, sizeof node, dev, devices[i].name)) < 0) return rc;
        if ((rc = make_file(node)) < 0) return rc;
        if (mount(devices[i].host, node, NULL, MS_BIND, NULL)) return -errno;
    }
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        if ((rc = path_join(node, sizeof node, dev, links[i].path)) < 0) return rc;
        if (symlink(links[i].target, node)) return -errno;
    }
    /* Not nodev: the device binds below it are what /dev is for. */
    return make_readonly(dev, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
}

static int mount_tmpfs(const char *root, const char *inside, const char *options) {
    char path[HEARTH_PATH_MAX];
    int rc = make_directories(root, inside);
    if (rc == 0) rc = path_join(path, sizeof path, root, inside);
    if (rc < 0) return rc;
    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options)) return -errno;
    return 0;
}

int child_mount_tmp(const struct hearth_spec *spec) {
    int rc = mount_tmpfs(spec->root_mountpoint, "/tmp", spec->tmp_options ? spec->tmp_options : "size=64m,mode=1777");
    if (rc == 0 && spec->code_dir) rc = mount_tmpfs(spec->root_mountpoint, spec->code_dir, spec->code_options ? spec->code_options : "size=64m,mode=0755");
    return rc;
}

int child_pivot_root(const struct hearth_spec *spec) {
    if (chdir(spec->root_mountpoint)) return -errno;
    if (mkdir("oldroot", 0700) && errno != EEXIST) return -errno;
    if (syscall(SYS_pivot_root, ".", "oldroot")) return -errno;
    if (chdir("/")) return -errno;
    /* Detach the host's tree: after this no path leads back to it. */
    if (umount2("/oldroot", MNT_DETACH)) return -errno;
    if (rmdir("/oldroot")) return -errno;
    return 0;
}

int child_root_readonly(void) {
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL)) return -errno;
    return 0;
}
