#ifndef HEARTH_LIBFUZZER_H
#define HEARTH_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (argument parsing, corpus, mutation loop) over `test_one_input`
/// and returns its exit status, or -1 if this executable was not linked with libFuzzer
/// (built without `-sanitize=fuzzer`).
int hearth_libfuzzer_run(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size));

/// Whether libFuzzer is linked in.
int hearth_libfuzzer_linked(void);

#endif
