#!/bin/bash
# scripts/demo.sh — install what is missing, build, and send one message through the C ABI
# (libmvsmtp.so, exactly as BASIC's SENDMAIL calls it) into the embedded default: with no
# mail server configured the message is stored in the outbox folder, then printed here.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/bootstrap.sh"

DEMO="$ROOT/build/demo"
mkdir -p "$DEMO"
cd "$DEMO"   # the default outbox is ./mvsmtp-outbox (on a database server: the account)
# No configuration may leak in from the environment: this demo shows the embedded default.
env -u MVSMTP_CONFIG -u MVSMTP_OUTBOX HOME="$DEMO" "$ROOT/build/gci/sendmail_demo"
