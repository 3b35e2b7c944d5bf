#!/usr/bin/env bash
# The system test from the host: boots the Debian 12 VM (vm.sh) with the .deb and checks.py in
# a fresh share, prints the table of checks, and fails if any check failed or none ran.
#
#   Tests/system/run.sh [path/to/hearth_*.deb]
#
# Without an argument: HEARTH_DEB, else the newest .build-deb/hearth_*_amd64.deb of this
# clone (where `make deb` puts it; `make test-system` builds it first). The share is kept
# (its path is printed) so that a failure's run.log and console.log can be read afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

deb=${1:-${HEARTH_DEB:-}}
if [ -z "$deb" ]; then
  deb=$(ls -t "$top"/.build-deb/hearth_*_amd64.deb 2>/dev/null | head -1 || true)
fi
[ -n "$deb" ] && [ -f "$deb" ] || {
  echo "run.sh: no .deb to test: pass one, set HEARTH_DEB, or run 'make deb' first" >&2; exit 2; }

# A fresh directory each run: the guest writes results into it, and a stale results.txt
# must never pass for this run's.
share=$(mktemp -d "${TMPDIR:-/tmp}/hearth-system.XXXXXX")
cp "$deb" "$share/"
cp "$here/checks.py" "$share/"
cat > "$share/run.sh" <<'EOF'
#!/bin/sh
exec python3 /mnt/share/checks.py
EOF
chmod 0755 "$share/run.sh"
echo "run.sh: testing $(basename "$deb") in the VM; share $share" >&2

started=$(date +%s)
status=0
# The checks themselves take a few minutes under TCG on top of the boot.
HEARTH_VM_TIMEOUT=${HEARTH_VM_TIMEOUT:-1200} "$here/vm.sh" run "$share" || status=$?
took=$(( $(date +%s) - started ))

echo
echo "System test ($(basename "$deb"), ${took}s; logs in $share):"
if [ ! -s "$share/results.txt" ]; then
  echo "  no check reported (vm.sh exited $status); see $share/run.log and $share/console.log"
  exit 1
fi
awk -F'\t' '{ printf "  %-4s %5s  %-62s %s\n", $1, $2, $3, $4 }' "$share/results.txt"
failed=$(grep -c '^FAIL' "$share/results.txt" || true)
passed=$(grep -c '^PASS' "$share/results.txt" || true)
echo "  $passed passed, $failed failed"
if [ "$failed" != 0 ] || [ "$status" != 0 ]; then
  exit 1
fi
