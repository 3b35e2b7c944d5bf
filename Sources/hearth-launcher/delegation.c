/*
 * cgroup v2: the sandboxes' groups inside the launcher's own, delegated cgroup.
 *
 * Runs in the launcher (root, at start-up, before it serves a request; plain C, nothing here
 * runs between clone and execve). Under systemd with Delegate=yes the unit's cgroup
 * (`/system.slice/hearthd.service`, read from /proc/self/cgroup) is ours to arrange, with
 * systemd's rules for a delegated subtree: processes only in leaves, controllers enabled only
 * by us and only below us. So:
 *
 *     <own>/supervisor/       hearthd and hearth-launcher (moved here first: a group with
 *                             processes cannot enable controllers for its children)
 *     <own>/workers/          +memory +pids +cpu for its children
 *     <own>/workers/sandbox-<uid>   one per sandbox (cgroup.c)
 *
 * and `<own>/cgroup.subtree_control` gets +memory +pids +cpu. Nothing above <own> is written:
 * systemd accounts every worker to hearthd.service, and kills them with it.
 *
 * Fallback, when the own cgroup is the root (`0::/`: a box whose PID 1 manages no cgroups, or
 * a container's cgroup namespace): nobody else arranges the tree, so the launcher makes
 * `/hearth` with the same layout under it, enabling the three controllers in the root's
 * subtree_control (the only case where it writes a root file; logged). Several launchers may
 * share that `/hearth/workers`; each sandbox group is claimed under its uid's lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "launcher.h"

#define CONTROLLERS "+memory +pids +cpu"
/* Kept short: a refusal's reason holds 199 bytes. */
#define WHAT_TO_DO "run hearthd under systemd with Delegate=yes, or `systemd-run -p Delegate=yes hearthd ...`"

/* The "0::PATH" line of /proc/self/cgroup: the launcher's cgroup v2 path. -errno. */
static int own_cgroup(char *out, size_t size) {
    char text[4096];
    int rc = cgroup_read_file("/proc/self/cgroup", text, sizeof text);
    if (rc < 0) return rc;
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "0::", 3) != 0) continue;
        size_t n = strcspn(line + 3, "\n");
        if (n == 0 || n >= size) return -ENAMETOOLONG;
        memcpy(out, line + 3, n);
        out[n] = '\0';
        return 0;
    }
    return -ENOENT;
}

int delegation_detect(struct cgroups *out, struct refusal *r) {
    char own[PATH_BYTES];
    int rc = own_cgroup(own, sizeof own);
    if (rc < 0) return refuse(r, -rc, "cgroup v2, but no 0:: line in /proc/self/cgroup: %s", strerror(-rc));
    out->delegated = strcmp(own, "/") != 0;
    if (out->delegated) {
        if (!path_is_sane(own)) return refuse(r, EINVAL, "cgroup v2: the own cgroup '%s' is not a plain path", own);
        if ((size_t)snprintf(out->base, PATH_BYTES, "%s%s", CGROUP_BASE, own) >= PATH_BYTES - 64)
            return refuse(r, ENAMETOOLONG, "cgroup v2: the own cgroup's path is too long");
    } else {
        snprintf(out->base, PATH_BYTES, "%s/hearth", CGROUP_BASE);
    }
    /* What our group (or, in the fallback, the root) may give its children. */
    char path[PATH_BYTES + 32], text[512];
    snprintf(path, sizeof path, "%s/cgroup.controllers", out->delegated ? out->base : CGROUP_BASE);
    if ((rc = cgroup_read_file(path, text, sizeof text)) < 0) return refuse(r, -rc, "cgroup v2: cannot read %s: %s", path, strerror(-rc));
    const char *needed[] = {"memory", "pids", "cpu"};
    for (int i = 0; i < 3; i++) {
        if (!cgroup_has_word(text, needed[i]))
            return refuse(r, ENOENT, "cgroup v2: no %s controller in %s (%s): %s", needed[i],
                          out->delegated ? own : "/", path, WHAT_TO_DO);
    }
    if (out->delegated) {
        snprintf(path, sizeof path, "%s/cgroup.subtree_control", out->base);
        if (access(out->base, W_OK) || access(path, W_OK))
            return refuse(r, EACCES, "cgroup v2: cannot write the own cgroup %s: %s", own, WHAT_TO_DO);
        /* systemd marks what it delegates; without it, it may rearrange the tree under us. */
        char mark[8] = "";
        if (getxattr(out->base, "trusted.delegate", mark, sizeof mark - 1) <= 0 || mark[0] != '1')
            fprintf(stderr, "hearth-launcher: cgroup v2: %s is not marked as delegated (trusted.delegate): %s\n", own, WHAT_TO_DO);
    } else {
        fprintf(stderr, "hearth-launcher: cgroup v2: running in the root cgroup (no cgroup manager): the sandboxes' groups go under %s; "
                        "under systemd, %s\n", out->base, WHAT_TO_DO);
    }
    if ((size_t)snprintf(out->parents[0], PATH_BYTES, "%s/workers", out->base) >= PATH_BYTES)
        return refuse(r, ENAMETOOLONG, "cgroup v2: the own cgroup's path is too long");
    out->count = 1;
    out->v2 = 1;
    return 0;
}

/* Moves the process `pid` (0: this one) into `procs`; a process already gone is fine. */
static int move_process(const char *procs, long pid) {
    char text[24];
    snprintf(text, sizeof text, "%ld", pid);
    int rc = cgroup_write_file(procs, text);
    return rc == -ESRCH ? 0 : rc;
}

/* Every process still in `group` (a delegated group: all of them are hearthd's) into `procs`. */
static int move_every_process(const char *group, const char *procs) {
    char path[PATH_BYTES + 32], text[4096];
    snprintf(path, sizeof path, "%s/cgroup.procs", group);
    int rc = cgroup_read_file(path, text, sizeof text);
    if (rc < 0) return rc;
    for (char *p = text; *p;) {
        char *end = NULL;
        long pid = strtol(p, &end, 10);
        if (end == p) break;
        if ((rc = move_process(procs, pid)) < 0) return rc;
        p = end + strspn(end, "\n");
    }
    return 0;
}

int delegation_prepare(const struct cgroups *cg, struct refusal *r) {
    char supervisor[PATH_BYTES + 16], procs[PATH_BYTES + 32], control[PATH_BYTES + 32];
    int rc;
    if (!cg->delegated) {
        if ((rc = cgroup_write_file(CGROUP_BASE "/cgroup.subtree_control", CONTROLLERS)) < 0)
            return refuse(r, -rc, "cannot enable %s in %s/cgroup.subtree_control: %s", CONTROLLERS, CGROUP_BASE, strerror(-rc));
        if ((rc = cgroup_make_directory(cg->base)) < 0) return refuse(r, -rc, "cannot create %s: %s", cg->base, strerror(-rc));
    }
    snprintf(supervisor, sizeof supervisor, "%s/supervisor", cg->base);
    if ((rc = cgroup_make_directory(supervisor)) < 0) return refuse(r, -rc, "cannot create %s: %s", supervisor, strerror(-rc));
    snprintf(procs, sizeof procs, "%s/cgroup.procs", supervisor);
    /* This process and hearthd, which started it and is still root; in our own delegated
       group, whatever else is there too (only leaves may hold processes). */
    if ((rc = move_process(procs, 0)) < 0 || (rc = move_process(procs, getppid())) < 0 ||
        (cg->delegated && (rc = move_every_process(cg->base, procs)) < 0))
        return refuse(r, -rc, "cannot move hearthd into %s: %s", supervisor, strerror(-rc));
    snprintf(control, sizeof control, "%s/cgroup.subtree_control", cg->base);
    if ((rc = cgroup_write_file(control, CONTROLLERS)) < 0)
        return refuse(r, -rc, "cannot enable %s in %s: %s%s", CONTROLLERS, control, strerror(-rc),
                      rc == -EBUSY ? " (a process outside hearthd is in that group)" : "");
    if ((rc = cgroup_make_directory(cg->parents[0])) < 0) return refuse(r, -rc, "cannot create %s: %s", cg->parents[0], strerror(-rc));
    snprintf(control, sizeof control, "%s/cgroup.subtree_control", cg->parents[0]);
    if ((rc = cgroup_write_file(control, CONTROLLERS)) < 0)
        return refuse(r, -rc, "cannot enable %s in %s: %s", CONTROLLERS, control, strerror(-rc));
    return 0;
}

void delegation_release(const struct cgroups *cg) {
    /* Ours alone only when delegated; the fallback's /hearth/workers may serve another launcher.
       `supervisor` still holds hearthd and us: systemd removes it with the unit's group. */
    if (cg->v2 && cg->delegated) (void)rmdir(cg->parents[0]);
}
