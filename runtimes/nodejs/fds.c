// hearth_fds.node: the descriptor calls the Node.js worker needs and Node does not offer.
//
// Node cannot receive descriptors (SCM_RIGHTS) nor dup2, which ../PROTOCOL.md's `fds` need. This
// N-API addon (a stable C ABI, so it loads in any Node with N-API 8) gives worker.js just those:
//
//   watch(fd, callback)  calls callback() on the event loop whenever fd is readable (and makes
//                        fd blocking, for writes)
//   recvmsg(fd)          one non-blocking recvmsg: {data: Buffer, fds: [int]}, or null if nothing
//                        is waiting; data is empty at end-of-file
//   dup(fd)              a close-on-exec copy of fd (numbered 3 or higher)
//   dup2(from, to)
//   close(fd)
//
// Every failure throws an Error whose code is the errno's name (EBADF, ...).
//
// Built with plain gcc (see the Makefile): the napi_* and uv_* symbols resolve against the node
// process that loads it.

#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

// A frame never carries more than a few descriptors; more than this is a protocol error.
#define MAX_FDS 16
#define READ_SIZE (256 * 1024)

// Only ever used on the main thread, and copied out before recvmsg returns.
static char read_buffer[READ_SIZE];

static napi_value throw_errno(napi_env env, const char *call, int error) {
    char message[160];
    snprintf(message, sizeof message, "%s: %s", call, strerror(error));
    const char *name = strerrorname_np(error);
    napi_throw_error(env, name ? name : "EIO", message);
    return NULL;
}

// An N-API call that failed: throw unless it already left an exception pending.
static napi_value throw_napi(napi_env env, const char *what) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) {
        napi_throw_error(env, NULL, what);
    }
    return NULL;
}

#define NAPI_CHECK(env, call) \
    do { if ((call) != napi_ok) return throw_napi((env), #call); } while (0)

// Reads `count` int32 arguments into `out`; throws unless each is an integer.
static bool int_arguments(napi_env env, napi_callback_info info, size_t count, int *out) {
    napi_value argv[2];
    size_t argc = 2;
    if (count > 2 || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
        throw_napi(env, "napi_get_cb_info");
        return false;
    }
    if (argc < count) {
        napi_throw_type_error(env, NULL, "missing descriptor argument");
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        if (napi_get_value_int32(env, argv[i], &out[i]) != napi_ok) {
            napi_throw_type_error(env, NULL, "descriptor arguments must be numbers");
            return false;
        }
    }
    return true;
}

static napi_value undefined(napi_env env) {
    napi_value value;
    return napi_get_undefined(env, &value) == napi_ok ? value : NULL;
}

static void close_all(const int *fds, size_t count) {
    for (size_t i = 0; i < count; i++) close(fds[i]);
}

// {data, fds} from what recvmsg returned; closes the descriptors if that fails, so that none leak.
static napi_value received(napi_env env, size_t length, const int *fds, size_t count) {
    napi_value result, data, list, number;
    bool ok = napi_create_object(env, &result) == napi_ok
        && napi_create_buffer_copy(env, length, read_buffer, NULL, &data) == napi_ok
        && napi_create_array_with_length(env, count, &list) == napi_ok
        && napi_set_named_property(env, result, "data", data) == napi_ok
        && napi_set_named_property(env, result, "fds", list) == napi_ok;
    for (size_t i = 0; ok && i < count; i++) {
        ok = napi_create_int32(env, fds[i], &number) == napi_ok && napi_set_element(env, list, (uint32_t)i, number) == napi_ok;
    }
    if (!ok) {
        close_all(fds, count);
        return throw_napi(env, "could not build recvmsg's result");
    }
    return result;
}

static napi_value js_recvmsg(napi_env env, napi_callback_info info) {
    int fd;
    if (!int_arguments(env, info, 1, &fd)) return NULL;
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(MAX_FDS * sizeof(int))];
    } control;
    struct iovec iov = {.iov_base = read_buffer, .iov_len = sizeof read_buffer};
    struct msghdr message = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes,
    };
    ssize_t length;
    do {
        length = recvmsg(fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (length < 0 && errno == EINTR);
    if (length < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            napi_value null;
            NAPI_CHECK(env, napi_get_null(env, &null));
            return null;
        }
        return throw_errno(env, "recvmsg", errno);
    }
    int fds[MAX_FDS];
    size_t count = 0;
    if (message.msg_controllen > 0) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            // The control buffer holds at most MAX_FDS, so this never truncates; it keeps the
            // copy bounded whatever the kernel reports.
            if (n > MAX_FDS - count) n = MAX_FDS - count;
            memcpy(fds + count, CMSG_DATA(c), n * sizeof(int));
            count += n;
        }
    }
    if (message.msg_flags & MSG_CTRUNC) {
        // The kernel dropped descriptors that did not fit: the frames' counts no longer match.
        close_all(fds, count);
        napi_throw_error(env, "EPROTO", "recvmsg: more descriptors arrived than fit (control data truncated)");
        return NULL;
    }
    return received(env, (size_t)length, fds, count);
}

static napi_value js_dup(napi_env env, napi_callback_info info) {
    int fd;
    if (!int_arguments(env, info, 1, &fd)) return NULL;
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) return throw_errno(env, "dup", errno);
    napi_value result;
    if (napi_create_int32(env, copy, &result) != napi_ok) {
        close(copy);
        return throw_napi(env, "napi_create_int32");
    }
    return result;
}

static napi_value js_dup2(napi_env env, napi_callback_info info) {
    int fds[2];
    if (!int_arguments(env, info, 2, fds)) return NULL;
    int result;
    do {
        result = dup2(fds[0], fds[1]);
    } while (result < 0 && (errno == EINTR || errno == EBUSY));
    if (result < 0) return throw_errno(env, "dup2", errno);
    return undefined(env);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
    int fd;
    if (!int_arguments(env, info, 1, &fd)) return NULL;
    // On Linux the descriptor is gone even when close reports EINTR: never retry.
    if (close(fd) < 0 && errno != EINTR) return throw_errno(env, "close", errno);
    return undefined(env);
}

// ---- watch --------------------------------------------------------------------------------

// One watched descriptor per process is all the worker needs (fd 3).
static struct {
    uv_poll_t poll;
    napi_env env;
    napi_ref callback;
    napi_async_context context;
    bool active;
} watcher;

static void on_readable(uv_poll_t *poll, int status, int events) {
    (void)poll, (void)status, (void)events; // the callback's recvmsg sees any error itself
    napi_env env = watcher.env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value callback, global, ignored;
    if (napi_get_reference_value(env, watcher.callback, &callback) == napi_ok && napi_get_global(env, &global) == napi_ok) {
        // make_callback rather than call_function: it runs the promise jobs and nextTick queue the
        // callback leaves, as Node does after any of its own I/O callbacks.
        if (napi_make_callback(env, watcher.context, global, callback, 0, NULL, &ignored) != napi_ok) {
            napi_value error;
            if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
        }
    }
    napi_close_handle_scope(env, scope);
}

static napi_value js_watch(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    size_t argc = 2;
    NAPI_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    int fd;
    napi_valuetype type;
    if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok
        || napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
        napi_throw_type_error(env, NULL, "watch(fd, callback)");
        return NULL;
    }
    if (watcher.active) {
        napi_throw_error(env, NULL, "watch: a descriptor is already watched");
        return NULL;
    }
    // uv_poll_init makes the descriptor non-blocking; it is made blocking again below: recvmsg
    // asks for MSG_DONTWAIT itself, and the worker's frame writes (fs.writeSync) must block
    // rather than fail while the daemon has not read the last one yet.
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return throw_errno(env, "fcntl", errno);
    struct uv_loop_s *loop;
    NAPI_CHECK(env, napi_get_uv_event_loop(env, &loop));
    napi_value resource, name;
    NAPI_CHECK(env, napi_create_object(env, &resource));
    NAPI_CHECK(env, napi_create_string_utf8(env, "hearth_fds.watch", NAPI_AUTO_LENGTH, &name));
    NAPI_CHECK(env, napi_async_init(env, resource, name, &watcher.context));
    NAPI_CHECK(env, napi_create_reference(env, argv[1], 1, &watcher.callback));
    watcher.env = env;
    int error = uv_poll_init(loop, &watcher.poll, fd);
    if (error != 0) {
        napi_throw_error(env, uv_err_name(error), uv_strerror(error));
        return NULL;
    }
    // The handle now belongs to the loop: never initialise it again, whatever fails below.
    watcher.active = true;
    if (fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return throw_errno(env, "fcntl", errno);
    error = uv_poll_start(&watcher.poll, UV_READABLE, on_readable);
    if (error != 0) {
        napi_throw_error(env, uv_err_name(error), uv_strerror(error));
        return NULL;
    }
    return undefined(env);
}

NAPI_MODULE_INIT() {
    static const struct {
        const char *name;
        napi_callback function;
    } functions[] = {
        {"watch", js_watch}, {"recvmsg", js_recvmsg}, {"dup", js_dup}, {"dup2", js_dup2}, {"close", js_close},
    };
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        napi_value function;
        NAPI_CHECK(env, napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].function, NULL, &function));
        NAPI_CHECK(env, napi_set_named_property(env, exports, functions[i].name, function));
    }
    return exports;
}
