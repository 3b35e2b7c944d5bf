/*
 * Cgroups: one group per sandbox, named after its uid (`sandbox-<uid>`).
 *
 * Runs in the launcher (root in the initial namespaces; creating groups and writing their
 * limits needs it, which is why the daemon no longer can). cgroup v2: one directory with the
 * memory, pids and cpu controllers under `<own cgroup>/workers` (delegation.c says where and
 * why); v1: one directory per controller under each controller's `hearth/`, as
 * HearthSandbox/Cgroups does in-process: the same names, so a launcher and an in-process
 * spawner on one machine skip each other's groups.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher.h"

#define PERIOD_US 100000

int cgroup_write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    size_t n = strlen(text);
    ssize_t written = write(fd, text, n);
    int e = errno;
    close(fd);
    if (written != (ssize_t)n) return written < 0 ? -e : -EIO;
    return 0;
}

int cgroup_read_file(const char *path, char *out, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = read(fd, out, size - 1);
    int e = errno;
    close(fd);
    if (n < 0) return -e;
    out[n] = '\0';
    return 0;
}

int cgroup_make_directory(const char *path) {
    if (mkdir(path, 0755) && errno != EEXIST) return -errno;
    return 0;
}

int cgroup_has_word(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n) {
        int starts = p == list || p[-1] == ' ';
        int ends = p[n] == '\0' || p[n] == ' ' || p[n] == '\n';
        if (starts && ends) return 1;
    }
    return 0;
}

int cgroups_detect(struct cgroups *out, struct refusal *r) {
    memset(out, 0, sizeof *out);
    if (access(CGROUP_BASE "/cgroup.controllers", F_OK) == 0) return delegation_detect(out, r);
    const char *cpu = access(CGROUP_BASE "/cpu/cpu.cfs_quota_us", F_OK) == 0 ? CGROUP_BASE "/cpu" : CGROUP_BASE "/cpu,cpuacct";
    const char *controllers[3] = {CGROUP_BASE "/memory", CGROUP_BASE "/pids", cpu};
    for (int i = 0; i < 3; i++) {
        if (access(controllers[i], W_OK)) return refuse(r, errno, "no writable cgroup v1 controller %s", controllers[i]);
        snprintf(out->parents[i], PATH_BYTES, "%s/hearth", controllers[i]);
    }
    out->count = 3;
    return 0;
}

int cgroups_prepare(const struct cgroups *cg, struct refusal *r) {
    int rc;
    if (cg->v2) return delegation_prepare(cg, r);
    for (int i = 0; i < cg->count; i++) {
        if ((rc = cgroup_make_directory(cg->parents[i])) < 0) return refuse(r, -rc, "cannot create %s: %s", cg->parents[i], strerror(-rc));
    }
    return 0;
}

int cgroup_create(const struct cgroups *cg, uint32_t uid, struct cgroup_slot *slot, struct refusal *r) {
    memset(slot, 0, sizeof *slot);
    slot->count = cg->count;
    for (int i = 0; i < 3; i++) slot->procs[i] = -1;
    for (int i = 0; i < cg->count; i++) {
        if ((size_t)snprintf(slot->dirs[i], PATH_BYTES, "%s/sandbox-%u", cg->parents[i], uid) >= PATH_BYTES)
            return refuse(r, ENAMETOOLONG, "cgroup path too long");
    }
    /* The caller holds the uid's lock, so a group already there is a dead daemon's: empty, it
       is reclaimed (rmdir only succeeds without processes); with processes, its uid is skipped. */
    if (mkdir(slot->dirs[0], 0755)) {
        if (errno != EEXIST) return refuse(r, errno, "cannot create %s: %s", slot->dirs[0], strerror(errno));
        if (rmdir(slot->dirs[0]) || mkdir(slot->dirs[0], 0755)) return -EBUSY;
    }
    for (int i = 1; i < cg->count; i++) {
        int rc = cgroup_make_directory(slot->dirs[i]);
        if (rc < 0) {
            cgroup_remove(slot);
            return refuse(r, -rc, "cannot create %s: %s", slot->dirs[i], strerror(-rc));
        }
    }
    return 0;
}

/* One limit file; a failure names it. */
static int set(const char *dir, const char *file, const char *value, struct refusal *r) {
    char path[PATH_BYTES + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int rc = cgroup_write_file(path, value);
    if (rc < 0) return refuse(r, -rc, "cannot write '%s' to %s: %s", value, path, strerror(-rc));
    return 0;
}

int cgroup_apply(const struct cgroups *cg, const struct cgroup_slot *slot, uint64_t memory, uint32_t pids, uint32_t millicpu, struct refusal *r) {
    char mem[24], pid_text[16], quota[48], period[16];
    uint64_t quota_us = (uint64_t)millicpu * PERIOD_US / 1000;
    snprintf(mem, sizeof mem, "%llu", (unsigned long long)memory);
    snprintf(pid_text, sizeof pid_text, "%u", pids);
    snprintf(period, sizeof period, "%u", PERIOD_US);
    if (cg->v2) {
        const char *dir = slot->dirs[0];
        snprintf(quota, sizeof quota, "%llu %u", (unsigned long long)quota_us, PERIOD_US);
        if (set(dir, "memory.max", mem, r) || set(dir, "pids.max", pid_text, r) || set(dir, "cpu.max", quota, r)) return -1;
        struct refusal ignored;
        /* Absent without swap accounting; the machine then has no swap to escape to. */
        (void)set(dir, "memory.swap.max", "0", &ignored);
        return 0;
    }
    /* memsw may never be below the memory limit: raise it first, lower it last. */
    char current_text[32], memsw[PATH_BYTES + 64];
    char path[PATH_BYTES + 64];
    snprintf(path, sizeof path, "%s/memory.limit_in_bytes", slot->dirs[0]);
    unsigned long long current = cgroup_read_file(path, current_text, sizeof current_text) == 0 ? strtoull(current_text, NULL, 10) : ~0ULL;
    snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", slot->dirs[0]);
    int has_memsw = access(memsw, F_OK) == 0;
    snprintf(quota, sizeof quota, "%llu", (unsigned long long)quota_us);
    if (has_memsw && memory > current && set(slot->dirs[0], "memory.memsw.limit_in_bytes", mem, r)) return -1;
    if (set(slot->dirs[0], "memory.limit_in_bytes", mem, r)) return -1;
    if (has_memsw && memory <= current && set(slot->dirs[0], "memory.memsw.limit_in_bytes", mem, r)) return -1;
    if (set(slot->dirs[1], "pids.max", pid_text, r)) return -1;
    if (set(slot->dirs[2], "cpu.cfs_period_us", period, r) || set(slot->dirs[2], "cpu.cfs_quota_us", quota, r)) return -1;
    return 0;
}

int cgroup_open_procs(struct cgroup_slot *slot, struct refusal *r) {
    char path[PATH_BYTES + 32];
    for (int i = 0; i < slot->count; i++) {
        snprintf(path, sizeof path, "%s/cgroup.procs", slot->dirs[i]);
        slot->procs[i] = open(path, O_WRONLY | O_CLOEXEC);
        if (slot->procs[i] < 0) {
            int e = errno;
            cgroup_close_procs(slot);
            return refuse(r, e, "cannot open %s: %s", path, strerror(e));
        }
    }
    return 0;
}

void cgroup_close_procs(struct cgroup_slot *slot) {
    for (int i = 0; i < 3; i++) {
        if (slot->procs[i] >= 0) close(slot->procs[i]);
        slot->procs[i] = -1;
    }
}

/* The value of `key` in a "key value" lines file, or 0. */
static long long counter(const char *dir, const char *file, const char *key) {
    char path[PATH_BYTES + 64], text[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (cgroup_read_file(path, text, sizeof text)) return 0;
    size_t key_len = strlen(key);
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, key, key_len) == 0 && line[key_len] == ' ') return strtoll(line + key_len + 1, NULL, 10);
    }
    return 0;
}

int cgroup_oom_killed(const struct cgroups *cg, const struct cgroup_slot *slot) {
    return counter(slot->dirs[0], cg->v2 ? "memory.events" : "memory.oom_control", "oom_kill") > 0;
}

int64_t cgroup_peak(const struct cgroups *cg, const struct cgroup_slot *slot) {
    char path[PATH_BYTES + 64], text[32];
    snprintf(path, sizeof path, "%s/%s", slot->dirs[0], cg->v2 ? "memory.peak" : "memory.max_usage_in_bytes");
    if (cgroup_read_file(path, text, sizeof text)) return -1;
    return strtoll(text, NULL, 10);
}

int cgroup_remove(struct cgroup_slot *slot) {
    cgroup_close_procs(slot);
    int busy = 0;
    for (int i = slot->count - 1; i >= 0; i--) {
        if (!slot->dirs[i][0]) continue;
        if (rmdir(slot->dirs[i]) == 0 || errno == ENOENT) {
            slot->dirs[i][0] = '\0';
        } else {
            busy = 1;
        }
    }
    return busy ? -EBUSY : 0;
}
