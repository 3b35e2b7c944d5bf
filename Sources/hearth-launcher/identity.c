/*
 * Host identities: one uid (used as uid and gid) per live sandbox, from the launcher's range.
 *
 * Runs in the launcher (root). A uid is reserved machine-wide by flock on
 * /run/hearth/uids/<uid>, held for the sandbox's lifetime and dropped by the kernel if the
 * launcher dies, so that another hearthd (or an older in-process one) never hands out the same
 * uid. Its cgroup is made here too, under the lock: a group found under a lock we hold is a
 * dead daemon's, reclaimed if empty and skipped if its sandbox still runs. Round-robin, so a
 * uid is not reused right after its sandbox died.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

#define RUN_DIR "/run/hearth"
#define LOCK_DIR RUN_DIR "/uids"
#define MAX_RANGE (1u << 20)

static unsigned char in_use[MAX_RANGE / 8];
static uint32_t next_index;
/* The lock directory, opened once: /run/hearth may be group-writable for the daemon's socket
   (sticky, so the daemon cannot rename this directory away, and even if it could, the locks
   go on being made in the directory checked here, never through a path it swapped). */
static int lock_dir = -1;

static int is_used(uint32_t i) { return in_use[i / 8] >> (i % 8) & 1; }
static void mark(uint32_t i, int used) {
    if (used) in_use[i / 8] |= (unsigned char)(1u << (i % 8));
    else in_use[i / 8] &= (unsigned char)~(1u << (i % 8));
}

/* A world-searchable directory (the sandbox's first steps run as its own uid and must pass). */
static int make_public_directory(const char *path) {
    if (mkdir(path, 0755) == 0) return chmod(path, 0755) ? -errno : 0;
    return errno == EEXIST ? 0 : -errno;
}

int identity_prepare(void) {
    if (config.uid_count == 0 || config.uid_count > MAX_RANGE || config.uid_first == 0 ||
        (uint64_t)config.uid_first + config.uid_count > 0xFFFFFFFEull) return -ERANGE;
    int rc;
    if ((rc = make_public_directory(RUN_DIR)) < 0 || (rc = make_public_directory(LOCK_DIR)) < 0 ||
        (rc = make_public_directory(HEARTH_ROOT_MOUNTPOINT)) < 0) return rc;
    lock_dir = open(LOCK_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (lock_dir < 0) return -errno;
    struct stat st;
    if (fstat(lock_dir, &st)) return -errno;
    if (st.st_uid != 0 || (st.st_mode & 022)) return -EPERM;
    return 0;
}

int identity_claim(uint64_t memory, uint32_t pids, uint32_t millicpu, uint32_t *uid, int *lock_fd,
                   struct cgroup_slot *group, struct refusal *r) {
    for (uint32_t tries = 0; tries < config.uid_count; tries++) {
        uint32_t i = next_index;
        next_index = (next_index + 1) % config.uid_count;
        if (is_used(i)) continue;
        uint32_t candidate = config.uid_first + i;
        char name[16];
        snprintf(name, sizeof name, "%u", candidate);
        int fd = openat(lock_dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) return refuse(r, errno, "cannot create the uid lock %s/%s: %s", LOCK_DIR, name, strerror(errno));
        /* Held by another hearthd's sandbox: not ours to take. */
        if (flock(fd, LOCK_EX | LOCK_NB)) {
            close(fd);
            continue;
        }
        int rc = cgroup_create(&config.cgroups, candidate, group, r);
        if (rc == -EBUSY) {
            /* A dead daemon's sandbox that still runs: leave that uid alone. */
            close(fd);
            continue;
        }
        if (rc < 0) {
            close(fd);
            return -1;
        }
        if (cgroup_apply(&config.cgroups, group, memory, pids, millicpu, r) < 0 || cgroup_open_procs(group, r) < 0) {
            cgroup_remove(group);
            close(fd);
            return -1;
        }
        mark(i, 1);
        *uid = candidate;
        *lock_fd = fd;
        return 0;
    }
    return refuse(r, EAGAIN, "no free host uid left in %u..%u", config.uid_first, config.uid_first + config.uid_count - 1);
}

int identity_lock_if_free(uint32_t uid) {
    char name[16];
    snprintf(name, sizeof name, "%u", uid);
    int fd = openat(lock_dir, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        close(fd);
        return -1;
    }
    return fd;
}

void identity_release(uint32_t uid, int lock_fd) {
    /* Closing the lock is what lets another process take the uid: only once it is clean. */
    if (lock_fd >= 0) close(lock_fd);
    if (uid >= config.uid_first && uid - config.uid_first < config.uid_count) mark(uid - config.uid_first, 0);
}
