/* SPDX-License-Identifier: MIT */
#ifndef DRAFTD_FUZZ_H
#define DRAFTD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Every tests/fuzz/fuzz_<target>.c defines the libFuzzer entry point below.
 * The plain replay driver (replay.c) compiles each harness again with
 * -DLLVMFuzzerTestOneInput=fuzz_<target>_one, so one binary built with the
 * normal compiler can feed the seed corpora and crash regressions of every
 * target to the very same code that libFuzzer runs. */

/* Runs one input; always returns 0 (libFuzzer reserves other values). A bug
 * shows as a crash, a sanitizer report or an abort(). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data (the parsers under test take C strings);
 * aborts when out of memory so a harness never mistakes it for a finding. */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
