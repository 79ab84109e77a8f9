# rft-run: shards under GNU parallel (order kept, failures propagate), hosts
# through --sshlogin (':' is this machine), and jq stages.
. "$T/lib.sh"

seq 1 3000 | jq -c '{n: ., id: ("case" + tostring)}' > cases.jsonl
cat > s.yaml <<'EOF'
vars:
  shards: ${SHARDS:-2}
stages:
  whole:
    cmd: [jq, -c, '{id, sq: (.n * .n)}']
    shards: 1
    in: cases.jsonl
    out: whole.jsonl
  sharded:
    cmd: [jq, -c, '{id, sq: (.n * .n)}']
    shards: ${shards}
    in: cases.jsonl
    out: sharded.jsonl
  plain:
    jq: '{id, sq: (.n * .n)}'
    in: cases.jsonl
    out: plain.jsonl
  seqs:
    cmd: 'echo "$PARALLEL_SEQ $(wc -l)"' 
    shards: ${shards}
    in: cases.jsonl
    out: seqs.txt
  remote:
    cmd: "jq -c '{id, sq: (.n * .n)}'"
    shards: 3
    hosts: [":"]
    in: cases.jsonl
    out: remote.jsonl
EOF

test_expect_success 'a 2-shard stage gives byte-identical output to the unsharded one' '
	rft-run s.yaml &&
	test_cmp whole.jsonl sharded.jsonl && test_cmp plain.jsonl sharded.jsonl &&
	test $(wc -l < sharded.jsonl) -eq 3000
'
test_expect_success 'the shards really are separate jobs, each a part of the input, in order' '
	test $(wc -l < seqs.txt) -eq 2 && test "$(cut -d" " -f1 seqs.txt | tr "\n" " ")" = "1 2 " &&
	test $(awk "{s += \$2} END {print s}" seqs.txt) -eq 3000
'
test_expect_success 'hosts run the shards through --sshlogin (":" is this machine), same bytes' '
	test_cmp plain.jsonl remote.jsonl &&
	rft-run -n --force s.yaml > dry &&
	grep -q "^env .RFT_SHARD_CMD=jq -c .*{id, sq: (.n \* .n)}.* RFT_SHARD_DIR=.* parallel --will-cite --pipepart -a cases.jsonl --block -1 --halt now,fail=1 -j 3 --sshlogin : --env RFT_SHARD_CMD --env RFT_SHARD_DIR --joblog s.logs/remote.jobs -q bash -o pipefail -c .cd -- \"\$RFT_SHARD_DIR\" && f=.* && eval \"\$RFT_SHARD_CMD\" < \"\$f\" && printf .*rft-run shard .* > remote.jsonl$" dry &&
	grep -q "^env .RFT_SHARD_CMD=jq -c .*{id, sq: (.n \* .n)}.* parallel .* -j 2 -q bash -o pipefail -c .eval \"\$RFT_SHARD_CMD\". > sharded.jsonl$" dry
'
test_expect_success '3 shards: the command changes, the stage reruns, the bytes do not change' '
	SHARDS=3 rft-run s.yaml && test_cmp plain.jsonl sharded.jsonl && test $(wc -l < seqs.txt) -eq 3
'
cat > f.yaml <<'EOF'
stages:
  failing:
    cmd: "while read -r l; do case $l in *case2999*) exit 4;; esac; echo $l; done"
    shards: 2
    in: cases.jsonl
    out: failing.jsonl
EOF
test_expect_success 'a failing shard fails the stage with its status, and no output is left' '
	test_must_fail 4 rft-run f.yaml 2> err && grep_err "stage '"'"'failing'"'"' failed (exit 4)" err &&
	! test -e failing.jsonl && test -z "$(ls -a | grep "\.rft-run\.")"
'
cat > bad.yaml <<'EOF'
stages:
  x:
    cmd: "cat > ${out}"
    shards: 2
    in: cases.jsonl
    out: x.jsonl
EOF
test_expect_success 'a sharded stage writes stdout: naming ${out} is an error' '
	test_must_fail 78 rft-run bad.yaml 2> err && grep_err "bad.yaml:3:10: stage '"'"'x'"'"': its output goes to stdout" err
'
mkdir -p ref && echo r > ref/a.txt && echo r > /tmp/rft-t0810-$$.txt
cat > nfs.yaml <<'EOF2'
vars:
  extra: ${EXTRA:-ref/a.txt}
stages:
  x:
    cmd: [cat]
    shards: 2
    hosts: {list: ["2/node1", "2/node2"], shared_fs: false}
    in: [cases.jsonl, "${extra}"]
    out: x.jsonl
EOF2
test_expect_success 'hosts without a shared file system: inputs sent with --basefile into a workdir of the stage' '
	rft-run -n nfs.yaml > dry &&
	grep -q "^env RFT_SHARD_CMD=cat parallel --will-cite --pipepart -a cases.jsonl --block -1 --halt now,fail=1 -j 2 --sshlogin 2/node1 --sshlogin 2/node2 --env RFT_SHARD_CMD --joblog nfs.logs/x.jobs --workdir .rft-run/[^ ]*-[0-9a-f]\{12\}-x --basefile ref/a.txt --cleanup -q bash -o pipefail -c .f=" dry &&
	! grep -q RFT_SHARD_DIR dry
'
test_expect_success 'sent inputs must be relative files without ..; bad hosts mappings are refused (78)' '
	test_must_fail 78 rft-run -n --set extra=/tmp/rft-t0810-$$.txt nfs.yaml 2> err &&
	grep_err "with shared_fs: false the inputs are sent to each host under the jobs'"'"' directory, so '"'"'/tmp/rft-t0810-$$.txt'"'"' must be a relative path without '"'"'..'"'"'" err &&
	test_must_fail 78 rft-run -n --set extra=ref/../ref/a.txt nfs.yaml 2> err && grep_err "must be a relative path" err &&
	test_must_fail 78 rft-run -n --set extra=ref nfs.yaml 2> err && grep_err "name the files in it as inputs" err &&
	sed "s/shared_fs: false/shared_fs: no/" nfs.yaml > b1.yaml && test_must_fail 78 rft-run -n b1.yaml 2> err &&
	grep_err "b1.yaml:7:54: stage '"'"'x'"'"': shared_fs is true or false, not '"'"'no'"'"'" err &&
	sed "s/shared_fs: false/shared: false/" nfs.yaml > b2.yaml && test_must_fail 78 rft-run -n b2.yaml 2> err &&
	grep_err "hosts: unknown key '"'"'shared'"'"' (list, file, shared_fs)" err &&
	sed "s/list: \[\"2\/node1\", \"2\/node2\"\], //" nfs.yaml > b3.yaml && test_must_fail 78 rft-run -n b3.yaml 2> err &&
	grep_err "hosts needs list or file" err &&
	sed "s/2\/node2/-oProxyCommand=x/" nfs.yaml > b4.yaml && test_must_fail 78 rft-run -n b4.yaml 2> err &&
	grep_err "bad host '"'"'-oProxyCommand=x'"'"'" err
'
rm -f /tmp/rft-t0810-$$.txt
