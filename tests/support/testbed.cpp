// testbed helpers are header-only (tests/support/testbed.hpp) so that any integration test
// can use them without build-file changes; this translation unit only makes sure the header
// compiles on its own when listed as a source.
#include "support/testbed.hpp"
