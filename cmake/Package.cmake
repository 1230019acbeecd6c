# cmake/Package.cmake — install rules and CPack: the release bundle a database site needs
# no compiler for. Included from the top CMakeLists.txt after gci/.
#
#   cmake --install build --prefix DIR       the bundle layout in DIR; --component runtime:
#                                            lib/, bin/, include/ only (what install/install
#                                            stages when it runs from a build tree)
#   cpack --config build/CPackConfig.cmake   build/package/mvsmtp-<version>-linux-<arch>.tar.gz
#                                            and build/package/mvsmtp_<version>_<debarch>.deb
#   scripts/package.sh                       build + both packages
#
# The layout (the tarball's top folder mvsmtp-<version>-linux-<arch>/; the .deb puts the
# same tree under /opt/mvsmtp):
#   lib/      libmvsmtp.so.<version> (+ .so.<major>, .so), rpath $ORIGIN, and the Poco
#             libraries it needs, copied from the build machine under their SONAMEs
#   bin/      mvsmtp, rpath $ORIGIN/../lib
#   include/  mvsmtp.h
#   basic/ install/ docs/ README.md    as in the source tree
#   gci/platforms/                      the engine glue sources install/ copies in native mode
#   BUNDLE    the version; install/install takes its binaries from lib/ and bin/ when it is there
# Everything else (OpenSSL, libidn2, libstdc++, libc, zlib, PCRE, expat) stays the system's: the .deb
# depends on the Debian packages that hold them (dpkg-shlibdeps).

# --- rpath style --------------------------------------------------------------------------
# DT_RPATH, not DT_RUNPATH: a RUNPATH serves only the object's own DT_NEEDED, so libPocoUtil
# would look for libPocoXML/libPocoJSON (which libmvsmtp.so does not name) in the system
# directories and not in $ORIGIN. An RPATH is also searched for the dependencies of the
# libraries it loaded, and LD_LIBRARY_PATH cannot swap the bundled Poco for another.
target_link_options(mvsmtp PRIVATE -Wl,--disable-new-dtags)
target_link_options(mvsmtp_cli PRIVATE -Wl,--disable-new-dtags)

# --- install rules ------------------------------------------------------------------------
# cpack, "--target package" and "--target install" take what is built and build nothing
# (scripts/package.sh builds first), so tests/package/test_bundle.sh can run cpack without
# starting a second build in a tree that may be building.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
install(TARGETS mvsmtp LIBRARY DESTINATION lib COMPONENT runtime)
install(TARGETS mvsmtp_cli RUNTIME DESTINATION bin COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/gci/abi/mvsmtp.h DESTINATION include COMPONENT runtime)

# The Poco libraries libmvsmtp.so and mvsmtp load, resolved when the install runs (so the
# bundle carries exactly what this build linked), each copied as its real file under its
# SONAME. Nothing but libPoco* is taken from the system.
install(CODE [[
  file(GET_RUNTIME_DEPENDENCIES
    LIBRARIES "$<TARGET_FILE:mvsmtp>"
    EXECUTABLES "$<TARGET_FILE:mvsmtp_cli>"
    RESOLVED_DEPENDENCIES_VAR _mvs_poco
    UNRESOLVED_DEPENDENCIES_VAR _mvs_poco_missing
    CONFLICTING_DEPENDENCIES_PREFIX _mvs_poco_conflict
    PRE_INCLUDE_REGEXES "^libPoco"
    PRE_EXCLUDE_REGEXES ".*")
  if(_mvs_poco_missing)
    message(FATAL_ERROR "mvsmtp bundle: cannot find ${_mvs_poco_missing}")
  endif()
  # The same library reached through /lib and /usr/lib (merged /usr) is one file.
  foreach(_name IN LISTS _mvs_poco_conflict_FILENAMES)
    set(_real "")
    foreach(_p IN LISTS _mvs_poco_conflict_${_name})
      file(REAL_PATH "${_p}" _r)
      if(_real AND NOT _real STREQUAL _r)
        message(FATAL_ERROR "mvsmtp bundle: two different ${_name}: ${_mvs_poco_conflict_${_name}}")
      endif()
      set(_real "${_r}")
    endforeach()
    list(APPEND _mvs_poco_files "${_name}=${_real}")
  endforeach()
  foreach(_p IN LISTS _mvs_poco)
    get_filename_component(_soname "${_p}" NAME)
    file(REAL_PATH "${_p}" _r)
    list(APPEND _mvs_poco_files "${_soname}=${_r}")
  endforeach()
  foreach(_e IN LISTS _mvs_poco_files)
    string(REGEX REPLACE "=.*" "" _soname "${_e}")
    string(REGEX REPLACE "^[^=]*=" "" _r "${_e}")
    file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib" TYPE FILE
         FILES "${_r}" RENAME "${_soname}")
  endforeach()
]] COMPONENT runtime)

set(_mvs_tree_excludes PATTERN "*~" EXCLUDE PATTERN "*.swp" EXCLUDE
                       PATTERN "__pycache__" EXCLUDE PATTERN "*.pyc" EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/basic/ DESTINATION basic USE_SOURCE_PERMISSIONS COMPONENT bundle ${_mvs_tree_excludes})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/install/ DESTINATION install USE_SOURCE_PERMISSIONS COMPONENT bundle ${_mvs_tree_excludes})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION docs COMPONENT bundle ${_mvs_tree_excludes})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/gci/platforms/ DESTINATION gci/platforms COMPONENT bundle ${_mvs_tree_excludes})
file(WRITE ${PROJECT_BINARY_DIR}/BUNDLE "${PROJECT_VERSION}\n")
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_BINARY_DIR}/BUNDLE DESTINATION . COMPONENT bundle)

# --- CPack --------------------------------------------------------------------------------
set(CPACK_GENERATOR TGZ DEB)
set(CPACK_PACKAGE_NAME mvsmtp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "mvsmtp")
set(CPACK_PACKAGE_CONTACT "mvsmtp maintainers <maintainers@users.noreply.h-seed-80f7f24b.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "e-mail (SMTP with TLS) for MultiValue BASIC")
set(CPACK_PACKAGE_DESCRIPTION "libmvsmtp.so (a C ABI with the Poco libraries it needs beside it), \
the mvsmtp program, the BASIC sources and the installer for UniVerse, UniData, D3 and jBASE. \
Run /opt/mvsmtp/install/install to put it into an account.")
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/package)
set(CPACK_PACKAGE_FILE_NAME mvsmtp-${PROJECT_VERSION}-linux-${CMAKE_SYSTEM_PROCESSOR})
set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_GENERATOR "")

set(CPACK_DEBIAN_PACKAGE_NAME mvsmtp)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: what stays the system's. CPACK_DEBIAN_PACKAGE_SHLIBDEPS cannot be used: for the
# bundled Poco, dpkg-shlibdeps finds no package information in the package tree and falls
# back to the system's copies, adding libpoco*80. This list is its output with the Poco
# packages excluded (-x), and tests/package/test_bundle.sh checks it against that again.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.34), libexpat1 (>= 2.0.1), libgcc-s1 (>= 3.4), libidn2-0 (>= 2.0.0), \
libpcre3, libssl3 (>= 3.0.0), libstdc++6 (>= 11), zlib1g (>= 1:1.1.4)")

# Per generator: only the .deb is rooted at /opt/mvsmtp; the tarball's tree is the bundle.
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake)
file(WRITE ${CPACK_PROJECT_CONFIG_FILE} [[
if(CPACK_GENERATOR STREQUAL "DEB")
  set(CPACK_PACKAGING_INSTALL_PREFIX /opt/mvsmtp)
endif()
]])
include(CPack)
