#!/usr/bin/env bash
# Fuzzes the core parsers (cron, backup names, the gzip/SQL header reader) for a bounded time
# with tests/fuzz/run: FUZZ_SECONDS each (default 20), kept crashers replayed first.
set -euo pipefail
FUZZ_SECONDS=${FUZZ_SECONDS:-20} exec "$ROOT/tests/fuzz/run"
