#!/bin/sh
# Runs each hearth-fuzz target for SECONDS (make fuzz, make test) and says, per target, how
# many inputs ran, how fast, what coverage they reached, and whether anything broke.
#
#   Tests/Fuzz/fuzz.sh SECONDS [TARGET...]     (all targets when none is named)
#
# The committed corpus (Tests/Fuzz/corpus/<target>/) is read, never written: new inputs go
# to $FUZZ_WORK/<target>/corpus, crashes to $FUZZ_WORK/<target>/artifacts, the output to
# $FUZZ_WORK/<target>/log, so a run leaves the tree clean. Exits 1 if any target found
# something, printing the reproducer and how to replay it.
set -u

seconds=${1:?usage: Tests/Fuzz/fuzz.sh SECONDS [TARGET...]}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${FUZZ_BIN:-$root/.build-fuzz/debug/hearth-fuzz}
work=${FUZZ_WORK:-$root/.build-fuzz/runs}
# Per input: far above any honest input (the slowest take milliseconds), so a hit means
# superlinear work, not a slow machine.
timeout=${FUZZ_TIMEOUT:-10}
[ -x "$bin" ] || { echo "fuzz.sh: $bin is missing: make fuzz-build" >&2; exit 2; }
[ $# -gt 0 ] || set -- $("$bin" list | cut -f1)

# FUZZ_SEED fixes libFuzzer's seed (make test): a run then explores what an earlier run with the
# same seed explored, as far as its time allows, so that a find fails where it was found and
# not on a later, unrelated change. make fuzz leaves it random.

# Swift's backtracer would take seconds per crash and report it again; libFuzzer and
# AddressSanitizer report it already.
export SWIFT_BACKTRACE=enable=no

# fuzz TARGET DIR: one libFuzzer run, new inputs into DIR/corpus, the committed corpus read only.
fuzz() {
    dict=$root/Tests/Fuzz/dict/$1.dict
    set -- "$1" "$2" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$2/artifacts/"
    [ -f "$dict" ] && set -- "$@" -dict="$dict"
    [ -n "${FUZZ_SEED:-}" ] && set -- "$@" -seed="$FUZZ_SEED"
    target=$1 dir=$2
    shift 2
    "$bin" "$target" "$@" "$dir/corpus" "$root/Tests/Fuzz/corpus/$target"
}

status=0
printf '%-10s %6s %12s %8s %6s %7s %8s  %s\n' target seconds execs exec/s cov ft corpus result
for target in "$@"; do
    dir=$work/$target
    rm -rf "$dir/artifacts"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    started=$(date +%s)
    fuzz "$target" "$dir" >"$dir/log" 2>&1
    code=$?
    elapsed=$(( $(date +%s) - started ))
    # The last status line: "#123 DONE cov: 45 ft: 67 corp: 8/90b ... exec/s: 1000 rss: ...".
    last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corpus=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
    found=$(ls "$dir/artifacts")
    if [ $code -eq 0 ] && [ -z "$found" ]; then
        result=clean
    else
        result="FOUND (exit $code)"
        status=1
    fi
    printf '%-10s %6s %12s %8s %6s %7s %8s  %s\n' "$target" "$elapsed" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$result"
    if [ "$result" != clean ]; then
        grep -E 'hearth-fuzz: .*property failed|ERROR: (libFuzzer|AddressSanitizer)|SUMMARY' "$dir/log" | head -5 | sed 's/^/    /'
        for artifact in $found; do
            echo "    reproducer: $dir/artifacts/$artifact"
            echo "    replay:     $bin $target $dir/artifacts/$artifact   (or .build/debug/hearth-fuzz, without the sanitizer)"
        done
        echo "    log:        $dir/log"
    fi
done
exit $status
