/*
 * User namespace: who the sandbox is on the host.
 *
 * Parent half (daemon, root in the initial namespace, after clone, before releasing the
 * child): map uid 0 and gid 0 inside to one unprivileged host uid/gid. Every worker gets its
 * own host uid, so no two sandboxes, and no two projects, ever share an owner.
 * Child half (inside the new namespace, with all capabilities there, first step): drop the
 * daemon's supplementary groups and become the mapped root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* Writes `text` to /proc/<pid>/<file>. Parent side: snprintf is fine here. */
static int write_proc_file(pid_t pid, const char *file, const char *text) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t len = (ssize_t)strlen(text);
    ssize_t n = write(fd, text, (size_t)len);
    int e = errno;
    close(fd);
    if (n != len) return n < 0 ? -e : -EIO;
    return 0;
}

int parent_write_id_maps(pid_t child, const struct hearth_spec *spec) {
    char map[64];
    snprintf(map, sizeof map, "0 %u 1\n", spec->host_uid);
    int rc = write_proc_file(child, "uid_map", map);
    if (rc < 0) return rc;
    /* setgroups stays allowed (we are privileged in the parent namespace) so that the child
       can clear the daemon's supplementary groups, which would otherwise follow it. */
    snprintf(map, sizeof map, "0 %u 1\n", spec->host_gid);
    return write_proc_file(child, "gid_map", map);
}

/*
 * Raw system calls, not the libc wrappers: in a multithreaded process glibc's setgroups and
 * setres[ug]id broadcast the change to every thread under a lock (the "setxid" protocol).
 * The child inherited the parent's thread list and possibly that lock held: the wrappers
 * deadlock here (seen: a sandbox stuck in futex_wait before exec).
 */
int child_identity(const struct hearth_spec *spec) {
    (void)spec;
    /* Root's supplementary groups (gid 0 on the host) must not follow the worker. */
    if (syscall(SYS_setgroups, 0, NULL)) return -errno;
    if (syscall(SYS_setresgid, 0, 0, 0)) return -errno;
    if (syscall(SYS_setresuid, 0, 0, 0)) return -errno;
    return 0;
}
