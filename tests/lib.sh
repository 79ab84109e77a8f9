# Sourced by tests/t*.sh (after git's test-lib): each test prints
# "ok - WHAT" or "not ok - WHAT" plus its output as "# " lines on failure.
# Runs in a scratch directory; $T, $TD, $SHARED, $top are set by run.sh.
set -u

test_expect_success() {  # test_expect_success 'what' 'commands'
	_what=$1
	_log=$(mktemp "${TMPDIR:-/tmp}/rft-t.XXXXXX")
	if (eval "$2") > "$_log" 2>&1; then
		printf 'ok - %s\n' "$_what"
	else
		printf 'not ok - %s\n' "$_what"
		head -c 3000 "$_log" | sed 's/^/# /'
	fi
	rm -f "$_log"
}

test_skip() {  # test_skip 'what' 'why': counted as passed, the reason shown
	printf 'ok - %s # SKIP %s\n' "$1" "$2"
}

# test_must_fail CODE cmd args...: cmd must exit with exactly CODE
test_must_fail() {
	_want=$1; shift
	"$@"
	_got=$?
	if [ "$_got" -ne "$_want" ]; then
		echo "expected exit $_want, got $_got: $*" >&2
		return 1
	fi
	return 0
}

test_cmp() {  # test_cmp expected actual
	cmp -s "$1" "$2" && return 0
	echo "files differ: $1 $2" >&2
	diff "$1" "$2" | head -20 >&2
	return 1
}

# grep_err PATTERN FILE: FILE (stderr) must contain the fixed string
grep_err() {
	grep -qF -- "$1" "$2" && return 0
	echo "'$2' lacks: $1" >&2
	cat "$2" >&2
	return 1
}
