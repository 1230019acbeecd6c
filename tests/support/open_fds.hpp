// open_fds.hpp — how many descriptors this process has open, to prove a path leaks none.
//
//   const int before = testsupport::open_fds();  ...  BOOST_TEST(testsupport::open_fds() == before);
#pragma once
#include <dirent.h>

namespace testsupport {

inline int open_fds() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
        while (readdir(d)) ++n;
        closedir(d);
    }
    return n;
}

}  // namespace testsupport
