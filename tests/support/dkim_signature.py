"""One DKIM signature checked with Debian's python3-dkim, and why it failed, in one line.

    from dkim_signature import verify_signature, one_line
    ok, reason = verify_signature(message_bytes, 0, dnsfunc)    # dnsfunc(name, timeout) -> TXT

Used by tests/testbed/dkim_verify.py (the rig's verifier) and tests/fuzz/check_mime.py.
python3-dkim logs, rather than raises, why a key was unusable; the log is caught here so the
reason can be shown. A b= of the wrong length makes PyNaCl raise its own error: that is a
failed signature too, never a crash of the checker.
"""
import logging

import dkim


class _Reasons(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.last = None

    def emit(self, record):
        self.last = record.getMessage()


def verify_signature(message, idx, dnsfunc):
    """(True, None) when signature idx of message verifies, else (False, the reason)."""
    reasons = _Reasons()
    logger = logging.getLogger("dkim_signature.%d" % idx)
    logger.propagate = False
    logger.handlers = [reasons]
    try:
        if dkim.DKIM(message, logger=logger).verify(idx=idx, dnsfunc=dnsfunc):
            return True, None
        return False, reasons.last or "signature (b=) does not verify"
    except dkim.DKIMException as e:     # body hash mismatch, bad tags, ...
        return False, str(e)
    except Exception as e:              # e.g. PyNaCl on a b= of the wrong length
        return False, "%s: %s" % (type(e).__name__, e)


def one_line(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
