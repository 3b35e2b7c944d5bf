/*
 * The wire format between hearthd (unprivileged) and hearth-launcher (root): constants and
 * sizes only, shared by the launcher (C) and its client (Swift, HearthSandbox/Launcher).
 * Sources/hearth-launcher/PROTOCOL.md is the prose description; this header is the truth.
 *
 * One record per packet of a SOCK_SEQPACKET socketpair, at most HL_MAX_RECORD bytes. Every
 * integer is little-endian and fixed-width; every string is a u16 byte count followed by that
 * many bytes, no terminator and no NUL inside. A record is its 16-byte header and a body that
 * must be consumed exactly: a byte short or a byte over is a malformed record.
 */
#ifndef HEARTH_LAUNCHER_H
#define HEARTH_LAUNCHER_H

#define HL_MAGIC 0x4c485448u        /* "HTHL" as little-endian bytes */
#define HL_HEADER_SIZE 16           /* u32 magic, u16 type, u16 flags (0), u32 length, u32 tag */
#define HL_MAX_RECORD 65536
#define HL_MAX_FDS 4

/* Requests, daemon to launcher. Each gets exactly one HL_ANSWER with the request's tag. */
enum hl_request {
    HL_REGISTER_FILTER = 1, /* u32 count, count × 8-byte struct sock_filter → answer.id = index */
    HL_SEAL = 2,            /* (empty) no filter may be registered after; spawns need it */
    HL_SPAWN = 3,           /* see below; fds by SCM_RIGHTS → answer.id, pid, uid */
    HL_KILL = 4,            /* u64 sandbox → SIGKILL to its init */
    HL_SET_LIMITS = 5,      /* u64 sandbox, u64 memory, u32 pids, u32 millicpu */
    HL_CLONE_TREE = 6,      /* str path under the packages root → the mount fd by SCM_RIGHTS */
};

/* Launcher to daemon. */
enum hl_reply {
    HL_ANSWER = 0x81,       /* i32 error, u32 step, u64 id, i32 pid, u32 uid, str reason */
    HL_EXIT = 0x82,         /* tag 0: u64 sandbox, u32 exited, i32 status, u32 oom, u32 0, i64 peak */
};

/*
 * HL_SPAWN body, fixed part (56 bytes), then the variable part in this order:
 *   u32 fds        which descriptors came with the record, in this order: HL_FD_*
 *   u32 options    HL_OPT_*
 *   u32 filter     an index HL_REGISTER_FILTER answered
 *   u32 pids       cgroup pids.max
 *   u64 memory     cgroup memory limit, bytes
 *   u32 millicpu   cgroup CPU quota, 1000 = one core
 *   u32 reserved   0
 *   u64 tmp_size   bytes of the sandbox's /tmp tmpfs
 *   u64 code_size  bytes of the code tmpfs at code_dir (0 when code_dir is empty)
 *   u16 binds, u16 symlinks, u16 rlimits, u16 argc, u16 envc, u16 reserved (0)
 * variable: str hostname, str cwd, str code_dir ("" for none), str path;
 *   binds × {str source, str target} (always read-only); symlinks × {str target, str path};
 *   rlimits × {u32 resource, u32 0, u64 soft, u64 hard}; argc × str; envc × str.
 */
#define HL_SPAWN_FIXED 56
#define HL_FD_STDIN 1u
#define HL_FD_STDOUT 2u
#define HL_FD_STDERR 4u
#define HL_FD_CONTROL 8u
#define HL_OPT_HOST_NETWORK 1u

#define HL_MAX_BINDS 32
#define HL_MAX_SYMLINKS 16
#define HL_MAX_RLIMITS 16
#define HL_MAX_ARGS 256
#define HL_MAX_ENV 256
#define HL_MAX_FILTERS 8
#define HL_MAX_REASON 200

#define HL_ANSWER_FIXED 40          /* header + i32 + u32 + u64 + i32 + u32, then str reason */
#define HL_EXIT_SIZE (HL_HEADER_SIZE + 32)

#endif
