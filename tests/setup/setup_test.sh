#!/usr/bin/env bash
# .ci/setup as root without sudo (a fresh Debian container), as a user with sudo, and as a user
# without it, against stand-ins for id, sudo and apt-get that record how they were called.
set -euo pipefail
repo="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fake="$work/bin"
mkdir -p "$fake"
cat > "$fake/apt-get" <<'SH'
#!/bin/sh
echo "apt-get $1 by uid $FAKE_UID${VIA_SUDO:+ via sudo}" >> "$LOG"
SH
cat > "$fake/id" <<'SH'
#!/bin/sh
echo "$FAKE_UID"
SH
cat > "$fake/sudo" <<'SH'
#!/bin/sh
VIA_SUDO=1 FAKE_UID=0 exec "$@"
SH
chmod +x "$fake"/*
# A PATH with the stand-ins, the system's tools, and (case by case) no sudo at all.
nosudo="$work/nosudo"
mkdir -p "$nosudo"
for tool in env cat bash dirname; do ln -s "$(command -v $tool)" "$nosudo/$tool"; done
ln -s "$fake/apt-get" "$nosudo/apt-get"
ln -s "$fake/id" "$nosudo/id"
# Stand-ins for a machine that already has Node.js and npm (the usual case below).
node="$work/node"
mkdir -p "$node"
printf '#!/bin/sh\nexit 0\n' > "$node/node"
cp "$node/node" "$node/npm"
chmod +x "$node"/*

fail() { echo "FAIL: $*" >&2; exit 1; }
export LOG="$work/log"

: > "$LOG"
FAKE_UID=0 PATH="$nosudo:$node" "$repo/.ci/setup" || fail "as root without sudo: exit $?"
[ "$(cat "$LOG")" = "$(printf 'apt-get update by uid 0\napt-get install by uid 0')" ] || fail "as root: $(cat "$LOG")"

: > "$LOG"
FAKE_UID=1000 PATH="$fake:$nosudo:$node" "$repo/.ci/setup" || fail "as a user with sudo: exit $?"
[ "$(cat "$LOG")" = "$(printf 'apt-get update by uid 0 via sudo\napt-get install by uid 0 via sudo')" ] || fail "with sudo: $(cat "$LOG")"

: > "$LOG"
FAKE_UID=0 PATH="$nosudo" "$repo/.ci/setup" || fail "as root on a machine without Node.js: exit $?"
[ "$(cat "$LOG")" = "$(printf 'apt-get update by uid 0\napt-get install by uid 0\napt-get install by uid 0')" ] ||
  fail "without Node.js, nodejs and npm are not installed: $(cat "$LOG")"

: > "$LOG"
set +e
out="$(FAKE_UID=1000 PATH="$nosudo" "$repo/.ci/setup" 2>&1)"
code=$?
set -e
[ "$code" = 2 ] || fail "as a user without sudo: exit $code, not 2"
[ ! -s "$LOG" ] || fail "as a user without sudo, apt-get ran: $(cat "$LOG")"
case "$out" in *"needs root: run it as root, or install sudo"*) ;; *) fail "no reason given: $out" ;; esac
echo "setup: root, sudo, no-sudo and no-Node.js paths ok"
