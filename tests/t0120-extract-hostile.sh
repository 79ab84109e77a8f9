# rft-extract on folders that link back into themselves: every phenopacket is
# read once, each symbolic link loop or link to something read already is
# named on stderr and counted, and the run goes on (exit 0).
. "$T/lib.sh"

sample="$TD/phenopacket-store/all_phenopackets-sample.zip"

# a small store: three gene folders of the release sample, as real files
mkdir -p x store &&
(cd x && unzip -q "$sample") &&
for g in AAGAB ADGRG1 ARHGEF15; do cp -r "x/dev-b694d17e/$g" store/; done
distinct=$(find store -type f -name "*.json" | wc -l)

# cases FILE: the number of case lines, and no case id twice
cases() {
	test -z "$(jq -r .id "$1" | sort | uniq -d)" || { echo "duplicate cases in $1"; return 1; }
	wc -l < "$1" | tr -d " "
}

test_expect_success 'D18: a folder linked back to its parent is read once, the loop named once' '
	test "$distinct" -gt 10 &&
	rm -rf s && cp -r store s && ln -s .. s/AAGAB/loop &&
	rft-extract --stats -o out.jsonl s 2> err &&
	test "$(cases out.jsonl)" = "$distinct" &&
	grep_err "skipping '\''s/AAGAB/loop'\'': a symbolic link loop (it is the folder '\''s'\'' again)" err &&
	test "$(grep -c "a symbolic link loop" err)" = 1 &&
	grep_err "$distinct phenopackets read, $distinct cases written" err &&
	grep_err "1 link skipped (symbolic link loops, folders or files read already)" err
'
test_expect_success 'D18: the same on stdout: no duplicate written before anything fails' '
	rft-extract s > stdout.jsonl 2> err &&
	test_cmp out.jsonl stdout.jsonl &&
	grep_err "a symbolic link loop" err
'
test_expect_success 'D18: a loop deeper down (a link to the root from two levels below)' '
	rm -rf s2 && mkdir -p s2/dev && cp -r store/* s2/dev/ && ln -s ../../ s2/dev/ADGRG1/up &&
	rft-extract --stats s2 > out2.jsonl 2> err &&
	test "$(cases out2.jsonl)" = "$distinct" &&
	grep_err "skipping '\''s2/dev/ADGRG1/up'\'': a symbolic link loop (it is the folder '\''s2'\'' again)" err
'
test_expect_success 'D18: a link to a file or a folder read already is skipped with a warning' '
	rm -rf s3 && cp -r store s3 &&
	f=$(cd s3/AAGAB && ls *.json | head -1) &&
	ln -s "../AAGAB/$f" s3/ARHGEF15/zz-alias.json &&
	ln "s3/AAGAB/$f" s3/ADGRG1/zz-hardlink.json &&
	ln -s ../AAGAB s3/ARHGEF15/zz-again &&
	rft-extract --stats s3 > out3.jsonl 2> err &&
	test "$(cases out3.jsonl)" = "$distinct" &&
	grep_err "skipping '\''s3/ARHGEF15/zz-alias.json'\'': the same file as '\''s3/AAGAB/$f'\'', read already" err &&
	grep_err "skipping '\''s3/ADGRG1/zz-hardlink.json'\'': the same file as '\''s3/AAGAB/$f'\''" err &&
	grep_err "skipping '\''s3/ARHGEF15/zz-again'\'': the same folder as '\''s3/AAGAB'\'', read already" err &&
	grep_err "3 links skipped" err
'
test_expect_success 'D18: links that lead to each other (a -> b -> a) are skipped, not fatal' '
	rm -rf s4 && cp -r store s4 &&
	ln -s b.json s4/AAGAB/a.json && ln -s a.json s4/AAGAB/b.json &&
	rft-extract --stats s4 > out4.jsonl 2> err &&
	test "$(cases out4.jsonl)" = "$distinct" &&
	grep_err "skipping '\''s4/AAGAB/a.json'\'': a symbolic link loop" err &&
	grep_err "2 links skipped" err
'
test_expect_success 'D18: a folder or file named twice, or inside a folder named, is read once' '
	f=$(find store -type f -name "*.json" | head -1) &&
	rft-extract store store "$f" > out5.jsonl 2> err &&
	test "$(cases out5.jsonl)" = "$distinct" &&
	grep_err "skipping '\''store'\'': the same folder as '\''store'\'', read already" err &&
	grep_err "skipping '\''$f'\'': the same file as '\''$f'\'', read already" err
'
