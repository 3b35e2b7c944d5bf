/*
 * Leftovers: sandbox groups an earlier launcher did not remove.
 *
 * Runs in the launcher (root, at start-up, once the uid locks are open, before the first
 * request). A launcher removes its groups when it ends, and each sandbox's init dies with it
 * (PR_SET_PDEATHSIG); but a launcher killed outright (SIGKILL to the whole service, a crash)
 * leaves empty groups behind, and a sandbox whose parent-death signal had not been armed yet
 * could live on in one. A group is a leftover when no one holds its uid's lock: every live
 * launcher (and in-process spawner) holds the lock of each of its sandboxes, taken before the
 * group is made and dropped only after it is removed. Its processes are killed (cgroup.kill
 * on v2 since Linux 5.14, else each process in cgroup.procs: a sandbox's init is PID 1 of its
 * pid namespace, so killing it ends the namespace) and the group removed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

#define KILL_TRIES 200  /* × 10 ms: how long a leftover's processes may take to go */

/* SIGKILL to every process listed in `dir`/cgroup.procs; how many were listed. */
static int kill_listed(const char *dir) {
    char path[PATH_BYTES + 32], text[4096];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    if (cgroup_read_file(path, text, sizeof text) < 0) return 0;
    int listed = 0;
    for (char *p = text; *p;) {
        char *end = NULL;
        long pid = strtol(p, &end, 10);
        if (end == p) break;
        if (pid > 0) (void)kill((pid_t)pid, SIGKILL);
        listed++;
        p = end + strspn(end, "\n");
    }
    return listed;
}

/* Kills everything in one sandbox's group (all its controller directories) and removes it. */
static int reclaim(const struct cgroups *cg, uint32_t uid) {
    char dirs[3][PATH_BYTES + 32];
    for (int i = 0; i < cg->count; i++) snprintf(dirs[i], sizeof dirs[i], "%s/sandbox-%u", cg->parents[i], uid);
    if (cg->v2) {
        char path[PATH_BYTES + 64];
        snprintf(path, sizeof path, "%s/cgroup.kill", dirs[0]);
        (void)cgroup_write_file(path, "1");
    }
    for (int tries = 0; tries < KILL_TRIES; tries++) {
        int left = 0;
        for (int i = cg->count - 1; i >= 0; i--) {
            if (!dirs[i][0]) continue;
            if (rmdir(dirs[i]) == 0 || errno == ENOENT) {
                dirs[i][0] = '\0';
                continue;
            }
            left = 1;
            (void)kill_listed(dirs[i]);
        }
        if (!left) return 0;
        usleep(10000);
    }
    return -EBUSY;
}

void leftovers_reclaim(const struct cgroups *cg) {
    /* One parent lists every sandbox: the v2 group, or v1's memory controller. */
    DIR *dir = opendir(cg->parents[0]);
    if (!dir) return;
    int reclaimed = 0, stuck = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        char *end = NULL;
        if (strncmp(entry->d_name, "sandbox-", 8) != 0) continue;
        unsigned long uid = strtoul(entry->d_name + 8, &end, 10);
        if (!end || *end || end == entry->d_name + 8 || uid == 0 || uid > 0xFFFFFFFEul) continue;
        int lock = identity_lock_if_free((uint32_t)uid);
        if (lock < 0) continue;  /* a live launcher's sandbox */
        if (reclaim(cg, (uint32_t)uid) == 0) reclaimed++;
        else stuck++;
        close(lock);
    }
    closedir(dir);
    if (reclaimed || stuck)
        fprintf(stderr, "hearth-launcher: reclaimed %d sandbox cgroup(s) an earlier run left under %s%s\n", reclaimed, cg->parents[0],
                stuck ? " (some could not be removed yet)" : "");
}
