/*
 * Records: reading a request's fields without ever reading past it, and sending replies.
 *
 * Runs in the launcher (root, single-threaded). A request is untrusted: it comes from the
 * daemon, which parses what the internet sends. Every read here is bounds-checked against
 * the packet's length; a short field marks the cursor bad and reads as 0, and the handler
 * refuses the record once it has looked at everything (one check instead of one per field).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "launcher.h"

int refuse(struct refusal *r, int error, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(r->reason, sizeof r->reason, format, args);
    va_end(args);
    r->error = error;
    return -1;
}

static const unsigned char *take(struct cursor *c, size_t n) {
    if (c->bad || c->left < n) {
        c->bad = 1;
        return NULL;
    }
    const unsigned char *p = c->at;
    c->at += n;
    c->left -= n;
    return p;
}

uint16_t read_u16(struct cursor *c) {
    const unsigned char *p = take(c, 2);
    return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

uint32_t read_u32(struct cursor *c) {
    const unsigned char *p = take(c, 4);
    return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}

uint64_t read_u64(struct cursor *c) {
    uint64_t low = read_u32(c);
    uint64_t high = read_u32(c);
    return low | high << 32;
}

int read_string(struct cursor *c, char *out, size_t max) {
    out[0] = '\0';
    uint16_t n = read_u16(c);
    if (c->bad) return -1;
    if ((size_t)n >= max) {
        c->bad = 1;
        return -1;
    }
    const unsigned char *p = take(c, n);
    if (!p) return -1;
    if (memchr(p, '\0', n)) {
        c->bad = 1;
        return -1;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

static void put_u16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v) {
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

static void put_header(unsigned char *p, uint16_t type, uint32_t length, uint32_t tag) {
    put_u32(p, HL_MAGIC);
    put_u16(p + 4, type);
    put_u16(p + 6, 0);
    put_u32(p + 8, length);
    put_u32(p + 12, tag);
}

/* One packet, with one descriptor attached when fd >= 0. MSG_NOSIGNAL: a daemon that went
   away must end the loop with EPIPE, not kill the launcher before it cleans up. */
static int send_packet(const unsigned char *bytes, size_t size, int fd) {
    struct iovec iov = {(void *)bytes, size};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&control, 0, sizeof control);
        message.msg_control = control.buffer;
        message.msg_controllen = sizeof control.buffer;
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    }
    ssize_t n;
    do { n = sendmsg(config.socket_fd, &message, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    return n == (ssize_t)size ? 0 : -EIO;
}

int send_answer(uint32_t tag, int error, uint32_t step, uint64_t id, int32_t pid, uint32_t uid, const char *reason, int fd) {
    unsigned char packet[HL_ANSWER_FIXED + 2 + HL_MAX_REASON];
    size_t reason_len = reason ? strnlen(reason, HL_MAX_REASON - 1) : 0;
    size_t size = HL_ANSWER_FIXED + 2 + reason_len;
    put_header(packet, HL_ANSWER, (uint32_t)size, tag);
    put_u32(packet + 16, (uint32_t)error);
    put_u32(packet + 20, step);
    put_u64(packet + 24, id);
    put_u32(packet + 32, (uint32_t)pid);
    put_u32(packet + 36, uid);
    put_u16(packet + 40, (uint16_t)reason_len);
    if (reason_len) memcpy(packet + 42, reason, reason_len);
    return send_packet(packet, size, fd);
}

int send_exit(uint64_t id, int exited, int status, int oom, int64_t peak) {
    unsigned char packet[HL_EXIT_SIZE];
    put_header(packet, HL_EXIT, HL_EXIT_SIZE, 0);
    put_u64(packet + 16, id);
    put_u32(packet + 24, (uint32_t)exited);
    put_u32(packet + 28, (uint32_t)status);
    put_u32(packet + 32, (uint32_t)oom);
    put_u32(packet + 36, 0);
    put_u64(packet + 40, (uint64_t)peak);
    return send_packet(packet, sizeof packet, -1);
}
