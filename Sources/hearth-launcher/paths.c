/*
 * Paths a request names: what shape they may have, and whether they stay under a root.
 *
 * Runs in the launcher (root, initial namespaces), before anything is made for a request.
 * A bind source or a code tree is accepted only if it is, by its components, the root or
 * below it, and if the kernel resolves it from the root with no symlink and no `..` on the
 * way (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a symlink the daemon's user planted
 * in the packages directory, pointing at /etc, fails here, whatever its name says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

int path_is_sane(const char *path) {
    size_t n = strlen(path);
    if (n == 0 || n >= PATH_BYTES || path[0] != '/') return 0;
    if (n == 1) return 1;
    if (path[n - 1] == '/') return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f) return 0;
    }
    /* Each component: not empty ("//"), not "." and not "..". */
    const char *p = path + 1;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) return 0;
        if (len == 1 && p[0] == '.') return 0;
        if (len == 2 && p[0] == '.' && p[1] == '.') return 0;
        p += len;
        if (*p == '/') p++;
    }
    return 1;
}

int path_is_under(const char *path, const char *base) {
    size_t n = strlen(base);
    if (n == 1 && base[0] == '/') return path[0] == '/';
    if (strncmp(path, base, n) != 0) return 0;
    return path[n] == '\0' || path[n] == '/';
}

int open_beneath(const char *root, const char *path) {
    if (!path_is_sane(path) || !path_is_under(path, root)) return -EXDEV;
    const char *rest = path + strlen(root);
    while (*rest == '/') rest++;
    /* The root itself, as the operator named it (/etc/localtime is a link, and hearthd's
       root phase chose it): followed. Below it, nothing is. */
    if (*rest == '\0') {
        int fd = open(root, O_PATH | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    int base = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (base < 0) return -errno;
    int fd = open_beneath_fd(base, root, path);
    close(base);
    return fd;
}

int open_beneath_fd(int root_fd, const char *root, const char *path) {
    if (!path_is_sane(path) || !path_is_under(path, root)) return -EXDEV;
    const char *rest = path + strlen(root);
    while (*rest == '/') rest++;
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, root_fd, *rest ? rest : ".", &how, sizeof how);
    return fd < 0 ? -errno : fd;
}

int owned_safely(uid_t owner, mode_t mode) {
    int owner_ok = owner == 0 || (config.daemon_uid >= 0 && owner != (uid_t)config.daemon_uid);
    return owner_ok && !(mode & 022);
}

int parents_owned_safely(const char *root, const char *path) {
    if (!path_is_sane(path) || !path_is_under(path, root)) return -EXDEV;
    const char *rest = path + strlen(root);
    while (*rest == '/') rest++;
    if (*rest == '\0') return 0;  /* the root itself, checked at start-up */
    int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return -errno;
    char component[PATH_BYTES];
    for (;;) {
        const char *slash = strchr(rest, '/');
        if (!slash) break;  /* the last component: its parent, checked, holds it in place */
        size_t n = (size_t)(slash - rest);
        memcpy(component, rest, n);
        component[n] = '\0';
        int next = openat(dir, component, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(dir);
        if (next < 0) return -e;
        dir = next;
        struct stat st;
        if (fstat(dir, &st)) {
            e = errno;
            close(dir);
            return -e;
        }
        if (!owned_safely(st.st_uid, st.st_mode)) {
            close(dir);
            return -EPERM;
        }
        rest = slash + 1;
    }
    close(dir);
    return 0;
}
