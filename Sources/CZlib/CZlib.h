// zlib for HearthZip (inflate, CRC-32) and the tests' zip writer (deflate).
//
// zlib's init calls are macros that pass sizeof(z_stream) and the header's version, which
// Swift cannot import: these wrappers make them plain functions. windowBits -15 means raw
// deflate, the form zip entries hold (no zlib header or trailer).
#pragma once
#include <zlib.h>

static inline int czlib_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -MAX_WBITS);
}

static inline int czlib_deflate_init_raw(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
}
