/*
 * Seccomp: the last step before execve, and the profile compiler.
 *
 * Parent side (daemon start-up, once per profile): libseccomp builds the filter from the
 * profile's rules and exports it as BPF. Child side: the BPF is installed with one prctl,
 * no allocation and no libseccomp call, after no_new_privs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"

int child_seccomp(const struct hearth_spec *spec) {
    if (!spec->filter) return 0;
    struct sock_fprog program = {spec->filter->count, (struct sock_filter *)spec->filter->instructions};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0)) return -errno;
    return 0;
}

struct hearth_filter_builder {
    scmp_filter_ctx ctx;
};

static uint32_t seccomp_action(enum hearth_action_kind kind, int errno_value) {
    switch (kind) {
    case HEARTH_ACTION_ALLOW: return SCMP_ACT_ALLOW;
    case HEARTH_ACTION_ERRNO: return SCMP_ACT_ERRNO((uint16_t)errno_value);
    case HEARTH_ACTION_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
    }
    return SCMP_ACT_KILL_PROCESS;
}

struct hearth_filter_builder *hearth_filter_new(enum hearth_action_kind default_action, int default_errno, int *error) {
    struct hearth_filter_builder *builder = calloc(1, sizeof *builder);
    if (!builder) {
        *error = -ENOMEM;
        return NULL;
    }
    builder->ctx = seccomp_init(seccomp_action(default_action, default_errno));
    if (!builder->ctx) {
        free(builder);
        *error = -EINVAL;
        return NULL;
    }
    /* A syscall of a foreign ABI (x32, i386 on x86_64) is killed unless the profile adds it;
       a libseccomp that cannot say so must not give us a filter that lets them through. */
    int rc = seccomp_attr_set(builder->ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc < 0) {
        seccomp_release(builder->ctx);
        free(builder);
        *error = rc;
        return NULL;
    }
    *error = 0;
    return builder;
}

int hearth_filter_add_arch(struct hearth_filter_builder *builder, const char *arch_name) {
    uint32_t arch = seccomp_arch_resolve_name(arch_name);
    if (arch == 0) return -ENOENT;
    int rc = seccomp_arch_add(builder->ctx, arch);
    return rc == -EEXIST ? 0 : rc;
}

int hearth_filter_add_rule(struct hearth_filter_builder *builder, const char *syscall_name,
                           enum hearth_action_kind action, int errno_value,
                           const struct hearth_arg_rule *args, unsigned arg_count) {
    int number = seccomp_syscall_resolve_name(syscall_name);
    if (number == __NR_SCMP_ERROR) return -ENOENT;
    struct scmp_arg_cmp comparisons[6];
    if (arg_count > 6) return -E2BIG;
    for (unsigned i = 0; i < arg_count; i++) {
        comparisons[i] = (struct scmp_arg_cmp){args[i].index, (enum scmp_compare)args[i].op, args[i].value, args[i].value_two};
    }
    int rc = seccomp_rule_add_array(builder->ctx, seccomp_action(action, errno_value), number, arg_count, comparisons);
    /* A rule with the filter's own default action is redundant, not an error. */
    return rc == -EACCES ? 0 : rc;
}

int hearth_filter_export(struct hearth_filter_builder *builder, struct hearth_filter *out) {
    int fd = memfd_create("hearth-seccomp", MFD_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = seccomp_export_bpf(builder->ctx, fd);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) != 0 || size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        close(fd);
        return -EINVAL;
    }
    void *instructions = malloc((size_t)size);
    if (!instructions) {
        close(fd);
        return -ENOMEM;
    }
    if (pread(fd, instructions, (size_t)size, 0) != size) {
        free(instructions);
        close(fd);
        return -EIO;
    }
    close(fd);
    out->instructions = instructions;
    out->count = (unsigned short)(size / sizeof(struct sock_filter));
    return 0;
}

void hearth_filter_free(struct hearth_filter_builder *builder) {
    if (!builder) return;
    seccomp_release(builder->ctx);
    free(builder);
}

void hearth_filter_free_program(struct hearth_filter *program) {
    free((void *)program->instructions);
    program->instructions = NULL;
    program->count = 0;
}
