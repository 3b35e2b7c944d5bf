/*
 * Seccomp filters: registered once, by index, before the table is sealed.
 *
 * Runs in the launcher (root). hearthd compiles its profiles (libseccomp, from JSON files
 * the operator installed) while it is still root, registers the BPF here and seals the table
 * before it drops to its own user and parses anything from the network; from then on a
 * spawn names a filter by index and cannot bring its own. Each program is tried once at
 * registration, in a throwaway child, so that a filter the kernel refuses is refused here and
 * not at every spawn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher.h"

static struct hearth_filter filters[HL_MAX_FILTERS];
static uint32_t filter_count;
static int sealed;

/* Whether the kernel accepts `program`: installed in a child that exits right after. */
static int kernel_accepts(const struct sock_fprog *program) {
    pid_t child = fork();
    if (child < 0) return -errno;
    if (child == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) _exit(1);
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, program, 0, 0)) _exit(2);
        /* exit_group, which any filter that lets a worker finish must allow. */
        _exit(0);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return -errno;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    return -EINVAL;
}

int handle_register_filter(uint32_t tag, struct cursor *body) {
    if (sealed) return send_answer(tag, EPERM, 0, 0, 0, 0, "the filter table is sealed", -1);
    if (filter_count == HL_MAX_FILTERS) return send_answer(tag, ENOSPC, 0, 0, 0, 0, "too many filters", -1);
    uint32_t count = read_u32(body);
    if (body->bad || count == 0 || count > BPF_MAXINSNS || body->left != (size_t)count * sizeof(struct sock_filter))
        return send_answer(tag, EINVAL, 0, 0, 0, 0, "a filter is a u32 count (1 to 4096) and exactly count 8-byte instructions", -1);
    struct sock_filter *copy = malloc((size_t)count * sizeof *copy);
    if (!copy) return send_answer(tag, ENOMEM, 0, 0, 0, 0, "out of memory", -1);
    for (uint32_t i = 0; i < count; i++) {
        copy[i].code = read_u16(body);
        copy[i].jt = (unsigned char)body->at[0];
        copy[i].jf = (unsigned char)body->at[1];
        body->at += 2;
        body->left -= 2;
        copy[i].k = read_u32(body);
    }
    struct sock_fprog program = {(unsigned short)count, copy};
    int rc = kernel_accepts(&program);
    if (rc < 0) {
        free(copy);
        return send_answer(tag, -rc, 0, 0, 0, 0, "the kernel refuses this seccomp program", -1);
    }
    filters[filter_count].instructions = copy;
    filters[filter_count].count = (unsigned short)count;
    return send_answer(tag, 0, 0, filter_count++, 0, 0, NULL, -1);
}

int handle_seal(uint32_t tag, struct cursor *body) {
    if (body->left) return send_answer(tag, EINVAL, 0, 0, 0, 0, "seal has no body", -1);
    if (filter_count == 0) return send_answer(tag, EINVAL, 0, 0, 0, 0, "register at least one filter before sealing", -1);
    sealed = 1;
    return send_answer(tag, 0, 0, filter_count, 0, 0, NULL, -1);
}

const struct hearth_filter *filter_at(uint32_t index) {
    return index < filter_count ? &filters[index] : NULL;
}

int filters_sealed(void) { return sealed; }
