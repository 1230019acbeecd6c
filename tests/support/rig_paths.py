"""Where the build and the loopback test rig keep things, and whether a rig port answers,
for the Python test scripts.

    sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
    from rig_paths import BUILD, CLI, LIB, TESTBED, CA, MAILDIR, RIG_LOG, reachable

MVSMTP_BUILD_DIR (default ./build) and MVSMTP_TESTBED (default /tmp/mvsmtp-testbed) move them."""
import os
import socket

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("MVSMTP_BUILD_DIR", os.path.join(ROOT, "build"))
CLI = os.path.join(BUILD, "gci", "mvsmtp")               # the mvsmtp program
LIB = os.path.join(BUILD, "gci", "libmvsmtp.so")         # the C ABI
TESTBED = os.environ.get("MVSMTP_TESTBED", "/tmp/mvsmtp-testbed")
CA = os.path.join(TESTBED, "tls", "ca.crt")              # trust anchor of every rig server
MAILDIR = os.path.join(TESTBED, "vmail", "example.test", "testuser", "new")
RIG_LOG = os.path.join(TESTBED, "log")


def reachable(port, host="127.0.0.1"):
    """True when something accepts a TCP connection on host:port within 2 s."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False
