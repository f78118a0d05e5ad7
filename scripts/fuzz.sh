#!/usr/bin/env bash
# Builds the libFuzzer executables (Fuzz/, a separate SwiftPM package) and runs each target for
# a given time with its seed corpus and dictionary. See FUZZING.md.
#
#   scripts/fuzz.sh [--seconds N] [--no-build] [target...]   default: every target, 600 s each
#   scripts/fuzz.sh --list                                   the targets and their -max_len
#
# Each run works on a copy of Fuzz/Corpus/<target> in Fuzz/.build/fuzz-work/<target>/corpus (so
# the committed corpus stays small) and writes its log and any crash file next to it. Runs are
# sequential and niced (the machine is shared). Exit status 1 if any target crashed.
set -euo pipefail

cd "$(dirname "$0")/.."
fuzz_dir=Fuzz
scratch=$fuzz_dir/.build
work=$scratch/fuzz-work

# name:max_len, in run order (the same table as FuzzTargets.all).
targets=(
    pop3-session:4096 smtp-session:8192 smtp-data:4096 sasl:1024
    passwd:4096 config:8192 pop3-command:512 smtp-command:2048
    imap-parser:4096 mime:16384
)
# Extra libFuzzer options per target. config: TOMLKit 0.6.0 leaks its error buffer on every
# parse, which LeakSanitizer would report as the first "crash", and its toml++ aborts on some
# malformed table headers (see FUZZING.md): fork mode records such crashes and keeps going.
extra_options() {
    case $1 in
        config) echo "-detect_leaks=0 -fork=1 -ignore_crashes=1" ;;
    esac
}
asan_options() {
    case $1 in
        config) echo "ASAN_OPTIONS=detect_leaks=0" ;;  # also the report at exit
        *) echo "ASAN_OPTIONS=" ;;
    esac
}

seconds=600
build=1
selected=()
while (($#)); do
    case $1 in
        --seconds) seconds=$2; shift 2 ;;
        --seconds=*) seconds=${1#*=}; shift ;;
        --no-build) build=0; shift ;;
        --list)
            for entry in "${targets[@]}"; do printf '%-14s -max_len=%s\n' "${entry%%:*}" "${entry##*:}"; done
            exit 0 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) selected+=("$1"); shift ;;
    esac
done

max_len_of() {
    local entry
    for entry in "${targets[@]}"; do
        if [[ ${entry%%:*} == "$1" ]]; then echo "${entry##*:}"; return 0; fi
    done
    return 1
}

if ((${#selected[@]} == 0)); then
    for entry in "${targets[@]}"; do selected+=("${entry%%:*}"); done
fi
for name in "${selected[@]}"; do
    max_len_of "$name" >/dev/null || { echo "unknown target $name (see --list)" >&2; exit 2; }
done

if ((build)); then
    # Both flags are needed: --sanitize=fuzzer makes SwiftPM link libFuzzer's main, and
    # -sanitize=fuzzer,address gives swiftc coverage instrumentation plus ASan (a second
    # --sanitize would replace the first for the compiler).
    echo "== building $fuzz_dir (debug, fuzzer + address sanitizer)"
    swift build -c debug --package-path "$fuzz_dir" --scratch-path "$scratch" \
        --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address 2>&1 \
        | grep -v "Cannot export local symbol '__asan_" || true
    [[ -x $scratch/debug/${selected[0]} ]] || { echo "build failed" >&2; exit 1; }
fi

crashed=0
for name in "${selected[@]}"; do
    dir=$work/$name
    mkdir -p "$dir/corpus"
    # Run a copy, so the package can be rebuilt while a fuzzer runs.
    binary=$dir/$name.fuzzer
    cp "$scratch/debug/$name" "$binary"
    cp -n "$fuzz_dir/Corpus/$name"/* "$dir/corpus/" 2>/dev/null || true
    rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*
    log=$dir/fuzz.log
    echo "== $name: $seconds s, -max_len=$(max_len_of "$name"), log $log"
    status=0
    # The Swift runtime's own crash handler trips ASan after a trap; libFuzzer reports it cleanly.
    env "$(asan_options "$name")" SWIFT_BACKTRACE=enable=no nice -n 19 "$binary" \
        -max_total_time="$seconds" -max_len="$(max_len_of "$name")" -timeout=10 \
        -dict="$fuzz_dir/Dictionaries/$name.dict" -print_final_stats=1 \
        $(extra_options "$name") -artifact_prefix="$dir/" "$dir/corpus" >"$log" 2>&1 || status=$?
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    echo "   executions: ${runs:-?}  exec/s: ${rate:-?}  corpus files: $(ls "$dir/corpus" | wc -l)"
    echo "   last status: ${last:-none}"
    artifacts=$(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* 2>/dev/null || true)
    if [[ -n $artifacts || $status -ne 0 ]]; then
        crashed=1
        echo "   FAILED (exit $status); artifacts:"
        for file in $artifacts; do echo "     $file"; done
        grep -m3 -E 'Fatal error|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY' "$log" | sed 's/^/     /' || true
        echo "   minimize: $(asan_options "$name") SWIFT_BACKTRACE=enable=no $binary -minimize_crash=1 -max_total_time=60 <crash file>"
        echo "   then commit it as Fuzz/Crashes/$name/<short-name>"
    fi
done
exit $crashed
