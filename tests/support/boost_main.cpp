// The Boost.Test entry point shared by the unit and integration executables.
#define BOOST_TEST_MODULE mvsmtp
#include <boost/test/unit_test.hpp>
