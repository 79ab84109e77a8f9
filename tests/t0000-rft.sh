# The front door, and the documentation every command must have.
. "$T/lib.sh"

test_expect_success 'rft help lists every command from its table' '
	rft help > help &&
	grep -q "^  extract  *phenopacket dumps" help
'
test_expect_success 'rft NAME runs rft-NAME with the arguments' '
	rft extract --version > v && grep -q "^rft-extract (rftkit) " v &&
	rft extract "$TD/phenopackets" > a && rft-extract "$TD/phenopackets" > b && test_cmp a b
'
test_expect_success 'rft help NAME shows the command help' '
	rft help extract > h && grep -q "^usage: rft-extract" h
'
test_expect_success 'rft --version; unknown commands and options are usage errors (64)' '
	rft --version | grep -q "^rft (rftkit) " &&
	test_must_fail 64 rft frobnicate 2> err && grep_err "'"'"'frobnicate'"'"' is not an rft command" err &&
	test_must_fail 64 rft --frob 2> err && grep_err "unknown option" err &&
	test_must_fail 64 rft 2> err && grep_err "usage: rft" err
'
test_expect_success 'every command has a man page that documents each of its options' '
	for cmd in $(rft help | sed -n "s/^  \([a-z][a-z-]*\)  .*/\1/p"); do
		page="$top/man/rft-$cmd.1" &&
		test -f "$page" || { echo "no man page for $cmd" >&2; exit 1; }
		for o in $(rft-$cmd --help | grep -o -- "--[a-z][a-z-]*" | sort -u); do
			esc=$(printf "%s" "$o" | sed "s/-/\\\\\\\\-/g") &&
			grep -q -- "$esc" "$page" || { echo "$page lacks $o" >&2; exit 1; }
		done
	done
'
test_expect_success 'man pages render without warnings' '
	if command -v man >/dev/null 2>&1; then
		for page in "$top"/man/*.1; do
			MANWIDTH=80 man -l "$page" > /dev/null 2> warn &&
			! test -s warn || { cat warn; exit 1; }
		done
	fi
'
