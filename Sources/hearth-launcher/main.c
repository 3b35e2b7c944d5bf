/*
 * hearth-launcher: the one process of Hearth that keeps root.
 *
 * hearthd starts it at start-up, while hearthd is still root, with one end of a
 * SOCK_SEQPACKET socketpair; then hearthd drops to its own unprivileged user and from there
 * on parses what the network sends. This program only creates, signals and reaps sandboxes
 * and their cgroups, and clones code trees, for requests it validates field by field
 * (PROTOCOL.md; the wire format is CSandbox/include/hearth_launcher.h). It holds the uid
 * range, the per-uid locks and the cgroups; the daemon holds none of them.
 *
 *     hearth-launcher --socket-fd N --init PATH --packages DIR --uid-range FIRST:COUNT
 *                     --allow PATH [--allow PATH ...] [--daemon-uid U] [--max-memory B] [--max-pids N]
 *                     [--max-millicpu N] [--max-tmp B] [--max-code B]
 *
 * Single-threaded: one poll loop over the socket, a signalfd, the live sandboxes' pidfds and
 * the set-up pipes of those being made (a spawn is answered when its child has exec'd).
 * It never outlives the daemon: end-of-file on the socket, or the parent-death signal once
 * the daemon is gone, kills every sandbox it made, removes their cgroups and exits; and each
 * sandbox has its own parent-death signal in case the launcher itself is killed. Nothing a
 * request contains can end the loop: a bad one gets a refusal and the next one is read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launcher.h"

struct config config;

static void die(const char *format, const char *detail) {
    fprintf(stderr, "hearth-launcher: ");
    fprintf(stderr, format, detail);
    fputc('\n', stderr);
    exit(2);
}

static uint64_t parse_number(const char *text, const char *option) {
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || !end || *end || text[0] == '-' || !text[0]) die("%s wants a non-negative number", option);
    return value;
}

/* An allowed root, as given (absolute, no `..`), whose target is writable by its owner only,
   and whose owner is root or, with --daemon-uid, anyone but the daemon's user (a developer's
   checkout run with sudo): the daemon's user cannot swap what lies under it between the
   check and the child's mount. Taken as named, so that a link the operator chose
   (/etc/localtime) works. Checked once every option is read. */
static void check_root(const char *path) {
    if (!path_is_sane(path) || strcmp(path, "/") == 0) die("--allow %s: an absolute path without '.', '..' or '//', not /", path);
    struct stat st;
    if (stat(path, &st)) die("--allow %s: no such path", path);
    if (!owned_safely(st.st_uid, st.st_mode))
        die("--allow %s: must belong to root (or a user other than the daemon's) and be writable by nobody else", path);
    /* Its ancestors too: in a directory the daemon's user may write, the root could be renamed
       away and a symlink left in its place (root's sticky directories, /tmp, are fine: there
       only an entry's owner may rename it). */
    char prefix[PATH_BYTES];
    for (const char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        snprintf(prefix, sizeof prefix, "%.*s", (int)(slash - path), path);
        if (stat(prefix, &st)) die("--allow %s: cannot inspect a directory above it", path);
        int sticky_roots = st.st_uid == 0 && (st.st_mode & S_ISVTX);
        if (!owned_safely(st.st_uid, st.st_mode) && !sticky_roots)
            die("--allow %s: a directory above it can be changed by a user other than root", path);
    }
    if (stat("/", &st) || !owned_safely(st.st_uid, st.st_mode)) die("--allow %s: / itself is not root's alone", path);
}

static void add_root(const char *path) {
    if (config.root_count == MAX_ROOTS) die("at most 16 --allow roots (%s)", path);
    snprintf(config.roots[config.root_count++], PATH_BYTES, "%s", path);
}

static const char *init_path;

static void parse_arguments(int argc, char **argv) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    config.socket_fd = -1;
    config.init_fd = -1;
    config.daemon_uid = -1;
    config.packages_fd = -1;
    config.bounds = (struct bounds){
        .max_memory = 16ull << 30, .max_pids = 4096, .max_millicpu = (uint32_t)(cpus > 0 ? cpus : 1) * 1000,
        .max_tmp = 4ull << 30, .max_code = 4ull << 30,
    };
    const char *init = NULL, *packages = NULL, *range = NULL;
    for (int i = 1; i < argc; i++) {
        const char *option = argv[i];
        if (i + 1 >= argc) die("%s needs a value", option);
        const char *value = argv[++i];
        if (!strcmp(option, "--socket-fd")) config.socket_fd = (int)parse_number(value, option);
        else if (!strcmp(option, "--init")) init = value;
        else if (!strcmp(option, "--packages")) packages = value;
        else if (!strcmp(option, "--allow")) add_root(value);
        else if (!strcmp(option, "--uid-range")) range = value;
        else if (!strcmp(option, "--daemon-uid")) config.daemon_uid = (long)parse_number(value, option);
        else if (!strcmp(option, "--max-memory")) config.bounds.max_memory = parse_number(value, option);
        else if (!strcmp(option, "--max-pids")) config.bounds.max_pids = (uint32_t)parse_number(value, option);
        else if (!strcmp(option, "--max-millicpu")) config.bounds.max_millicpu = (uint32_t)parse_number(value, option);
        else if (!strcmp(option, "--max-tmp")) config.bounds.max_tmp = parse_number(value, option);
        else if (!strcmp(option, "--max-code")) config.bounds.max_code = parse_number(value, option);
        else die("unknown option %s", option);
    }
    if (config.socket_fd < 3 || !init || !packages || !range || config.root_count == 0)
        die("%s", "usage: hearth-launcher --socket-fd N --init PATH --packages DIR --uid-range FIRST:COUNT --allow PATH...");
    for (int i = 0; i < config.root_count; i++) check_root(config.roots[i]);
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(config.socket_fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_SEQPACKET)
        die("%s", "--socket-fd is not a SOCK_SEQPACKET socket");
    const char *colon = strchr(range, ':');
    if (!colon) die("--uid-range %s: FIRST:COUNT", range);
    char first[24];
    snprintf(first, sizeof first, "%.*s", (int)(colon - range), range);
    config.uid_first = (uint32_t)parse_number(first, "--uid-range");
    config.uid_count = (uint32_t)parse_number(colon + 1, "--uid-range");
    /* A sandbox that ran as the daemon's user could ptrace the daemon and take its socket. */
    if (config.daemon_uid >= 0 && (uint64_t)config.daemon_uid >= config.uid_first &&
        (uint64_t)config.daemon_uid - config.uid_first < config.uid_count)
        die("--uid-range %s holds the daemon's own uid (--daemon-uid)", range);
    /* The packages directory lies in the daemon's user's data directory, which that user can
       change between two starts: a symlink planted there (to /, say) would make every
       directory of the host one code trees may be cloned from. */
    struct stat st;
    if (lstat(packages, &st) == 0 && S_ISLNK(st.st_mode)) die("--packages %s: a symlink, not the directory itself", packages);
    char *canonical = realpath(packages, NULL);
    if (!canonical || stat(canonical, &st) || !S_ISDIR(st.st_mode)) die("--packages %s: not a directory", packages);
    snprintf(config.packages, PATH_BYTES, "%s", canonical);
    free(canonical);
    init_path = init;
}

/* Only the socket, and stdio for messages, of whatever the daemon had open. */
static void close_other_fds(void) {
    int fd = config.socket_fd;
    if (fd > 3 && syscall(SYS_close_range, 3, fd - 1, 0)) die("%s", "close_range failed");
    if (syscall(SYS_close_range, fd + 1, ~0U, 0)) die("%s", "close_range failed");
}

/* Reads one record; 0 on end-of-file. Descriptors that came with it go to fds (close-on-exec);
   *truncated says the record or its descriptors did not fit, or came with anything else. */
static ssize_t receive(unsigned char *buffer, int *fds, int *fd_count, int *truncated) {
    return hearth_receive_record(config.socket_fd, buffer, HL_MAX_RECORD, fds, HL_MAX_FDS, fd_count, truncated);
}

/* One record in, exactly one answer out. 0, or -errno when the daemon can no longer be told. */
static int dispatch(const unsigned char *record, size_t size, const int *fds, int fd_count, int truncated) {
    struct cursor header = {record, size, 0};
    uint32_t magic = read_u32(&header);
    uint16_t type = read_u16(&header);
    uint16_t flags = read_u16(&header);
    uint32_t length = read_u32(&header);
    uint32_t tag = read_u32(&header);
    if (header.bad) return send_answer(0, EINVAL, 0, 0, 0, 0, "a record is at least its 16-byte header", -1);
    if (magic != HL_MAGIC) return send_answer(tag, EINVAL, 0, 0, 0, 0, "bad magic", -1);
    if (truncated) return send_answer(tag, EMSGSIZE, 0, 0, 0, 0, "record or its descriptors cut short (at most 65536 bytes and 4 fds)", -1);
    if (length != size || flags != 0) return send_answer(tag, EINVAL, 0, 0, 0, 0, "the length field must be the packet's size, flags 0", -1);
    if (fd_count && type != HL_SPAWN) return send_answer(tag, EBADF, 0, 0, 0, 0, "only spawn takes descriptors", -1);
    struct cursor body = {record + HL_HEADER_SIZE, size - HL_HEADER_SIZE, 0};
    switch (type) {
    case HL_REGISTER_FILTER: return handle_register_filter(tag, &body);
    case HL_SEAL: return handle_seal(tag, &body);
    case HL_SPAWN: return handle_spawn(tag, &body, fds, fd_count);
    case HL_KILL: return handle_kill(tag, &body);
    case HL_SET_LIMITS: return handle_set_limits(tag, &body);
    case HL_CLONE_TREE: return handle_clone_tree(tag, &body);
    default: return send_answer(tag, EINVAL, 0, 0, 0, 0, "unknown request type", -1);
    }
}

static unsigned char record[HL_MAX_RECORD];
static struct pollfd polled[2 + MAX_SANDBOXES];  /* socket, signals, one per sandbox */

int main(int argc, char **argv) {
    parse_arguments(argc, argv);
    close_other_fds();
    /* After closing what the daemon left open: this one we keep, for every sandbox. */
    config.init_fd = hearth_open_executable(init_path);
    if (config.init_fd < 0) die("--init %s: cannot open it", init_path);
    config.packages_fd = open(config.packages, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (config.packages_fd < 0) die("--packages %s: cannot open it as a directory (not following a symlink)", config.packages);
    /* SIGTERM when the daemon's thread that started us ends; told apart from a real daemon
       exit by our parent changing (the daemon is multithreaded, that thread may just end). */
    pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0)) die("%s", "PR_SET_PDEATHSIG failed");
    if (getppid() != parent || parent == 1) die("%s", "the daemon is already gone");
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &handled, NULL)) die("%s", "sigprocmask failed");
    int signals = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signals < 0) die("%s", "signalfd failed");
    /* The daemon stops on Ctrl-C by asking us to kill its workers: the terminal's SIGINT to
       the process group must not end us first. EPIPE is handled where it happens. */
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    struct refusal r = {0, ""};
    if (cgroups_detect(&config.cgroups, &r) < 0 || cgroups_prepare(&config.cgroups, &r) < 0) die("cgroups: %s", r.reason);
    int rc = identity_prepare();
    if (rc < 0) die("the uid range or /run/hearth: %s", strerror(-rc));
    leftovers_reclaim(&config.cgroups);
    config.last_capability = hearth_last_capability();
    sandboxes_init();

    for (;;) {
        polled[0] = (struct pollfd){.fd = config.socket_fd, .events = POLLIN};
        polled[1] = (struct pollfd){.fd = signals, .events = POLLIN};
        /* Deadlines first: a set-up given up on closes its pipe, which must not be polled. */
        int timeout = sandboxes_retry_removals();
        int spawning = sandboxes_spawn_timeouts();
        if (spawning == -2) break;
        if (spawning >= 0 && (timeout < 0 || spawning < timeout)) timeout = spawning;
        size_t count = sandboxes_pollfds(polled, 2, sizeof polled / sizeof polled[0]);
        int ready = poll(polled, (nfds_t)count, timeout);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        int stop = 0;
        for (size_t i = 2; i < count; i++) {
            if (polled[i].revents && sandboxes_ready(polled[i].fd) < 0) stop = 1;
        }
        if (polled[1].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(signals, &info, sizeof info) == (ssize_t)sizeof info) {
                if (getppid() != parent) stop = 1;
            }
        }
        if (polled[0].revents & POLLIN) {
            int fds[HL_MAX_FDS], fd_count = 0, truncated = 0;
            ssize_t n = receive(record, fds, &fd_count, &truncated);
            /* A zero-length read is end-of-file only with the hang-up; else an empty record. */
            if (n == 0 && fd_count == 0 && (polled[0].revents & POLLHUP)) stop = 1;
            else if (n < 0) stop = n != -EAGAIN;
            else if (dispatch(record, (size_t)n, fds, fd_count, truncated) < 0) stop = 1;
            for (int i = 0; i < fd_count; i++) close(fds[i]);
        } else if (polled[0].revents & (POLLHUP | POLLERR)) {
            stop = 1;
        }
        if (stop) break;
    }
    sandboxes_kill_all();
    delegation_release(&config.cgroups);
    return 0;
}
