# rft-report against hostile input and a full disk: a number it cannot read
# is refused with FILE:LINE (never summed as 0), and a run that fails leaves
# no output, no leak, and the history database as it was (or none at all).
. "$T/lib.sh"
R="$TD/report"
H="$TD/robustness"

# refused FILE FIELD-MESSAGE: exit 65 naming FILE:1 and the field, and no
# summary written (a report that counted the value as 0 would print one)
refused() {
	rm -f out err &&
	test_must_fail 65 rft-report --json --bootstrap 0 "$1" > out 2> err &&
	grep_err "$1:1: $2" err &&
	! test -s out
}

test_expect_success 'D4: "reward":NaN is refused, not counted as reward 0' '
	refused "$H/report-nan-reward.jsonl" "invalid JSON at column 193: NaN and Infinity are not JSON numbers"
'
test_expect_success 'D4: "reward":-Infinity is refused, not counted as reward 0' '
	refused "$H/report-neginf-reward.jsonl" "invalid JSON at column 193: NaN and Infinity are not JSON numbers"
'
test_expect_success 'D4: "reward":1e999 (control) is refused as not finite' '
	refused "$H/report-1e999-reward-control.jsonl" "grade.reward 1e999 is not finite"
'
test_expect_success 'D4: NaN or Infinity as rank, max_list or id is refused (not JSON: the strict reader names the column)' '
	g="\"predicted\":[\"A\"]" &&
	echo "{\"id\":\"X\",\"grade\":{\"reward\":1,\"rank\":NaN,$g}}" > rank.jsonl &&
	refused rank.jsonl "invalid JSON at column 38: NaN and Infinity are not JSON numbers" &&
	echo "{\"id\":\"X\",\"grade\":{\"reward\":1,\"rank\":1,\"max_list\":Infinity,$g}}" > ml.jsonl &&
	refused ml.jsonl "invalid JSON at column 51: NaN and Infinity are not JSON numbers" &&
	echo "{\"id\":NaN,\"grade\":{\"reward\":1,\"rank\":1,$g}}" > id.jsonl &&
	refused id.jsonl "invalid JSON at column 7: NaN and Infinity are not JSON numbers"
'
test_expect_success 'D4: a 400-digit reward is refused; a tiny one and an integer id are read' '
	big=$(printf "%0400d" 0) &&
	echo "{\"id\":\"X\",\"grade\":{\"reward\":1$big,\"rank\":null}}" > big.jsonl &&
	refused big.jsonl "invalid JSON at column 29: integer out of the 64-bit range" &&
	echo "{\"id\":7,\"grade\":{\"reward\":1e-999,\"rank\":null}}" > tiny.jsonl &&
	echo "{\"id\":8,\"grade\":{\"reward\":0.5e1,\"rank\":null}}" >> tiny.jsonl &&
	rft-report --json --bootstrap 0 tiny.jsonl > tiny.json &&
	jq -e ".groups[0].n == 2 and .groups[0].reward.value == 2.5" tiny.json
'

# --- a full disk: a 64 KiB tmpfs, filled up to leave 0..64 KiB free
fs="$PWD/fs"
mkdir -p "$fs"
if mount -t tmpfs -o size=64k tmpfs "$fs" 2> mount.err; then
	trap 'umount "$fs"' EXIT
	mounted=1
else
	mounted=0
fi

# fill K: empty the tmpfs, then leave 64 - K KiB free
fill() {
	rm -rf "$fs"/* "$fs"/.[!.]* &&
	if [ "$1" -gt 0 ]; then dd if=/dev/zero of="$fs/fill" bs=1k count="$1" 2> /dev/null || :; fi
}

# every amount of free space: exit 0 (and a complete page) or 74 (and no
# page, no temporary file); never a leak (exit 1 under ASan) or a crash
d17_html() {
	k=0 fails=0
	while [ $k -le 64 ]; do
		fill $k &&
		rft-report --html "$fs/p.html" "$R/base.jsonl" "$R/tuned.jsonl" > /dev/null 2> err
		rc=$?
		case $rc in
		0) grep -q "</html>" "$fs/p.html" || { echo "free $((64 - k)) KiB: incomplete page"; return 1; } ;;
		74) fails=$((fails + 1))
		    grep_err "error writing '$fs/p.html': No space left on device" err || return 1
		    test -z "$(ls -A "$fs" | grep -v "^fill$")" || { echo "left: $(ls -A "$fs")"; return 1; } ;;
		*) echo "free $((64 - k)) KiB: exit $rc"; cat err; return 1 ;;
		esac
		k=$((k + 2))
	done
	test $fails -gt 0 || { echo "the disk never ran full"; return 1; }
}

# a new history on a full disk: exit 74 and no file, or 0 and the rows
d17_new_history() {
	k=0 fails=0
	while [ $k -le 64 ]; do
		fill $k &&
		rft-report --history "$fs/h.sqlite" "$R/base.jsonl" > /dev/null 2> err
		rc=$?
		case $rc in
		0) rm -f "$fs/fill"
		   test "$(sqlite3 "$fs/h.sqlite" "select count(*) from report_runs")" = 1 || return 1 ;;
		74) fails=$((fails + 1))
		    grep_err "(no database left)" err || return 1
		    test -z "$(ls -A "$fs" | grep -v "^fill$")" || { echo "free $((64 - k)) KiB left: $(ls -A "$fs")"; return 1; } ;;
		*) echo "free $((64 - k)) KiB: exit $rc"; cat err; return 1 ;;
		esac
		k=$((k + 4))
	done
	test $fails -gt 0 || { echo "the disk never ran full"; return 1; }
}

# an existing history on a full disk: a failed run leaves it byte for byte
d17_old_history() {
	k=0 fails=0
	while [ $k -le 64 ]; do
		fill 0 &&
		rft-report --history "$fs/h.sqlite" --date 2025-01-01 "$R/base.jsonl" > /dev/null &&
		rm -f "$fs/h.sqlite-wal" "$fs/h.sqlite-shm" &&
		cp "$fs/h.sqlite" before.sqlite &&
		if [ $k -gt 0 ]; then dd if=/dev/zero of="$fs/fill" bs=1k count=$k 2> /dev/null || :; fi
		rft-report --history "$fs/h.sqlite" --date 2025-02-01 --html "$fs/p.html" \
			"$R/base.jsonl" "$R/tuned.jsonl" > /dev/null 2> err
		rc=$?
		rm -f "$fs/fill"
		case $rc in
		0) test "$(sqlite3 "$fs/h.sqlite" "select count(*) from report_runs")" = 3 || return 1 ;;
		74) fails=$((fails + 1))
		    ! test -e "$fs/p.html" || { echo "a page was left"; return 1; }
		    test "$(sqlite3 "$fs/h.sqlite" "select count(*) from report_runs; pragma integrity_check" |
			    tr "\n" " ")" = "1 ok " || { echo "free $((64 - k)) KiB: the history changed"; return 1; } ;;
		*) echo "free $((64 - k)) KiB: exit $rc"; cat err; return 1 ;;
		esac
		k=$((k + 4))
	done
	test $fails -gt 0 || { echo "the disk never ran full"; return 1; }
}

if [ $mounted = 1 ]; then
	test_expect_success 'D17: --html on a full disk: exit 74, no page, no leak' 'd17_html'
	if command -v sqlite3 > /dev/null; then
		test_expect_success 'D17: a new --history on a full disk leaves no (empty) database' 'd17_new_history'
		test_expect_success 'D17: an existing --history on a full disk is left as it was' 'd17_old_history'
	else
		test_skip 'D17: --history on a full disk' 'no sqlite3 to read the database'
	fi
else
	test_skip 'D17: rft-report on a full disk' "cannot mount a tmpfs: $(head -1 mount.err)"
fi

test_expect_success 'D17: --history that cannot be created: exit 74 and nothing made' '
	test_must_fail 74 rft-report --history nodir/h.sqlite "$R/base.jsonl" > /dev/null 2> err &&
	grep_err "nodir/h.sqlite: cannot create: No such file or directory" err &&
	! test -e nodir
'
test_expect_success 'D17: a failing output rolls the history back (stdout on /dev/full)' '
	rft-report --history h2.sqlite --date 2025-01-01 "$R/base.jsonl" > /dev/null &&
	cp h2.sqlite h2.before &&
	test_must_fail 74 rft-report --history h2.sqlite --date 2025-02-01 "$R/base.jsonl" > /dev/full 2> err &&
	grep_err "No space left on device" err &&
	if command -v sqlite3 > /dev/null; then
		test "$(sqlite3 h2.sqlite "select count(*) from report_runs")" = 1
	fi
'
