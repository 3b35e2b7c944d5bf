// hearth-fuzz's bridge to libFuzzer. Runs in the hearth-fuzz process only, unprivileged.
//
// `LLVMFuzzerRunDriver` is libFuzzer's entry point for a program with its own `main`
// (LLVM's "using libFuzzer as a library"): SwiftPM gives every executable a `main` of its
// own, so libFuzzer's is never the one that runs. The reference is weak: in a normal build
// there is no libFuzzer, the symbol is null, and hearth-fuzz replays files instead. One
// source, two builds, no conditional compilation.
#include "libfuzzer.h"

extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size))
    __attribute__((weak));

int hearth_libfuzzer_linked(void) {
    return LLVMFuzzerRunDriver != NULL;
}

int hearth_libfuzzer_run(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size)) {
    if (LLVMFuzzerRunDriver == NULL) return -1;
    return LLVMFuzzerRunDriver(argc, argv, test_one_input);
}
