#!/bin/sh
# tests/fuzz/run.sh - build and run the libFuzzer targets of tests/fuzz/.
#
# usage: tests/fuzz/run.sh [-t SECONDS] [--build-only] [--probe] [--replay] [TARGET ...]
#
#   TARGET       record, frame, handshake (default: all of them)
#   -t SECONDS   how long each target runs (default: $FUZZ_SECONDS, else 30)
#   --build-only build the targets, run nothing
#   --probe      exit 0 when clang can build libFuzzer targets, 1 when not
#   --replay     no libFuzzer: build each target with $CC (default cc) and a
#                plain main (replay.c) and run it once over its corpus; for
#                gcc warnings, debuggers, and machines without clang
#
# Each target is built with clang -g -O1 -fsanitize=fuzzer,address,undefined
# into build/fuzz/, then run for SECONDS on tests/fuzz/corpus-run/TARGET/
# (git-ignored), which starts as a copy of the committed seed corpus
# tests/fuzz/corpus/TARGET/ and keeps what the fuzzer adds from run to run
# (FUZZ_FRESH=1 starts it again from the seeds).  Targets run one after the
# other; tests/run.py runs them two at a time.
#
# Prints one line per target with the executions run.  Exits non-zero when
# any target fails; a crashing input is saved as
# tests/fuzz/corpus-run/crashes/TARGET-crash-<sha1> - reproduce it with
#   build/fuzz/TARGET FILE
# and make it a regression test (a Check case in tests/unit/ and a copy in
# tests/fuzz/corpus/TARGET/regress-NAME).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ="$ROOT/tests/fuzz"
OUT="$ROOT/build/fuzz"
RUNDIR="$FUZZ/corpus-run"
SECONDS_EACH=${FUZZ_SECONDS:-30}
MODE=run
ALL_TARGETS="record frame handshake"

WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla"
CPP="-D_GNU_SOURCE -I$ROOT/proto -I$FUZZ"

targets=
while [ $# -gt 0 ]; do
    case "$1" in
    -t) SECONDS_EACH=$2; shift 2 ;;
    --build-only) MODE=build; shift ;;
    --probe) MODE=probe; shift ;;
    --replay) MODE=replay; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets="$targets $1"; shift ;;
    esac
done
[ -n "$targets" ] || targets=$ALL_TARGETS

# sources and libraries of each target
srcs() {
    case "$1" in
    record) echo "$FUZZ/fuzz_record.c $ROOT/proto/record.c $ROOT/proto/jsonscan.c" ;;
    frame) echo "$FUZZ/fuzz_frame.c $ROOT/proto/frame.c" ;;
    handshake) echo "$FUZZ/fuzz_handshake.c $ROOT/proto/auth.c $ROOT/proto/frame.c" ;;
    *) return 1 ;;
    esac
}
libs() {
    case "$1" in
    record) echo "$(pkg-config --cflags --libs jansson) -lm" ;;
    handshake) pkg-config --cflags --libs libcrypto ;;
    *) echo "" ;;
    esac
}

probe() {
    command -v clang >/dev/null 2>&1 || return 1
    t=$(mktemp -d) || return 1
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
        'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
        >"$t/p.c"
    clang -fsanitize=fuzzer,address,undefined "$t/p.c" -o "$t/p" >/dev/null 2>&1
    rc=$?
    rm -rf "$t"
    return $rc
}

# build TARGET: build/fuzz/TARGET, rebuilt when a source or header is newer
build() {
    t=$1
    s=$(srcs "$t") || { echo "run.sh: unknown target $t" >&2; return 1; }
    bin="$OUT/$t"
    mkdir -p "$OUT"
    # shellcheck disable=SC2086
    if [ -x "$bin" ] && [ -z "$(find $s "$FUZZ/fuzz.h" "$ROOT"/proto/*.h -newer "$bin" 2>/dev/null)" ]; then
        return 0
    fi
    # shellcheck disable=SC2086,SC2046
    clang -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all $WARN $CPP $s $(libs "$t") -o "$bin.tmp.$$" &&
        mv "$bin.tmp.$$" "$bin"
}

run_one() {
    t=$1
    if ! build "$t"; then
        echo "fuzz $t: FAIL (build)"
        return 1
    fi
    corpus="$RUNDIR/$t"
    [ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$corpus"
    mkdir -p "$corpus" "$RUNDIR/crashes"
    cp "$FUZZ/corpus/$t"/* "$corpus"/
    dict=
    [ -f "$FUZZ/$t.dict" ] && dict="-dict=$FUZZ/$t.dict"
    # a log of our own: other runs (another checkout's make check) may share
    # corpus-run/; libFuzzer is fine with a shared corpus folder
    log="$RUNDIR/$t.log.$$"
    # -timeout: an input taking 10 s is a hang; -rss_limit_mb: a leak
    # shellcheck disable=SC2086
    "$OUT/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$RUNDIR/crashes/$t-" $dict \
        "$corpus" >"$log" 2>&1
    rc=$?
    mv -f "$log" "$RUNDIR/$t.log" && log="$RUNDIR/$t.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    size=$(find "$corpus" -type f | wc -l)
    # what a target says it depends on (fuzz_record: the jansson version)
    info=$(sed -n 's/^fuzz_[a-z]*: \(oracle is .*\)/\1/p' "$log" | head -n 1)
    if [ $rc -eq 0 ]; then
        echo "fuzz $t: OK, ${execs:-?} executions in ${SECONDS_EACH}s, corpus $size inputs${info:+; $info}"
        return 0
    fi
    echo "fuzz $t: FAIL (exit $rc) after ${execs:-?} executions; log $log${info:+; $info}"
    { grep -A 1 'invariant failed' "$log"
      grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|^SUMMARY' "$log"; } |
        head -n 8
    sed -n 's/.*Test unit written to \(.*\)/  reproducer: \1/p' "$log"
    return 1
}

replay_one() {
    t=$1
    s=$(srcs "$t") || { echo "run.sh: unknown target $t" >&2; return 1; }
    cc=${CC:-cc}
    mkdir -p "$OUT"
    # shellcheck disable=SC2086,SC2046
    if ! $cc -g -O1 $WARN $CPP $s "$FUZZ/replay.c" $(libs "$t") -o "$OUT/$t-replay"; then
        echo "replay $t: FAIL (build with $cc)"
        return 1
    fi
    if "$OUT/$t-replay" "$FUZZ/corpus/$t" >/dev/null; then
        echo "replay $t: OK ($(find "$FUZZ/corpus/$t" -type f | wc -l) inputs, built with $cc)"
        return 0
    fi
    echo "replay $t: FAIL"
    return 1
}

case $MODE in
probe)
    probe
    exit $?
    ;;
replay)
    fail=0
    for t in $targets; do replay_one "$t" || fail=1; done
    exit $fail
    ;;
esac

if ! probe; then
    echo "run.sh: clang with libFuzzer (-fsanitize=fuzzer) is not available" >&2
    exit 1
fi
fail=0
for t in $targets; do
    if [ $MODE = build ]; then
        build "$t" || { echo "fuzz $t: FAIL (build)"; fail=1; }
    else
        run_one "$t" || fail=1
    fi
done
exit $fail
