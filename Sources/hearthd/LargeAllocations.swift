#if canImport(Glibc)
import Glibc
#endif

/// How the daemon's allocator treats large blocks, set once at start-up.
///
/// glibc serves a block over its mmap threshold with its own mapping and unmaps it on free,
/// but raises the threshold to the size of each such block freed (up to 32 MiB). After one
/// worker's 8 MiB frame, every later buffer under that size came from the heap arenas (one per
/// I/O thread), and what a worker had made the daemon buffer stayed in its RSS after the
/// call: 52 → 172 MiB over six rounds of three calls that each sent an unfinished 8 MiB frame.
/// A threshold set explicitly is fixed (mallopt(3)), so large buffers (frames, request
/// bodies, results) go back to the system when they are freed. (malloc_trim(3) after such a
/// call does not help: the freed memory is the top of a thread arena, which only the raised
/// trim threshold releases.) The cost is an mmap for each large allocation, which is
/// amortised for arrays and strings that grow geometrically; the one pattern that did not,
/// appending to a `String.UnicodeScalarView` piece by piece, is gone from the JSON parser.
enum LargeAllocations {
    static let mmapThreshold: Int32 = 256 << 10
    /// `M_MMAP_THRESHOLD` in <malloc.h>, which the Glibc module does not export.
    static let mMmapThreshold: Int32 = -3

    /// False if the allocator did not take the setting (not glibc, or it refused).
    static func returnToTheSystemWhenFreed() -> Bool {
        #if canImport(Glibc)
        // mallopt is declared in <malloc.h> only; look it up rather than add a C target for it.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        return unsafeBitCast(symbol, to: Mallopt.self)(mMmapThreshold, mmapThreshold) == 1
        #else
        return false
        #endif
    }
}
