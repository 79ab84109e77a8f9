#!/bin/sh
# rftkit test runner: prints TAP, ends with the plain line "N passed, N failed".
#
#   sh tests/run.sh [-r] [PATTERN...]
#
# Runs, in order: the C unit tests (build/test-common), every tests/*.reg table
# (one case a line, see tests/README.md), and every tests/t*.sh script.  With
# PATTERN only the .reg tables and scripts whose names contain it run.
# -r rewrites the expected-output files of .reg tables from what the programs
# print now (check the diff before committing!).
#
# Environment: RFT_BIN   directory of the programs under test (default bin/)
#              RFT_VALGRIND=1  run every rft program under valgrind (leaks and
#                         memory errors fail the test, exit 99)
#              RFT_KEEP=1 keep the scratch directories
#              RFT_JOBS   test scripts run at once (default: the CPUs)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
T="$top/tests"
TD="$top/testdata"
SHARED="${RFT_SHARED:-$top/../shared}"
bindir="${RFT_BIN:-bin}"
case "$bindir" in /*) ;; *) bindir="$top/$bindir" ;; esac
rewrite=0
jobs=${RFT_JOBS:-$(nproc 2>/dev/null || echo 1)}
case "$jobs" in ''|*[!0-9]*|0) echo "run.sh: RFT_JOBS must be a positive number" >&2; exit 64 ;; esac
if [ "${1:-}" = "-r" ]; then rewrite=1; shift; fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/rft-test.XXXXXX") || exit 70
if [ "${RFT_KEEP:-0}" != 1 ]; then trap 'rm -rf "$scratch"' EXIT; fi
trap 'exit 130' INT TERM

# Programs under test come first on PATH, through valgrind when asked.
wrap="$scratch/.bin"
mkdir -p "$wrap"
for prog in "$bindir"/rft "$bindir"/rft-*; do
	[ -x "$prog" ] || continue
	name=$(basename "$prog")
	if [ "${RFT_VALGRIND:-0}" = 1 ]; then
		cat > "$wrap/$name" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect "$prog" "\$@"
WRAP
		chmod +x "$wrap/$name"
	else
		ln -s "$prog" "$wrap/$name"
	fi
done
PATH="$wrap:$PATH"
export PATH T TD SHARED top scratch
export LC_ALL=C

n=0 pass=0 fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); printf 'ok %d - %s\n' "$n" "$1"; }
not_ok() { n=$((n + 1)); fail=$((fail + 1)); printf 'not ok %d - %s\n' "$n" "$1"; }
diag() { sed 's/^/# /'; }

want() {  # want NAME PATTERNS...: is NAME selected?
	name=$1; shift
	[ $# -eq 0 ] && return 0
	for p in "$@"; do
		case "$name" in *"$p"*) return 0 ;; esac
	done
	return 1
}

# --- C unit tests
if [ $# -eq 0 ] && [ -x "$top/build/test-common" ]; then
	out=$("$top/build/test-common" 2>&1)
	status=$?
	# renumber its "ok - ..." / "not ok - ..." lines into ours
	tmp="$scratch/unit.out"
	printf '%s\n' "$out" > "$tmp"
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "unit: ${line#ok - }" ;;
		"not ok "*) not_ok "unit: ${line#not ok - }" ;;
		*) printf '# %s\n' "$line" ;;
		esac
	done < "$tmp"
	if [ $status -ne 0 ] && [ $status -ne 1 ]; then
		not_ok "unit: test-common exited with $status"
	fi
fi

# --- .reg tables: EXIT <TAB> EXPECTED-STDOUT|- <TAB> STDERR-SUBSTRING|- <TAB> COMMAND
tab=$(printf '\t')
for reg in "$T"/*.reg; do
	[ -f "$reg" ] || continue
	regname=$(basename "$reg" .reg)
	want "$regname" "$@" || continue
	lineno=0
	while IFS= read -r line; do
		lineno=$((lineno + 1))
		case "$line" in ""|"#"*) continue ;; esac
		IFS="$tab" read -r want_exit want_out want_err cmd <<EOF2
$line
EOF2
		if [ -z "$cmd" ]; then
			not_ok "$regname:$lineno: malformed line (need 4 tab-separated fields)"
			continue
		fi
		dir="$scratch/$regname.$lineno"
		mkdir -p "$dir"
		(cd "$dir" && sh -c "$cmd" > "$dir/.stdout" 2> "$dir/.stderr" < /dev/null)
		got_exit=$?
		what="$regname:$lineno: $cmd"
		problem=""
		[ "$got_exit" = "$want_exit" ] || problem="exit $got_exit, expected $want_exit"
		if [ -z "$problem" ] && [ "$want_out" != "-" ]; then
			if [ $rewrite = 1 ]; then
				mkdir -p "$(dirname "$T/expected/$want_out")"
				cp "$dir/.stdout" "$T/expected/$want_out"
			elif ! cmp -s "$dir/.stdout" "$T/expected/$want_out"; then
				problem="stdout differs from expected/$want_out"
			fi
		fi
		if [ -z "$problem" ] && [ "$want_err" != "-" ] && ! grep -qF -- "$want_err" "$dir/.stderr"; then
			problem="stderr lacks: $want_err"
		fi
		if [ -z "$problem" ]; then
			ok "$what"
		else
			not_ok "$what"
			echo "$problem" | diag
			head -c 2000 "$dir/.stderr" | diag
			if [ "$want_out" != "-" ] && [ -f "$T/expected/$want_out" ]; then
				diff "$T/expected/$want_out" "$dir/.stdout" | head -20 | diag
			fi
		fi
	done < "$reg"
done

# --- shell test scripts (t*.sh); each prints "ok - what" / "not ok - what".
# They run RFT_JOBS at a time (default: the number of CPUs) under GNU parallel,
# each in its own scratch directory; -k hands them back in name order, so the
# TAP stream is the same whatever the number of jobs.  RFT_JOBS=1 runs them
# one by one in this shell.
run_script() {  # run_script NAME: run tests/NAME.sh, leave .tap and .status
	(cd "$scratch/$1" && sh "$T/$1.sh") > "$scratch/$1/.tap" 2>&1 < /dev/null
	echo $? > "$scratch/$1/.status"
}
report_script() {  # report_script NAME: its lines, renumbered into ours
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) ok "$1: ${line#ok - }" ;;
		"not ok - "*) not_ok "$1: ${line#not ok - }" ;;
		*) printf '# %s\n' "$line" ;;
		esac
	done < "$scratch/$1/.tap"
	status=$(cat "$scratch/$1/.status" 2>/dev/null || echo "none")
	if [ "$status" != 0 ]; then
		not_ok "$1: script exited with $status"
	fi
}
names="$scratch/.scripts"
: > "$names"
for script in "$T"/t*.sh; do
	[ -f "$script" ] || continue
	sname=$(basename "$script" .sh)
	want "$sname" "$@" || continue
	mkdir -p "$scratch/$sname"
	echo "$sname" >> "$names"
done
if [ "$jobs" -gt 1 ] && command -v parallel > /dev/null 2>&1; then
	# each job prints its name when done; -k hands the names back in order,
	# so the results stream out as soon as every earlier script is done
	# shellcheck disable=SC2016
	parallel --will-cite -k -j "$jobs" --halt never \
		'cd "$scratch/{}" && sh "$T/{}.sh" > .tap 2>&1 < /dev/null; echo $? > .status; echo {}' < "$names" |
	{
		while IFS= read -r sname; do
			report_script "$sname"
		done
		echo "$n $pass $fail" > "$scratch/.counts"
	}
	read -r n pass fail < "$scratch/.counts" || { echo "run.sh: parallel failed" >&2; exit 70; }
else
	while IFS= read -r sname; do
		run_script "$sname"
		report_script "$sname"
	done < "$names"
fi

echo "1..$n"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $n -gt 0 ]
