/*
 * fuzz.h - what every libFuzzer target in tests/fuzz/ defines.
 *
 * Built with clang -fsanitize=fuzzer by tests/fuzz/run.sh; replay.c gives
 * the same targets a plain main() so that any compiler can build them and
 * run a corpus or a reproducer once (gcc warnings, no libFuzzer needed).
 */
#ifndef LC_FUZZ_H
#define LC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, once before the first input (libFuzzer's hook; replay.c calls
 * it too when the target defines it): say what the run depends on. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant broke: say which, and abort so libFuzzer saves the input. */
#define FUZZ_ASSERT(cond, ...)                                                   \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                      \
            fprintf(stderr, "  " __VA_ARGS__);                                   \
            fputc('\n', stderr);                                                 \
            abort();                                                             \
        }                                                                        \
    } while (0)

#endif
