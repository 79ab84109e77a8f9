# rft-run with hostile values: a sharded stage (GNU parallel) never runs or
# rewrites a value (D12), and deeply nested ${a:-...} defaults are refused
# at once (D13).
. "$T/lib.sh"

R="$TD/robustness"
# every file a value would create lands in M; the tests check M stays empty
M=$(mktemp -d "${TMPDIR:-/tmp}/rft-t0840.XXXXXX") || exit 70
trap 'rm -rf "$M"' EXIT
printf '%s\n' '{"n":1}' '{"n":2}' '{"n":3}' > samples-3.jsonl

# one value a line: GNU parallel's replacement strings, {= perl =} in its
# forms, the --plus ones, one an --rpl defines (PARALLEL below), shell code
sed "s|@M@|$M|g" > forms <<'EOF'
{= system("touch @M@/perl") =}
{#}
{%}
{}
{.}
{/}
{//}
{/.}
{1}
{=1 system("touch @M@/perl1") =}
{=2 system("touch @M@/perl2") =}
{=system(q(touch @M@/nospace))=}
{= $_=qx(touch @M@/qx) =}
a{}b{#}c{%}d{=}e{==}f{=1=}g
{pwn}
{+/}{+.}{..}{...}{/..}{##}{0#}{0%}
$(touch @M@/sub) `touch @M@/bq`; touch @M@/semi
EOF
PARALLEL="--plus --rpl '{pwn} system(q(touch $M/rpl))'"
export PARALLEL
all=$(tr '\n' ' ' < forms)

# two stages print every form, one a line, each form its own value: one
# from --set (s_I), one from the environment (e_I)
: > setargs     # the --set arguments, NUL-terminated (for xargs -0)
sets= envs=
i=0
while IFS= read -r v; do
	i=$((i + 1))
	printf -- '--set\0s_%d=%s\0' $i "$v" >> setargs
	eval "e_$i=\$v; export e_$i"
	sets="$sets \${s_$i}" envs="$envs \${e_$i}"
done < forms
cat > forms.yaml <<EOF
stages:
  set:
    cmd: cat > /dev/null; printf '%s\n'$sets
    in: samples-3.jsonl
    out: set.txt
    shards: 2
  env:
    cmd: cat > /dev/null; printf '%s\n'$envs
    in: samples-3.jsonl
    out: env.txt
    shards: 2
EOF

# OUT.txt must be the forms once a shard (2 shards)
check_forms() {  # check_forms OUT...
	cat forms forms > want
	for o in "$@"; do
		test_cmp want "$o.txt" || return 1
	done
}
m_empty() {
	[ -z "$(ls -A "$M")" ] && return 0
	echo "a value ran as code: $(ls -A "$M")" >&2
	return 1
}

test_expect_success 'D12: every parallel replacement string in a --set or environment value reaches a sharded stage literally, none runs' '
	xargs -0 sh -c '"'"'exec rft-run -j 2 "$@" forms.yaml'"'"' sh < setargs &&
	check_forms set env && m_empty
'

test_expect_success 'D12: the reproducer run-parallel-perl.yaml: {= perl =} in --set is printed, not run' '
	cp "$R/run-parallel-perl.yaml" . &&
	rft-run --set "msg={= system(\"touch $M/repro\") =} {#}-{%}-{}" run-parallel-perl.yaml &&
	printf "%s\n" "{= system(\"touch $M/repro\") =} {#}-{%}-{}" > want &&
	sort -u shard.txt > got && test_cmp want got && test $(wc -l < shard.txt) -eq 2 && m_empty
'

# the same values (all in one) through an argv stage, a param, an input's
# name, and hosts: ':' and a remote one (a fake ssh that runs the command
# here, through parallel's remote path with --env), in a directory whose
# name parallel would expand were it given as --workdir
cat > fakessh <<'EOF'
#!/bin/sh
# ssh [OPTIONS] HOST [--] COMMAND: run COMMAND here, as sshd would; sshd
# sets SHELL to the login shell, and parallel's remote worker runs the job
# with $SHELL (unset, its exec fails and the worker still exits 0)
SHELL=$(getent passwd "$(id -u)" | cut -d: -f7)
export SHELL="${SHELL:-/bin/sh}"
while [ $# -gt 0 ]; do
	case $1 in -[opliFJ]) shift 2 ;; -*) shift ;; *) break ;; esac
done
shift
[ "${1:-}" = "--" ] && shift
exec sh -c "$*"
EOF
chmod +x fakessh
W='w{#}{%}{= system(q(touch wd-pwned)) =}'
mkdir "$W"
cp samples-3.jsonl "$W/" && cp samples-3.jsonl "$W/in{%}{= system(q(touch in-pwned)) =}.jsonl"
cat > "$W/ch.yaml" <<'EOF'
stages:
  argv:
    cmd: [sh, -c, 'cat > /dev/null; printf "%s\n" "$1"', sh, '${v}']
    in: samples-3.jsonl
    out: argv.txt
    shards: 2
  param:
    cmd: cat > /dev/null; printf '%s\n' "$p"
    params:
      p: ${v}
    in: samples-3.jsonl
    out: param.txt
    shards: 2
  input:
    cmd: [cat]
    in: ${data}
    out: input.txt
    shards: 2
  local:
    cmd: cat > /dev/null; printf '%s\n' ${v} "$p"
    params:
      p: ${v}
    hosts: [":"]
    in: samples-3.jsonl
    out: local.txt
    shards: 2
  remote:
    cmd: cat > /dev/null; printf '%s\n' ${v} "$p" "$(pwd)"
    params:
      p: ${v}
    hosts: [fakehost]
    in: samples-3.jsonl
    out: remote.txt
    shards: 3
EOF
test_expect_success 'D12: argv, params, an input name, hosts (: and a remote one over ssh): values stay data' '
	F="$PWD/fakessh" && (cd "$W" && PARALLEL_SSH="$F" rft-run -j 4 --set "v=$all" \
		--set "data=in{%}{= system(q(touch in-pwned)) =}.jsonl" ch.yaml) &&
	printf "%s\n" "$all" > want &&
	sort -u "$W/argv.txt" > got && test_cmp want got &&
	sort -u "$W/param.txt" > got && test_cmp want got &&
	sort -u "$W/local.txt" > got && test_cmp want got &&
	test_cmp samples-3.jsonl "$W/input.txt" &&
	printf "%s\n%s\n" "$all" "$(pwd -P)/$W" | sort -u > want &&
	sort -u "$W/remote.txt" > got && test_cmp want got &&
	! test -e "$W/wd-pwned" && ! test -e "$W/in-pwned" && m_empty
'

test_expect_success 'D12: the dry run script does the same: run by sh it gives the same bytes and runs nothing' '
	(cd "$W" && rft-run -n --force --from param --until param --set "v=$all" \
		--set "data=in{%}{= system(q(touch in-pwned)) =}.jsonl" ch.yaml > ../dry.sh) &&
	grep -q "^env .*RFT_SHARD_CMD=.* parallel .* -q bash -o pipefail -c .eval \"\$RFT_SHARD_CMD\". > param.txt$" dry.sh &&
	test $(grep -c "^env" dry.sh) -eq 1 &&
	(cd "$W" && rm -f param.txt && sh ../dry.sh) &&
	printf "%s\n" "$all" > want && sort -u "$W/param.txt" > got && test_cmp want got &&
	! test -e "$W/wd-pwned" && ! test -e "$W/in-pwned" && m_empty
'

cat > hosts.yaml <<'EOF'
stages:
  s:
    cmd: cat
    hosts: ["${h}"]
    in: samples-3.jsonl
    out: h.txt
    shards: 2
EOF
test_expect_success 'D12: a host that parallel or ssh would run as a command is refused (78), nothing runs' '
	test_must_fail 78 rft-run --set "h=sh -c touch\ $M/host h" hosts.yaml 2> err &&
	grep_err "hosts.yaml:4:13: stage '"'"'s'"'"': bad host '"'"'sh -c touch" err &&
	test_must_fail 78 rft-run --set "h=-oProxyCommand=touch\\$M/proxy" hosts.yaml 2> err &&
	grep_err "bad host '"'"'-oProxyCommand=" err &&
	test_must_fail 78 rft-run --set "h=4/-oProxyCommand=x" hosts.yaml 2> err &&
	test_must_fail 78 rft-run --set "h={#}" hosts.yaml 2> err &&
	! test -e h.txt && m_empty
'

test_expect_success 'D12: a param may not take the names of the shard variables' '
	printf "stages:\n  s:\n    cmd: cat\n    params: {RFT_SHARD_CMD: x}\n    in: samples-3.jsonl\n    out: p.txt\n    shards: 2\n" > p.yaml &&
	test_must_fail 78 rft-run p.yaml 2> err && grep_err "p.yaml:4:14: bad param name '"'"'RFT_SHARD_CMD'"'"'" err
'

# D13: the reproducer's file, written as make-run-nested-defaults.py does
nested() {  # nested N: ${a:-${a:-...x...}} N deep
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "${a:-"; printf "x"; for (i = 0; i < n; i++) printf "}"; print "" }'
}
{
	printf 'stages:\n  s1:\n    cmd: echo '
	nested 100000 | tr -d '\n'
	printf ' > ${out}\n    in: samples-3.jsonl\n    out: out1.txt\n'
} > run-nested-defaults.yaml
test_expect_success 'D13: 100,000 nested defaults: 78 at once naming the place, no crash' '
	start=$(date +%s) &&
	test_must_fail 78 timeout 20 rft-run run-nested-defaults.yaml 2> err &&
	test $(( $(date +%s) - start )) -le 5 &&
	grep_err "run-nested-defaults.yaml:3:10: defaults nested more than 32 deep in '"'"'\${a:-...}'"'"'" err &&
	test $(wc -c < err) -lt 300 && ! test -e out1.txt
'
test_expect_success 'D13: nested defaults work up to 32 deep, and ${a:-${b:-x}} as before' '
	printf "vars:\n  v: \${a:-\${b:-x}}\nstages:\n  s1:\n    cmd: echo %s \${v} \${a:-\${b:-\${c:-y}}} > \${out}\n    in: samples-3.jsonl\n    out: o.txt\n" \
		"$(nested 32)" > ok.yaml &&
	rft-run ok.yaml && test "$(cat o.txt)" = "x x y" &&
	b=B rft-run ok.yaml && test "$(cat o.txt)" = "x B B" &&
	a=A rft-run ok.yaml && test "$(cat o.txt)" = "A A A" &&
	sed "s/echo /echo \${a:-/; s/ \${v}/} \${v}/" ok.yaml > deep.yaml &&
	test_must_fail 78 rft-run deep.yaml 2> err && grep_err "nested more than 32 deep" err
'
