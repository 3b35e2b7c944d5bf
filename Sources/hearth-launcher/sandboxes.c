/*
 * The sandboxes the launcher made: spawning, killing, limits, and their ends.
 *
 * Runs in the launcher (root, single-threaded: hearth_spawn's clone happens in a process
 * with one thread, so nothing is half-locked in the child). Each live sandbox is a slot with
 * its pidfd, the pipe its init reports the worker's status on, its uid and lock, and its
 * cgroup. When a pidfd polls readable the sandbox is reaped (hearth_wait), its OOM counter
 * and peak memory are read before the group goes, the daemon gets an HL_EXIT, and the cgroup
 * is removed (retried from the loop while the kernel still holds it) before the uid's lock
 * is dropped. A spawn is answered once its child has exec'd: meanwhile (SPAWNING) the loop
 * serves other requests, so that a clone-tree or a kill does not wait for a sandbox's set-up. The daemon names sandboxes by a 64-bit id never reused, not by pid or uid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawn_request.h"

enum slot_state { FREE = 0, SPAWNING, LIVE, DRAINING };

struct sandbox {
    enum slot_state state;
    uint64_t id;
    /* While SPAWNING: the child's set-up pipe and when to give up on it, and whom to answer. */
    struct hearth_pending pending;
    struct timespec deadline;
    uint32_t tag;
    pid_t pid;
    int pidfd;
    int status_fd;
    uint32_t uid;
    int lock_fd;
    struct cgroup_slot group;
    int removal_tries;
};

static struct sandbox table[MAX_SANDBOXES];
static uint64_t last_id;
static struct spawn_request request;

#define REMOVAL_TRIES 200   /* × 10 ms of poll timeout: how long a group may stay busy */
/* At the stop, the killed sandboxes' processes may take longer than that to leave their groups
 * on a loaded box; hearthd waits 10 s for the launcher, so the stop tries for 8 s. */
#define STOP_REMOVAL_TRIES 800

void sandboxes_init(void) {
    for (size_t i = 0; i < MAX_SANDBOXES; i++) table[i].state = FREE;
}

static struct sandbox *live(uint64_t id) {
    for (size_t i = 0; i < MAX_SANDBOXES; i++)
        if (table[i].state == LIVE && table[i].id == id) return &table[i];
    return NULL;
}

static struct sandbox *free_slot(void) {
    for (size_t i = 0; i < MAX_SANDBOXES; i++)
        if (table[i].state == FREE) return &table[i];
    return NULL;
}

/* Removes the group if the kernel lets it; frees the slot and the uid once it is gone. */
static int removal_limit = REMOVAL_TRIES;

static void drain(struct sandbox *s) {
    if (cgroup_remove(&s->group) == -EBUSY && ++s->removal_tries < removal_limit) {
        s->state = DRAINING;
        return;
    }
    identity_release(s->uid, s->lock_fd);
    s->state = FREE;
}

int handle_spawn(uint32_t tag, struct cursor *body, const int *fds, int fd_count) {
    struct refusal r = {0, ""};
    if (parse_spawn(body, fds, fd_count, &request, &r) < 0) return send_answer(tag, r.error, 0, 0, 0, 0, r.reason, -1);
    struct sandbox *s = free_slot();
    if (!s) return send_answer(tag, EAGAIN, 0, 0, 0, 0, "the launcher's sandbox table is full", -1);
    memset(s, 0, sizeof *s);
    if (identity_claim(request.memory, request.pids, request.millicpu, &s->uid, &s->lock_fd, &s->group, &r) < 0)
        return send_answer(tag, r.error, 0, 0, 0, 0, r.reason, -1);

    char tmp_options[64], code_options[64];
    snprintf(tmp_options, sizeof tmp_options, "size=%llu,mode=1777", (unsigned long long)request.tmp_size);
    snprintf(code_options, sizeof code_options, "size=%llu,mode=0755", (unsigned long long)request.code_size);
    struct hearth_spec spec = {
        .root_mountpoint = HEARTH_ROOT_MOUNTPOINT,
        .binds = request.binds,
        .bind_count = request.bind_count,
        .symlinks = request.symlinks,
        .symlink_count = request.symlink_count,
        .tmp_options = tmp_options,
        .code_dir = request.code_dir[0] ? request.code_dir : NULL,
        .code_options = code_options,
        .hostname = request.hostname,
        .host_uid = s->uid,
        .host_gid = s->uid,
        .new_network = !request.host_network,
        .rlimits = request.rlimits,
        .rlimit_count = request.rlimit_count,
        .cgroup_procs_fds = s->group.procs,
        .cgroup_fd_count = (size_t)s->group.count,
        .stdin_fd = request.stdin_fd,
        .stdout_fd = request.stdout_fd,
        .stderr_fd = request.stderr_fd,
        .control_fd = request.control_fd,
        .last_capability = config.last_capability,
        .filter = request.filter,
        .init_fd = config.init_fd,
        /* The sandbox must not outlive the launcher that would reap it. */
        .die_with_parent = 1,
        .cwd = request.cwd,
        .path = request.path,
        .argv = request.argv,
        .envp = request.envp,
    };
    /* Only the first half here: the child sets itself up (a few ms) while the loop serves
       other requests; its error pipe in the poll set says when it is done (spawn_finished). */
    struct hearth_result result;
    int rc = hearth_spawn_start(&spec, &s->pending, &result);
    cgroup_close_procs(&s->group);
    if (rc < 0) {
        drain(s);
        return send_answer(tag, result.error, (uint32_t)result.step, 0, 0, 0, "sandbox set-up failed", -1);
    }
    s->state = SPAWNING;
    s->tag = tag;
    clock_gettime(CLOCK_MONOTONIC, &s->deadline);
    s->deadline.tv_sec += HEARTH_SETUP_TIMEOUT_MS / 1000;
    return 0;
}

/* The second half: the child exec'd (its error pipe reached end-of-file), failed, or ran out
   of time. Answers the spawn request. */
static int spawn_finished(struct sandbox *s, int timed_out) {
    struct hearth_result result;
    if (hearth_spawn_finish(&s->pending, timed_out, &result) < 0) {
        drain(s);
        return send_answer(s->tag, result.error, (uint32_t)result.step, 0, 0, 0,
                           timed_out ? "sandbox set-up did not reach execve in time" : "sandbox set-up failed", -1);
    }
    s->state = LIVE;
    s->id = ++last_id;
    s->pid = result.pid;
    s->pidfd = result.pidfd;
    s->status_fd = result.status_fd;
    return send_answer(s->tag, 0, 0, s->id, s->pid, s->uid, NULL, -1);
}

static long ms_until(const struct timespec *t) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

int sandboxes_spawn_timeouts(void) {
    long soonest = -1;
    for (size_t i = 0; i < MAX_SANDBOXES; i++) {
        if (table[i].state != SPAWNING) continue;
        long left = ms_until(&table[i].deadline);
        if (left <= 0) {
            if (spawn_finished(&table[i], 1) < 0) return -2;
            continue;
        }
        if (soonest < 0 || left < soonest) soonest = left;
    }
    return (int)soonest;
}

int handle_kill(uint32_t tag, struct cursor *body) {
    uint64_t id = read_u64(body);
    if (body->bad || body->left) return send_answer(tag, EINVAL, 0, 0, 0, 0, "kill takes a u64 sandbox id", -1);
    struct sandbox *s = live(id);
    if (!s) return send_answer(tag, ESRCH, 0, id, 0, 0, "no such live sandbox", -1);
    int rc = hearth_kill(s->pidfd);
    return send_answer(tag, rc < 0 ? -rc : 0, 0, id, s->pid, s->uid, rc < 0 ? "pidfd_send_signal failed" : NULL, -1);
}

int handle_set_limits(uint32_t tag, struct cursor *body) {
    uint64_t id = read_u64(body);
    uint64_t memory = read_u64(body);
    uint32_t pids = read_u32(body), millicpu = read_u32(body);
    if (body->bad || body->left) return send_answer(tag, EINVAL, 0, 0, 0, 0, "set-limits takes u64 id, u64 memory, u32 pids, u32 millicpu", -1);
    struct refusal r = {0, ""};
    if (check_limits(memory, pids, millicpu, &r) < 0) return send_answer(tag, r.error, 0, id, 0, 0, r.reason, -1);
    struct sandbox *s = live(id);
    if (!s) return send_answer(tag, ESRCH, 0, id, 0, 0, "no such live sandbox", -1);
    if (cgroup_apply(&config.cgroups, &s->group, memory, pids, millicpu, &r) < 0) return send_answer(tag, r.error, 0, id, 0, 0, r.reason, -1);
    return send_answer(tag, 0, 0, id, s->pid, s->uid, NULL, -1);
}

size_t sandboxes_pollfds(struct pollfd *fds, size_t first, size_t room) {
    size_t n = first;
    for (size_t i = 0; i < MAX_SANDBOXES && n < room; i++) {
        if (table[i].state == LIVE) fds[n++] = (struct pollfd){.fd = table[i].pidfd, .events = POLLIN};
        else if (table[i].state == SPAWNING) fds[n++] = (struct pollfd){.fd = table[i].pending.error_fd, .events = POLLIN};
    }
    return n;
}

/* Reaps one ended sandbox and reads what its cgroup says, before the group goes. */
static void reap(struct sandbox *s, int *exited, int *status, int *oom, int64_t *peak) {
    if (hearth_wait(s->pidfd, s->status_fd, exited, status) < 0) {
        *exited = 0;
        *status = 9;
    }
    *oom = cgroup_oom_killed(&config.cgroups, &s->group);
    *peak = cgroup_peak(&config.cgroups, &s->group);
    close(s->pidfd);
    close(s->status_fd);
}

int sandboxes_ready(int fd) {
    for (size_t i = 0; i < MAX_SANDBOXES; i++) {
        struct sandbox *s = &table[i];
        if (s->state == SPAWNING && s->pending.error_fd == fd) return spawn_finished(s, 0);
        if (s->state != LIVE || s->pidfd != fd) continue;
        int exited, status, oom;
        int64_t peak;
        reap(s, &exited, &status, &oom, &peak);
        uint64_t id = s->id;
        drain(s);
        return send_exit(id, exited, status, oom, peak);
    }
    return 0;
}

int sandboxes_retry_removals(void) {
    int pending = 0;
    for (size_t i = 0; i < MAX_SANDBOXES; i++) {
        if (table[i].state != DRAINING) continue;
        drain(&table[i]);
        if (table[i].state == DRAINING) pending = 1;
    }
    return pending ? 10 : -1;
}

void sandboxes_kill_all(void) {
    removal_limit = STOP_REMOVAL_TRIES;
    for (size_t i = 0; i < MAX_SANDBOXES; i++) {
        if (table[i].state == SPAWNING) {
            struct hearth_result ignored;
            (void)hearth_spawn_finish(&table[i].pending, 1, &ignored);
            drain(&table[i]);
        }
    }
    for (size_t i = 0; i < MAX_SANDBOXES; i++)
        if (table[i].state == LIVE) hearth_kill(table[i].pidfd);
    for (size_t i = 0; i < MAX_SANDBOXES; i++) {
        if (table[i].state != LIVE) continue;
        int exited, status, oom;
        int64_t peak;
        reap(&table[i], &exited, &status, &oom, &peak);
        drain(&table[i]);
    }
    /* Bounded: each group gets up to STOP_REMOVAL_TRIES chances in all, 10 ms apart. */
    for (int round = 0; round < STOP_REMOVAL_TRIES && sandboxes_retry_removals() >= 0; round++) usleep(10000);
}
