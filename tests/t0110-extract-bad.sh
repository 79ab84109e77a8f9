# Bad input: a clear message naming file[:member|:line], a documented exit
# code, and nothing half-written left behind.
. "$T/lib.sh"

sample="$TD/phenopacket-store/all_phenopackets-sample.zip"
one="$TD/phenopackets/dev-b694d17e/ZSWIM6/PMID_33776626_fetus.json"
line=$(jq -c . "$one")

# fails CODE MESSAGE ARGS...: rft-extract -o out.jsonl ARGS must exit CODE,
# say MESSAGE on stderr, and leave neither out.jsonl nor a temporary file
fails() {
	_code=$1 _msg=$2; shift 2
	rm -f out.jsonl err
	test_must_fail "$_code" rft-extract -o out.jsonl "$@" 2> err &&
	grep_err "$_msg" err &&
	! test -e out.jsonl &&
	test -z "$(ls -A | grep '^\.out\.jsonl\.tmp' || true)"
}

test_expect_success 'truncated ZIP (cut mid-member)' '
	head -c 300000 "$sample" > cut.zip &&
	fails 65 "cut.zip: not a complete ZIP archive (truncated?" cut.zip
'
test_expect_success 'truncated ZIP (only the central directory missing)' '
	head -c 527000 "$sample" > cut2.zip &&
	fails 65 "cut2.zip: not a complete ZIP archive" cut2.zip
'
test_expect_success 'truncated ZIP on stdin' '
	rm -f out.jsonl &&
	test_must_fail 65 rft-extract -o out.jsonl < cut2.zip 2> err &&
	grep_err "<stdin>: not a complete ZIP archive" err && ! test -e out.jsonl
'
test_expect_success 'corrupt member: archive:member: reason' '
	mkdir -p z/dev/X && cp "$one" z/dev/X/a.json && touch -d 2020-01-01 z/dev/X/a.json &&
	(cd z && zip -qX ../one.zip dev/X/a.json) &&
	cp one.zip corrupt.zip &&
	printf "UUUU" | dd of=corrupt.zip bs=1 seek=300 conv=notrunc 2>/dev/null &&
	fails 65 "corrupt.zip:dev/X/a.json: cannot read member: ZIP decompression failed" corrupt.zip
'
test_expect_success 'member whose CRC does not match' '
	(cd z && zip -qX0 ../stored.zip dev/X/a.json) &&
	sed "s/PMID_33776626_fetus/PMID_33776626_fetuX/" stored.zip > crc.zip &&
	fails 65 "crc.zip:dev/X/a.json: cannot read member: ZIP bad CRC" crc.zip
'
test_expect_success 'member that is not JSON' '
	mkdir -p n/dev/X && echo "this is not JSON" > n/dev/X/b.json &&
	(cd n && zip -qX ../notjson.zip dev/X/b.json) &&
	fails 65 "notjson.zip:dev/X/b.json: invalid JSON at line 1, column 2" notjson.zip
'
test_expect_success 'JSON of the wrong shape: phenotypicFeatures not an array' '
	echo "$line" | jq -c ".phenotypicFeatures = {}" > shape.jsonl &&
	fails 65 "shape.jsonl:1: phenotypicFeatures is an object, not an array" shape.jsonl
'
test_expect_success 'JSON of the wrong shape: a feature without a type id' '
	echo "$line" | jq -c ".phenotypicFeatures[2].type = {\"label\": \"x\"}" > shape2.jsonl &&
	fails 65 "shape2.jsonl:1: phenotypicFeatures[2].type.id is missing" shape2.jsonl
'
test_expect_success 'JSON of the wrong shape: gene id not a string' '
	echo "$line" | jq -c ".interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext.valueId = 7" > shape3.jsonl &&
	fails 65 "interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext.valueId is a number, not a string" shape3.jsonl
'
test_expect_success 'JSON that is not a phenopacket: a document is skipped (and then no input is left), a JSONL line is bad' '
	echo "{\"hello\": \"world\"}" > other.json &&
	fails 65 "other.json: skipped: a JSON object without any phenopacket member" other.json &&
	grep_err "no phenopackets in the input" err &&
	echo "[1, 2]" > arr.json &&
	fails 65 "arr.json: skipped: an array, not a phenopacket" arr.json &&
	echo "[1, 2]" > arr.jsonl &&
	fails 65 "arr.jsonl:1: expected a phenopacket (a JSON object), got an array" arr.jsonl
'
test_expect_success 'invalid UTF-8, with its line' '
	{ echo "$line"; echo "$line" | sed "s/Bifid nose/Bifid \\xff nose/"; } > utf8.jsonl &&
	fails 65 "utf8.jsonl:2: invalid JSON at column" utf8.jsonl &&
	grep_err "invalid UTF-8" err
'
test_expect_success 'a line longer than --max-record is refused, with its line' '
	{ echo "$line"; echo "$line"; } > long.jsonl &&
	fails 65 "long.jsonl:1: line longer than 1000 bytes" --max-record 1000 long.jsonl
'
test_expect_success 'a huge line (70 MB, over the 64 MiB default) is refused' '
	{ echo "$line"; printf "{\"id\":\""; head -c 70000000 /dev/zero | tr "\\0" x; echo "\"}"; } > huge.jsonl &&
	fails 65 "huge.jsonl:2: line longer than 67108864 bytes" huge.jsonl
'
test_expect_success 'a member larger than --max-record is refused' '
	fails 65 "one.zip:dev/X/a.json: member larger than 1000 bytes" --max-record 1000 one.zip
'
test_expect_success 'empty file, empty stdin, empty folder' '
	: > empty.json &&
	fails 65 "empty.json: empty input" empty.json &&
	rm -f out.jsonl && test_must_fail 65 rft-extract -o out.jsonl < /dev/null 2> err &&
	grep_err "<stdin>: empty input" err && ! test -e out.jsonl &&
	mkdir emptydir &&
	fails 65 "no phenopackets in the input" emptydir &&
	rft-extract --allow-empty emptydir > none.jsonl && ! test -s none.jsonl
'
test_expect_success 'truncated .jsonl.gz' '
	{ echo "$line"; echo "$line"; echo "$line"; } | gzip -c > three.jsonl.gz &&
	head -c $(($(wc -c < three.jsonl.gz) - 12)) three.jsonl.gz > cut.jsonl.gz &&
	fails 65 "cut.jsonl.gz: truncated gzip stream" cut.jsonl.gz
'
test_expect_success 'a file that is neither JSON, ZIP nor tar' '
	head -c 3000 /dev/urandom | tr "\\000{[P" "abcd" > noise.bin &&
	fails 65 "noise.bin: not a phenopacket dump (neither JSON, ZIP nor tar)" noise.bin
'
test_expect_success 'a missing input is exit 66 and leaves no output' '
	fails 66 "cannot open '"'"'nope.zip'"'"'" nope.zip
'
test_expect_success 'a bad record after good ones: no output file, message names the line' '
	{ echo "$line"; echo "$line"; echo "{oops"; echo "$line"; } > mid.jsonl &&
	fails 65 "mid.jsonl:3: invalid JSON" mid.jsonl
'
test_expect_success '--skip-bad: bad records are counted, kept in --rejects, the rest written' '
	{ echo "$line"; echo "{oops"; echo "$line"; echo "[]"; echo "$line"; } > two-bad.jsonl &&
	rft-extract --duplicates keep --skip-bad --stats --rejects rej.jsonl two-bad.jsonl > ok.jsonl 2> err &&
	test "$(wc -l < ok.jsonl)" -eq 3 &&
	grep_err "5 phenopackets read, 3 cases written, 2 rejected (bad_record 2)" err &&
	grep_err "two-bad.jsonl:2: invalid JSON" err &&
	test "$(jq -r "[.where, .reason] | join(\" \")" rej.jsonl | tr "\\n" ,)" = "two-bad.jsonl:2 bad_record,two-bad.jsonl:4 bad_record,"
'
test_expect_success '--skip-bad=N stops after N bad records' '
	fails 65 "more than 1 bad records, stopping" --skip-bad=1 two-bad.jsonl
'
test_expect_success '--skip-bad also skips a long line and goes on' '
	rft-extract --skip-bad --max-record 1000 --stats long.jsonl > /dev/null 2> err;
	grep_err "2 rejected (bad_record 2)" err
'
test_expect_success 'write error on stdout is exit 74' '
	test_must_fail 74 rft-extract "$sample" > /dev/full 2> err &&
	grep_err "error writing standard output" err
'
test_expect_success 'a closed pipe ends quietly' '
	rft-extract "$sample" 2> err | head -1 > first &&
	test -s first && ! test -s err
'
test_expect_success 'killed mid-run: no output file and no temporary left' '
	mkfifo feed &&
	{ rft-extract -o killed.jsonl --rejects killed-rej.jsonl feed & pid=$!; } &&
	exec 3> feed &&
	echo "$line" >&3 &&
	sleep 0.3 &&
	test -n "$(ls -A | grep "^\.killed" || true)" &&
	kill -TERM $pid; wait $pid; st=$?; exec 3>&-;
	test $st -eq 143 &&
	! test -e killed.jsonl && ! test -e killed-rej.jsonl &&
	test -z "$(ls -A | grep "^\.killed" || true)"
'
