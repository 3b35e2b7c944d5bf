/*
 * Clone-tree: a function's code directory as a detached read-only mount, for one worker.
 *
 * Runs in the launcher (root in the initial mount namespace: open_tree with
 * OPEN_TREE_CLONE needs CAP_SYS_ADMIN there, which the daemon gave up). The daemon names a
 * directory; it is cloned only if it lies under the packages root given at start-up and the
 * kernel reaches it from that root with no symlink on the way (the packages directory belongs
 * to the daemon's user, who could have planted one). The answer carries the mount's fd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

int handle_clone_tree(uint32_t tag, struct cursor *body) {
    char path[PATH_BYTES];
    read_string(body, path, sizeof path);
    if (body->bad || body->left) return send_answer(tag, EINVAL, 0, 0, 0, 0, "clone-tree takes one string, the directory", -1);
    if (!path_is_sane(path)) return send_answer(tag, EINVAL, 0, 0, 0, 0, "the directory must be an absolute path without '.', '..' or '//'", -1);
    if (!path_is_under(path, config.packages) || strcmp(path, config.packages) == 0)
        return send_answer(tag, EACCES, 0, 0, 0, 0, "the directory is not under the packages root", -1);
    /* From the descriptor opened at start-up, not the path: the daemon's user can rename its
       packages directory and leave a symlink to / in its place at any time. */
    int dir = open_beneath_fd(config.packages_fd, config.packages, path);
    if (dir < 0) {
        char reason[HL_MAX_REASON];
        const char *why = dir == -ELOOP ? "a symlink on the way" : dir == -EXDEV ? "it leaves the packages root" : strerror(-dir);
        snprintf(reason, sizeof reason, "cannot open the directory under the packages root: %s", why);
        return send_answer(tag, -dir, 0, 0, 0, 0, reason, -1);
    }
    struct stat st;
    if (fstat(dir, &st) || !S_ISDIR(st.st_mode)) {
        close(dir);
        return send_answer(tag, ENOTDIR, 0, 0, 0, 0, "not a directory", -1);
    }
    int tree = hearth_clone_tree_fd(dir);
    close(dir);
    if (tree < 0) return send_answer(tag, -tree, 0, 0, 0, 0, "open_tree/mount_setattr failed", -1);
    int rc = send_answer(tag, 0, 0, 0, 0, 0, NULL, tree);
    close(tree);
    return rc;
}
