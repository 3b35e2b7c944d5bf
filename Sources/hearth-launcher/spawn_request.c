/*
 * HL_SPAWN: reading a spawn request and checking every field of it.
 *
 * Runs in the launcher (root), before anything is created for the request. What comes out
 * is a `hearth_spec` whose every string lies in this file's arena and whose every value is
 * one the launcher agreed to: binds only from under the allowed roots, resolved without a
 * symlink; targets that cannot collide with the sandbox's own mounts; limits within the
 * bounds of the command line; a filter registered before the seal; fds that are pipes,
 * sockets, character devices or files, never a directory or an O_PATH descriptor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spawn_request.h"

/* NUL-terminated copies of the record's strings: at most one byte more than each string. */
static char arena[2 * HL_MAX_RECORD];
static size_t arena_used;

static char *take_string(struct cursor *c, size_t max) {
    char *out = arena + arena_used;
    size_t room = sizeof arena - arena_used;
    if (room < 1) {
        c->bad = 1;
        return "";
    }
    if (read_string(c, out, max < room ? max : room) < 0) return "";
    arena_used += strlen(out) + 1;
    return out;
}

/* Mount points the sandbox makes itself; nothing may be bound on or under them. */
static const char *const reserved[] = {"/proc", "/dev", "/tmp", "/oldroot"};

static int is_reserved(const char *path) {
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (path_is_under(path, reserved[i])) return 1;
    return 0;
}

static int hostname_is_valid(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > 63 || name[0] == '-') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return 0;
    }
    return 1;
}

/* The length of the first component of an absolute path ("/usr/lib" → 3). */
static size_t first_component(const char *path) {
    const char *end = strchr(path + 1, '/');
    return end ? (size_t)(end - path - 1) : strlen(path + 1);
}

static int same_first_component(const char *a, const char *b) {
    size_t n = first_component(a);
    return n == first_component(b) && strncmp(a + 1, b + 1, n) == 0;
}

int check_limits(uint64_t memory, uint32_t pids, uint32_t millicpu, struct refusal *r) {
    const struct bounds *b = &config.bounds;
    if (memory < (1u << 20) || memory > b->max_memory)
        return refuse(r, ERANGE, "memory %llu is outside 1048576..%llu", (unsigned long long)memory, (unsigned long long)b->max_memory);
    if (pids < 1 || pids > b->max_pids) return refuse(r, ERANGE, "pids %u is outside 1..%u", pids, b->max_pids);
    /* Below 10 millicpu the CFS quota would be under the kernel's 1 ms minimum. */
    if (millicpu < 10 || millicpu > b->max_millicpu) return refuse(r, ERANGE, "millicpu %u is outside 10..%u", millicpu, b->max_millicpu);
    return 0;
}

/* A bind source: sane, under an allowed root, reached without symlinks, a directory or file. */
static int check_source(const char *source, struct refusal *r) {
    if (!path_is_sane(source)) return refuse(r, EINVAL, "bind source '%.80s' is not an absolute path without '.', '..' or '//'", source);
    for (int i = 0; i < config.root_count; i++) {
        if (!path_is_under(source, config.roots[i])) continue;
        int fd = open_beneath(config.roots[i], source);
        if (fd < 0) {
            return refuse(r, -fd == ELOOP ? EACCES : -fd, "bind source '%.80s' cannot be reached under %.80s%s", source,
                          config.roots[i], fd == -ELOOP ? " without following a symlink" : "");
        }
        struct stat st;
        int ok = fstat(fd, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode));
        close(fd);
        if (!ok) return refuse(r, EINVAL, "bind source '%.80s' is neither a directory nor a regular file", source);
        /* The child mounts the source by its path, looked up again: no directory on the way
           may be one the daemon's user could swap for a symlink meanwhile. */
        int safe = parents_owned_safely(config.roots[i], source);
        if (safe < 0)
            return refuse(r, -safe == EPERM ? EACCES : -safe, "bind source '%.80s': a directory on its way under %.80s is not root's alone (its owner or others could swap it)", source, config.roots[i]);
        return 0;
    }
    return refuse(r, EACCES, "bind source '%.80s' is not under an allowed root", source);
}

/* A descriptor for the sandbox: what a worker may hold (runtimes/PROTOCOL.md), never a
   directory or an O_PATH handle, from which a path walk could leave the sandbox. */
static int check_fd(int fd, struct refusal *r) {
    struct stat st;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fstat(fd, &st)) return refuse(r, EBADF, "a descriptor cannot be inspected");
    if (flags & O_PATH) return refuse(r, EBADF, "an O_PATH descriptor may not enter a sandbox");
    mode_t type = st.st_mode & S_IFMT;
    if (type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR && type != S_IFREG)
        return refuse(r, EBADF, "a sandbox's descriptors are pipes, sockets, character devices or files, not this one");
    return 0;
}

static unsigned popcount4(uint32_t mask) {
    return (mask & 1) + (mask >> 1 & 1) + (mask >> 2 & 1) + (mask >> 3 & 1);
}

int parse_spawn(struct cursor *c, const int *fds, int fd_count, struct spawn_request *q, struct refusal *r) {
    arena_used = 0;
    memset(q, 0, sizeof *q);
    uint32_t fd_mask = read_u32(c);
    uint32_t options = read_u32(c);
    q->filter_index = read_u32(c);
    q->pids = read_u32(c);
    q->memory = read_u64(c);
    q->millicpu = read_u32(c);
    uint32_t reserved1 = read_u32(c);
    q->tmp_size = read_u64(c);
    q->code_size = read_u64(c);
    uint16_t binds = read_u16(c), symlinks = read_u16(c), rlimits = read_u16(c);
    uint16_t argc = read_u16(c), envc = read_u16(c), reserved2 = read_u16(c);
    if (c->bad) return refuse(r, EINVAL, "spawn record shorter than its fixed part");
    if (reserved1 || reserved2 || (options & ~HL_OPT_HOST_NETWORK) || (fd_mask & ~0xFu))
        return refuse(r, EINVAL, "unknown flags or non-zero reserved fields");
    if (binds > HL_MAX_BINDS || symlinks > HL_MAX_SYMLINKS || rlimits > HL_MAX_RLIMITS || argc < 1 || argc > HL_MAX_ARGS || envc > HL_MAX_ENV)
        return refuse(r, E2BIG, "counts out of range (binds <= %d, symlinks <= %d, rlimits <= %d, 1 <= argc <= %d, envc <= %d)",
                      HL_MAX_BINDS, HL_MAX_SYMLINKS, HL_MAX_RLIMITS, HL_MAX_ARGS, HL_MAX_ENV);

    q->hostname = take_string(c, 64);
    q->cwd = take_string(c, PATH_BYTES);
    q->code_dir = take_string(c, PATH_BYTES);
    q->path = take_string(c, PATH_BYTES);
    q->bind_count = binds;
    for (size_t i = 0; i < binds; i++) {
        q->binds[i].source = take_string(c, PATH_BYTES);
        q->binds[i].target = take_string(c, PATH_BYTES);
        q->binds[i].writable = 0;
    }
    q->symlink_count = symlinks;
    for (size_t i = 0; i < symlinks; i++) {
        q->symlinks[i].target = take_string(c, 256);
        q->symlinks[i].path = take_string(c, 256);
    }
    q->rlimit_count = rlimits;
    for (size_t i = 0; i < rlimits; i++) {
        q->rlimits[i].resource = (int)read_u32(c);
        if (read_u32(c) != 0) c->bad = 1;
        q->rlimits[i].soft = read_u64(c);
        q->rlimits[i].hard = read_u64(c);
    }
    for (size_t i = 0; i < argc; i++) q->argv[i] = take_string(c, PATH_BYTES);
    q->argv[argc] = NULL;
    for (size_t i = 0; i < envc; i++) q->envp[i] = take_string(c, PATH_BYTES);
    q->envp[envc] = NULL;
    if (c->bad) return refuse(r, EINVAL, "spawn record truncated, or a string too long or holding a NUL");
    if (c->left) return refuse(r, EINVAL, "%zu bytes after the spawn record's last field", c->left);

    /* Strings. */
    if (!hostname_is_valid(q->hostname)) return refuse(r, EINVAL, "hostname must be 1 to 63 letters, digits or '-'");
    if (!path_is_sane(q->cwd)) return refuse(r, EINVAL, "cwd must be an absolute path without '.', '..' or '//'");
    if (!path_is_sane(q->path)) return refuse(r, EINVAL, "the executable must be an absolute path without '.', '..' or '//'");
    if (q->code_dir[0]) {
        if (!path_is_sane(q->code_dir) || strcmp(q->code_dir, "/") == 0 || is_reserved(q->code_dir))
            return refuse(r, EINVAL, "code_dir must be an absolute path, not / and not under /proc, /dev, /tmp");
    }
    for (size_t i = 0; i < envc; i++) {
        const char *eq = strchr(q->envp[i], '=');
        if (!eq || eq == q->envp[i]) return refuse(r, EINVAL, "environment entry %zu is not NAME=VALUE", i);
    }

    /* Binds: sources under the roots; targets sane, not on the sandbox's own mounts and not
       nested in one another, so that every directory on a target's way is one the child made
       in its fresh tmpfs root (no bound directory's symlink can redirect a later mount). */
    for (size_t i = 0; i < binds; i++) {
        const struct hearth_bind *b = &q->binds[i];
        if (check_source(b->source, r) < 0) return -1;
        if (!path_is_sane(b->target) || strcmp(b->target, "/") == 0 || is_reserved(b->target))
            return refuse(r, EINVAL, "bind target '%.80s' must be an absolute path, not / and not under /proc, /dev, /tmp", b->target);
        if (q->code_dir[0] && (path_is_under(b->target, q->code_dir) || path_is_under(q->code_dir, b->target)))
            return refuse(r, EINVAL, "bind target '%.80s' overlaps code_dir", b->target);
        for (size_t j = 0; j < i; j++) {
            if (path_is_under(b->target, q->binds[j].target) || path_is_under(q->binds[j].target, b->target))
                return refuse(r, EINVAL, "bind targets '%.80s' and '%.80s' overlap", q->binds[j].target, b->target);
        }
    }
    /* Symlinks: top-level names (/bin -> usr/bin), clear of every mount the sandbox has. */
    for (size_t i = 0; i < symlinks; i++) {
        const struct hearth_symlink *s = &q->symlinks[i];
        size_t n = strlen(s->target);
        if (n == 0 || !path_is_sane(s->path) || strchr(s->path + 1, '/') || is_reserved(s->path))
            return refuse(r, EINVAL, "symlink %zu must be a top-level name like /bin, not a sandbox mount point", i);
        for (size_t k = 0; k < n; k++) {
            if ((unsigned char)s->target[k] < 0x20) return refuse(r, EINVAL, "symlink %zu has a control character in its target", i);
        }
        for (size_t j = 0; j < binds; j++) {
            if (same_first_component(s->path, q->binds[j].target)) return refuse(r, EINVAL, "symlink %.80s collides with a bind target", s->path);
        }
        if (q->code_dir[0] && same_first_component(s->path, q->code_dir)) return refuse(r, EINVAL, "symlink %.80s collides with code_dir", s->path);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(s->path, q->symlinks[j].path) == 0) return refuse(r, EINVAL, "symlink %.80s given twice", s->path);
        }
    }

    /* Limits. */
    if (check_limits(q->memory, q->pids, q->millicpu, r) < 0) return -1;
    if (q->tmp_size < 4096 || q->tmp_size > config.bounds.max_tmp)
        return refuse(r, ERANGE, "tmp_size %llu is outside 4096..%llu", (unsigned long long)q->tmp_size, (unsigned long long)config.bounds.max_tmp);
    if (q->code_dir[0] ? (q->code_size < 4096 || q->code_size > config.bounds.max_code) : q->code_size != 0)
        return refuse(r, ERANGE, "code_size must be 4096..%llu with a code_dir, 0 without", (unsigned long long)config.bounds.max_code);
    unsigned seen = 0;
    for (size_t i = 0; i < rlimits; i++) {
        const struct hearth_rlimit *l = &q->rlimits[i];
        struct rlimit own;
        if (l->resource < 0 || l->resource >= RLIM_NLIMITS || (seen >> l->resource & 1))
            return refuse(r, EINVAL, "rlimit %zu: unknown or repeated resource %d", i, l->resource);
        seen |= 1u << l->resource;
        if (getrlimit(l->resource, &own)) return refuse(r, errno, "getrlimit");
        if (l->soft > l->hard || l->hard > own.rlim_max)
            return refuse(r, ERANGE, "rlimit %d: soft must be <= hard <= %llu", l->resource, (unsigned long long)own.rlim_max);
        if (l->resource == RLIMIT_NPROC && l->hard > config.bounds.max_pids)
            return refuse(r, ERANGE, "rlimit nproc %llu is above the pids bound %u", (unsigned long long)l->hard, config.bounds.max_pids);
        if (l->resource == RLIMIT_CORE && l->hard != 0) return refuse(r, ERANGE, "rlimit core must be 0: a sandbox dumps no core");
    }
    /* No core dumps, asked for or not: a core_pattern pipe (systemd-coredump, apport) would
       hand a sandbox's memory and its crash to a root helper on the host, and the launcher's
       own hard limit (often unlimited) would otherwise let the worker raise its soft one. */
    if (!(seen >> RLIMIT_CORE & 1)) {
        if (q->rlimit_count >= HL_MAX_RLIMITS) return refuse(r, E2BIG, "no room for the core rlimit");
        q->rlimits[q->rlimit_count++] = (struct hearth_rlimit){.resource = RLIMIT_CORE, .soft = 0, .hard = 0};
    }

    /* The filter and the descriptors. */
    if (!filters_sealed()) return refuse(r, EPERM, "no spawn before the filter table is sealed");
    q->filter = filter_at(q->filter_index);
    if (!q->filter) return refuse(r, EINVAL, "filter %u was never registered", q->filter_index);
    q->host_network = (options & HL_OPT_HOST_NETWORK) != 0;
    if ((unsigned)fd_count != popcount4(fd_mask)) return refuse(r, EBADF, "%d descriptors came with the record, its fds field says %u", fd_count, popcount4(fd_mask));
    int *targets[4] = {&q->stdin_fd, &q->stdout_fd, &q->stderr_fd, &q->control_fd};
    int next = 0;
    for (int i = 0; i < 4; i++) {
        *targets[i] = -1;
        if (!(fd_mask >> i & 1)) continue;
        if (check_fd(fds[next], r) < 0) return -1;
        *targets[i] = fds[next++];
    }
    return 0;
}
