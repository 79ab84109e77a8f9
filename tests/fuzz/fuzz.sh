#!/bin/sh
# make fuzz: run each libFuzzer target (build/fuzz/fuzz-TARGET, make
# fuzz-build) for SECONDS, then print a table of executions, coverage and
# crashes.  Never run in CI.
#
#   sh tests/fuzz/fuzz.sh SECONDS TARGET...
#
# Per target: the working corpus is build/fuzz/corpus/TARGET (new inputs go
# there; tests/fuzz/corpus and tests/fuzz/repro are read, never written),
# crash, leak and timeout inputs go to build/fuzz/crashes/TARGET/, the whole
# libFuzzer log to build/fuzz/logs/TARGET.log.  libFuzzer runs in fork mode
# (one job at a time) going on after a crash, so that a known defect does
# not end the run; FUZZ_FLAGS adds flags (e.g. FUZZ_FLAGS=-fork=0 to stop
# at the first crash).
set -u
secs=${1:?usage: fuzz.sh SECONDS TARGET...}
shift
B=build/fuzz
mkdir -p "$B/logs"
printf '%-12s %8s %10s %7s %7s %8s  %s\n' target seconds execs cov ft crashes log
for t in "$@"; do
	mkdir -p "$B/corpus/$t" "$B/crashes/$t"
	before=$(ls "$B/crashes/$t" | wc -l)
	"$B/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
		-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -print_final_stats=1 \
		-artifact_prefix="$B/crashes/$t/" ${FUZZ_FLAGS:-} \
		"$B/corpus/$t" "tests/fuzz/corpus/$t" "tests/fuzz/repro/$t" > "$B/logs/$t.log" 2>&1
	# the last status line: "#N DONE cov: X ft: Y" (plain) or "#N: cov: X ft: Y ..." (fork mode)
	line=$(grep -a -E '^#[0-9]+:? +(DONE +)?cov: ' "$B/logs/$t.log" | tail -n 1)
	execs=$(echo "$line" | sed -E 's/^#([0-9]+).*/\1/')
	cov=$(echo "$line" | sed -E 's/.*cov: ([0-9]+).*/\1/')
	ft=$(echo "$line" | sed -E 's/.*ft: ([0-9]+).*/\1/')
	after=$(ls "$B/crashes/$t" | wc -l)
	printf '%-12s %8s %10s %7s %7s %8s  %s\n' "$t" "$secs" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
		"$((after - before))" "$B/logs/$t.log"
done
echo "new crashes: build/fuzz/crashes/TARGET/ (replay one: build/release/fuzz-replay-TARGET FILE)"
