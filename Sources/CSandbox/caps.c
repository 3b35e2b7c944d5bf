/*
 * Capabilities: the sandbox keeps none.
 *
 * Child side, after every step that needed privilege in the sandbox's own namespaces
 * (mounts, hostname, rlimits), before no_new_privs and seccomp. Uid 0 inside the sandbox
 * would regain capabilities on execve, so: securebits make root ordinary and are locked,
 * the bounding set is emptied (execve can then grant nothing), ambient is cleared, and
 * effective/permitted/inheritable are zeroed with a raw capset.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/capability.h>

#include "internal.h"

int child_caps(const struct hearth_spec *spec) {
    /* Needs CAP_SETPCAP, so before the bounding set loses it. */
    if (prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
                                     SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0)) return -errno;
    for (int cap = 0; cap <= spec->last_capability; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL) return -errno;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)) return -errno;
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0, 0, 0}};
    if (syscall(SYS_capset, &header, data)) return -errno;
    return 0;
}

/* Needed for seccomp without CAP_SYS_ADMIN, and keeps execve from ever adding privilege. */
int prctl_no_new_privs(void) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return -errno;
    return 0;
}

/* Parent side: libcap knows the kernel's highest capability. */
int hearth_last_capability(void) {
    return (int)cap_max_bits() - 1;
}
