/* Shared between the launcher's files. Not an API: the wire format is hearth_launcher.h. */
#ifndef HEARTH_LAUNCHER_INTERNAL_H
#define HEARTH_LAUNCHER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <sys/types.h>

#include "hearth_launcher.h"
#include "hearth_sandbox.h"

#define MAX_ROOTS 16
#define MAX_SANDBOXES 1024
#define PATH_BYTES 4096
/* The empty directory each sandbox mounts its root on, in its own mount namespace. */
#define HEARTH_ROOT_MOUNTPOINT "/run/hearth/sandbox-root"

/* What the launcher was started with (argv, from hearthd while it was still root). */
struct bounds {
    uint64_t max_memory;
    uint32_t max_pids;
    uint32_t max_millicpu;
    uint64_t max_tmp;
    uint64_t max_code;
};

#define CGROUP_BASE "/sys/fs/cgroup"

/* cgroup v2 (one directory) or v1 (memory, pids, cpu): where sandbox groups go. */
struct cgroups {
    int v2;
    int delegated;               /* v2: `base` is our own cgroup (else the root's /hearth) */
    char base[PATH_BYTES];       /* v2: holds supervisor/ and workers/ */
    char parents[3][PATH_BYTES]; /* v2: [0] only, base/workers */
    int count;
};

struct config {
    int socket_fd;
    char roots[MAX_ROOTS][PATH_BYTES]; /* as given; binds come only from under these */
    int root_count;
    char packages[PATH_BYTES];         /* canonical; code trees come only from under it */
    int packages_fd;                   /* it, O_PATH, opened once: the daemon's user owns the
                                          directory it is in and could put a symlink in its place */
    uint32_t uid_first, uid_count;
    struct bounds bounds;
    struct cgroups cgroups;
    int init_fd;                       /* hearth-init, O_PATH */
    long daemon_uid;                   /* --daemon-uid, or -1 */
    int last_capability;
};

extern struct config config;

/* A refusal: the errno to answer with and a reason for the daemon's log. */
struct refusal {
    int error;
    char reason[HL_MAX_REASON];
};
/* Fills *r and returns -1, for `return refuse(r, EINVAL, "...", ...)`. */
int refuse(struct refusal *r, int error, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* A bounds-checked reader over one record's body. Any short read sets `bad` and yields 0. */
struct cursor {
    const unsigned char *at;
    size_t left;
    int bad;
};
uint16_t read_u16(struct cursor *c);
uint32_t read_u32(struct cursor *c);
uint64_t read_u64(struct cursor *c);
/* A string into out (NUL-terminated), at most `max` bytes; NUL inside or too long sets bad. */
int read_string(struct cursor *c, char *out, size_t max);

/* Replies. Each returns 0 or -errno of the send; a daemon that is gone ends the loop. */
int send_answer(uint32_t tag, int error, uint32_t step, uint64_t id, int32_t pid, uint32_t uid, const char *reason, int fd);
int send_exit(uint64_t id, int exited, int status, int oom, int64_t peak);

/* paths.c */
/* Absolute, no empty/"."/".." component, no trailing '/', printable, shorter than PATH_BYTES. */
int path_is_sane(const char *path);
/* Whether `path` is `base` or lies under it, by components. */
int path_is_under(const char *path, const char *base);
/* Opens `path` O_PATH if it lies under `root` with no symlink anywhere on the way (openat2
   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS). The fd or -errno. */
int open_beneath(const char *root, const char *path);
/* The same from a descriptor of `root` kept open, which no rename or symlink can redirect. */
int open_beneath_fd(int root_fd, const char *root, const char *path);
/* Whether a directory with this owner and mode is out of the daemon's user's hands: owned by
   root (or, given --daemon-uid, by anyone but that user) and writable by its owner only. */
int owned_safely(uid_t owner, mode_t mode);
/* 0 if every directory from `root` down to the parent of `path` (under it) is owned safely,
   so that the daemon's user cannot swap a component between the check and the child's mount
   (which looks the path up again); else -errno (EPERM: one is not). */
int parents_owned_safely(const char *root, const char *path);

/* cgroup.c: one sandbox's group, a directory per v1 controller or one v2 directory. */
struct cgroup_slot {
    char dirs[3][PATH_BYTES];
    int count;
    int procs[3];    /* open cgroup.procs files while the sandbox is being made, else -1 */
};
/* Small-file helpers; -errno. cgroup_read_file reads what fits, NUL-terminated. */
int cgroup_write_file(const char *path, const char *text);
int cgroup_read_file(const char *path, char *out, size_t size);
int cgroup_make_directory(const char *path);
/* Whether a space-separated list holds `word` as a whole word ("cpu" is not "cpuset"). */
int cgroup_has_word(const char *list, const char *word);
int cgroups_detect(struct cgroups *out, struct refusal *r);
int cgroups_prepare(const struct cgroups *cg, struct refusal *r);
/* 0, -EBUSY for a group whose sandbox still runs (a dead daemon's), or -1 with r filled. */
int cgroup_create(const struct cgroups *cg, uint32_t uid, struct cgroup_slot *slot, struct refusal *r);
int cgroup_apply(const struct cgroups *cg, const struct cgroup_slot *slot, uint64_t memory, uint32_t pids, uint32_t millicpu, struct refusal *r);
int cgroup_open_procs(struct cgroup_slot *slot, struct refusal *r);
void cgroup_close_procs(struct cgroup_slot *slot);
int cgroup_oom_killed(const struct cgroups *cg, const struct cgroup_slot *slot);
int64_t cgroup_peak(const struct cgroups *cg, const struct cgroup_slot *slot);
/* One rmdir attempt per directory; 0 when all are gone, -EBUSY while the kernel holds one. */
int cgroup_remove(struct cgroup_slot *slot);

/* delegation.c: the cgroup v2 layout inside the launcher's own (delegated) cgroup. */
int delegation_detect(struct cgroups *out, struct refusal *r);
int delegation_prepare(const struct cgroups *cg, struct refusal *r);
/* At exit, once every sandbox group is gone: the workers/ group, where it is ours alone. */
void delegation_release(const struct cgroups *cg);

/* leftovers.c: sandbox groups an earlier launcher left (it was killed with the daemon). */
/* Kills what is in every such group whose uid no live launcher holds, and removes it. */
void leftovers_reclaim(const struct cgroups *cg);

/* identity.c: the uid range and the /run/hearth/uids/<uid> locks. */
int identity_prepare(void);
/* A free uid, its lock held and its cgroup made with these limits; -1 with r filled. */
int identity_claim(uint64_t memory, uint32_t pids, uint32_t millicpu, uint32_t *uid, int *lock_fd,
                   struct cgroup_slot *group, struct refusal *r);
/* The lock of `uid` if no one holds it (a dead launcher's uid), else -1. */
int identity_lock_if_free(uint32_t uid);
/* Frees the uid and drops its lock (once its cgroup is gone). */
void identity_release(uint32_t uid, int lock_fd);

/* sandboxes.c */
void sandboxes_init(void);
int handle_spawn(uint32_t tag, struct cursor *body, const int *fds, int fd_count);
int handle_kill(uint32_t tag, struct cursor *body);
int handle_set_limits(uint32_t tag, struct cursor *body);
/* Poll set: the live sandboxes' pidfds and the set-up pipes of those being made, after
   `first` entries; returns how many. */
size_t sandboxes_pollfds(struct pollfd *fds, size_t first, size_t room);
/* One of those polled readable: a set-up done (answer the spawn), or a sandbox ended (reap
   it, report it, free what it held). -errno when the daemon can no longer be told. */
int sandboxes_ready(int fd);
/* Kills set-ups past their deadline (answering their spawns); the ms until the next one's, or
   -1 for none, or -2 when the daemon can no longer be told. */
int sandboxes_spawn_timeouts(void);
/* Retries cgroups the kernel had not released yet; the poll timeout to use (-1: none pending). */
int sandboxes_retry_removals(void);
/* Kills every sandbox and waits for them; at exit. */
void sandboxes_kill_all(void);
/* Limits checked against the bounds; -1 with r filled. */
int check_limits(uint64_t memory, uint32_t pids, uint32_t millicpu, struct refusal *r);

/* filters.c */
int handle_register_filter(uint32_t tag, struct cursor *body);
int handle_seal(uint32_t tag, struct cursor *body);
/* The filter registered under `index`, or NULL. Spawns need the table sealed. */
const struct hearth_filter *filter_at(uint32_t index);
int filters_sealed(void);

/* tree.c */
int handle_clone_tree(uint32_t tag, struct cursor *body);

#endif
