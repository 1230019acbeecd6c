// fuzz_check.hpp — the one way a fuzz target reports a broken invariant.
//
//   FUZZ_REQUIRE(reply.code >= 200, "reply code out of range");
//
// Prints the condition and the message to stderr and aborts, so libFuzzer saves the input as
// crash-<sha1> and the run fails. Expected refusals (mvsmtp::Error) are caught by the targets;
// anything else that escapes (another exception type, a sanitizer report) is a finding too.
#pragma once
#include <cstdio>
#include <cstdlib>

#define FUZZ_REQUIRE(cond, what)                                                          \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s (%s) at %s:%d\n", what, #cond, \
                         __FILE__, __LINE__);                                             \
            std::abort();                                                                 \
        }                                                                                 \
    } while (0)
