# rft-run hosts: on real hosts.  Three network namespaces, each with a veth
# pair to this one and its own sshd (throwaway keys, all in this scratch
# directory), stand for three machines without a shared file system: each
# sshd runs in a mount namespace where the pipeline's directory (work/) is an
# empty tmpfs and root's home is a directory of that host (hN/home), so a job
# there sees only what was sent.  A sharded rft-rank stage runs across them
# through hosts: and must give the local run's bytes; a host killed mid-run
# fails the stage cleanly; a rerun without it, and with it back, completes.
# Skipped (with the reason) where namespaces or sshd are not available.
. "$T/lib.sh"

skip_all() {
	test_skip 'a sharded rft-rank stage across three ssh hosts' "$1"
	exit 0
}
[ "$(id -u)" = 0 ] || skip_all 'not root (network namespaces need it)'
for c in ip ssh ssh-keygen rsync unshare mount parallel; do
	command -v $c > /dev/null 2>&1 || skip_all "no $c"
done
[ -x /usr/sbin/sshd ] || skip_all 'no /usr/sbin/sshd (openssh-server)'

base=$PWD
id=rft$$                 # names unique to this run: namespaces, links
nss="" hosts=""
cleanup() {
	for i in 1 2 3; do
		[ -f "$base/h$i/pid" ] && kill "$(cat "$base/h$i/pid")" 2> /dev/null
	done
	for h in $hosts; do   # the ssh connections kept open (ControlPersist)
		ssh -F "$base/ssh/config" -O exit "$h" 2> /dev/null
	done
	for ns in $nss; do   # what runs in our namespaces is ours
		ip netns pids "$ns" 2> /dev/null | xargs -r kill -9 2> /dev/null
		ip netns del "$ns" 2> /dev/null
	done
	for i in 1 2 3; do
		ip link del "${id}r$i" 2> /dev/null
	done
	rm -rf "$base/ssh"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "${id}h1" 2> /dev/null || skip_all 'cannot create a network namespace (ip netns add)'
nss="${id}h1"
# a private /24 of 10.231.0.0/16 that no interface here uses
o=$(( $$ % 200 + 20 ))
while ip -o addr show | grep -q "inet 10\.231\.$o\."; do o=$(( (o + 1) % 250 )); done

mkdir -p ssh work /run/sshd
ssh-keygen -q -t ed25519 -N '' -C rft-test-host -f ssh/host_key &&
ssh-keygen -q -t ed25519 -N '' -C rft-test-client -f ssh/client_key || exit 1
cat > ssh/config <<EOF
Host *
  User root
  IdentityFile $base/ssh/client_key
  IdentitiesOnly yes
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  BatchMode yes
  LogLevel ERROR
  ConnectTimeout 5
  ServerAliveInterval 1
  ServerAliveCountMax 3
  # one connection a host, reused by every job (a handshake a job costs seconds under load)
  ControlMaster auto
  ControlPath $base/ssh/cm-%C
  ControlPersist 60
EOF
export PARALLEL_SSH="ssh -F $base/ssh/config"
M="$TD/hpo/micro"

# start_host I: sshd of host I in its namespaces (the data it has of its own: hI/data)
start_host() {
	ip netns exec "${id}h$1" unshare -m --propagation private sh -c \
		"mount -t tmpfs rft-test '$base/work' && mount --bind '$base/h$1/home' /root &&
		 exec /usr/sbin/sshd -D -e -f '$base/ssh/sshd$1'" 2> "$base/h$1/sshd.err" &
	echo $! > "$base/h$1/pid"
	_n=0
	until $PARALLEL_SSH "root@10.231.$o.$((4 * $1 + 2))" true 2> /dev/null; do
		_n=$((_n + 1))
		[ $_n -lt 50 ] || { echo "host $1: sshd did not start" >&2; cat "$base/h$1/sshd.err" >&2; return 1; }
		sleep 0.1
	done
}

for i in 1 2 3; do
	ns="${id}h$i"
	[ $i = 1 ] || { ip netns add "$ns" && nss="$nss $ns"; } || exit 1
	a=10.231.$o.$((4 * i + 1)) b=10.231.$o.$((4 * i + 2))
	ip link add "${id}r$i" type veth peer name "${id}n$i" &&
	ip link set "${id}n$i" netns "$ns" &&
	ip addr add "$a/30" dev "${id}r$i" && ip link set "${id}r$i" up &&
	ip netns exec "$ns" ip addr add "$b/30" dev "${id}n$i" &&
	ip netns exec "$ns" ip link set "${id}n$i" up &&
	ip netns exec "$ns" ip link set lo up || exit 1
	mkdir -p "h$i/home" "h$i/data" "h$i/tmp"
	cp "$M/hp-micro.json" "$M/phenotype-micro.hpoa" "$M/genes_to_phenotype-micro.txt" \
		"$M/hgnc-micro.txt" "h$i/data/"
	cat > "ssh/sshd$i" <<EOF
ListenAddress $b
HostKey $base/ssh/host_key
AuthorizedKeysFile $base/ssh/client_key.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $base/ssh/sshd$i.pid
LogLevel ERROR
SetEnv RFT_HPO_DIR=$base/h$i/data RFT_HGNC=$base/h$i/data/hgnc-micro.txt TMPDIR=$base/h$i/tmp
EOF
	start_host $i || exit 1
	hosts="$hosts root@$b"
	eval "H$i=root@$b"
done
export H1 H2 H3

# 120 cases (the micro set's four, numbered) in work/, with the data files
cd work || exit 1
mkdir hpo
cp "$M/hp-micro.json" "$M/phenotype-micro.hpoa" "$M/genes_to_phenotype-micro.txt" hpo/
cp "$M/hgnc-micro.txt" .
jq -sc 'range(30) as $i | .[] | .id = "\(.id)-\($i)"' "$M/cases.jsonl" > cases.jsonl
RANK=$(command -v rft-rank)   # the one under test, by absolute path (the hosts' PATH is theirs)
export RANK
for h in $hosts; do echo "2/$h"; done > nodes.txt
cat > h.yaml <<'EOF'
vars:
  nodes: ${NODES:-nodes.txt}
stages:
  rank:
    cmd: ["${RANK}", --hpo-dir, hpo, --hgnc, hgnc-micro.txt, -k, "3", -j, "1"]
    shards: 2
    hosts: {file: "${nodes}", shared_fs: false}
    in: [cases.jsonl, hpo/hp-micro.json, hpo/phenotype-micro.hpoa,
         hpo/genes_to_phenotype-micro.txt, hgnc-micro.txt]
    out: ranked.jsonl
EOF
# the local run, and what is compared: every byte but rft-rank's latency_ms
# (wall time per case: 0 or 1 ms here, more under valgrind); the order stage
# below compares whole files byte for byte
rft-rank --hpo-dir hpo --hgnc hgnc-micro.txt -k 3 -j 1 cases.jsonl > local.jsonl
same() {  # same EXPECTED ACTUAL
	jq -c 'del(.sample.latency_ms)' "$1" > "$1.cmp" && jq -c 'del(.sample.latency_ms)' "$2" > "$2.cmp" &&
	test_cmp "$1.cmp" "$2.cmp" && test $(wc -c < "$2") -gt 100000
}
# the hosts that ran a stage's jobs, from its job log
ran_on() { awk -F'\t' 'NR > 1 && $7 == 0 { print $2 }' "$1" | sort -u | tr '\n' ' '; }

test_expect_success 'the hosts are reachable and do not see the pipeline directory' '
	test $(wc -l < cases.jsonl) -eq 120 &&
	for h in $hosts; do
		$PARALLEL_SSH $h "test -d $base/work && ! test -e $base/work/cases.jsonl && test \$HOME = /root" || return 1
	done
'
test_expect_success 'a sharded rft-rank stage across 3 hosts (inputs sent): the local run'"'"'s bytes' '
	rft-run h.yaml 2> err && same local.jsonl ranked.jsonl &&
	test $(wc -l < ranked.jsonl) -eq 120 && ! grep -q "rft-run shard" ranked.jsonl &&
	test "$(ran_on h.logs/rank.jobs)" = "$(for h in $hosts; do echo $h; done | sort | tr "\n" " ")"
'
cat > o.yaml <<'EOF'
stages:
  order:
    cmd: 'sleep "0.$(( 9 - PARALLEL_SEQ % 10 ))" && cat'
    shards: 3
    hosts: {file: nodes.txt, shared_fs: false}
    in: cases.jsonl
    out: order.jsonl
EOF
test_expect_success 'pieces that end in reverse order are put back in order' '
	rft-run o.yaml && test_cmp cases.jsonl order.jsonl &&
	awk -F"\t" "NR > 1 {print \$1}" o.logs/order.jobs > ended &&
	sort -n ended > sorted && ! cmp -s ended sorted &&
	test "$(tr "\n" " " < sorted)" = "$(seq 1 $(wc -l < sorted) | tr "\n" " ")"
'
test_expect_success 'the hosts are left clean (sent files and job directories removed)' '
	for i in 1 2 3; do
		test -z "$(ls -A h$i/home 2>/dev/null | grep -v "^\.parallel$")" || { ls -laR h$i/home >&2; return 1; }
	done
'
test_expect_success 'up to date: a second run does nothing' '
	rft-run h.yaml && test "$(grep -c "\"stage\":\"rank\"" h.logs/run.jsonl)" -eq 1
'

# reference data each host has at its own path (sshd sets RFT_HPO_DIR, RFT_HGNC there)
cat > p.yaml <<'EOF'
stages:
  perhost:
    cmd: ["${RANK}", -k, "3", -j, "1"]
    shards: 3
    hosts: {list: ["1/${H1}", "1/${H2}", "1/${H3}"], shared_fs: false}
    in: cases.jsonl
    out: perhost.jsonl
EOF
test_expect_success 'reference data at a path of each host (not sent): same bytes' '
	rft-run p.yaml && same local.jsonl perhost.jsonl &&
	rm -r ../h3/data && test_must_fail 66 rft-run -f p.yaml 2> err &&
	grep_err "(exit 66; host $H3: job " err && grep_err "rft-rank: cannot open data folder '"'$base/h3/data'"'" err && ! test -e perhost.jsonl
'
cp -r hpo ../h3/data && cp hgnc-micro.txt ../h3/data/

# jobs that end 0 without their marker, or with one out of order: parallel's silent failure
cat > g.yaml <<'EOF'
stages:
  vanish:
    cmd: "exec cat"
    shards: 3
    hosts: {list: ["1/${H1}", "1/${H2}"], shared_fs: false}
    in: cases.jsonl
    out: vanish.jsonl
  forged:
    cmd: "cat; printf '\\036rft-run shard 7 0\\n'"
    shards: 3
    hosts: [":"]
    in: cases.jsonl
    out: forged.jsonl
EOF
test_expect_success 'a job that ends 0 without running to its end fails the stage (69), no output' '
	test_must_fail 69 rft-run --until vanish g.yaml 2> err &&
	grep_err "stage '"'"'vanish'"'"' failed (exit 0 but the 0 job(s) that reported their end ran on 0 of the 28610 bytes of '"'"'cases.jsonl'"'"', and output follows the last marker" err &&
	! test -e vanish.jsonl && test -z "$(ls -a | grep "\.rft-run\.")"
'
test_expect_success 'pieces out of order or a damaged marker fail the stage (69)' '
	test_must_fail 69 rft-run --from forged g.yaml 2> err &&
	grep_err "exit 0 but the end markers do not number the jobs 1..6 once each (no marker of job 4)" err && ! test -e forged.jsonl
'

# a host that dies mid-run: every job sleeps 2 s first; then all in host 2's namespace is killed
cat > k.yaml <<'EOF'
stages:
  slow:
    cmd: 'touch "$HOME/started.$PARALLEL_SEQ"; sleep 2 && ${RANK} --hpo-dir hpo --hgnc hgnc-micro.txt -k 3 -j 1'
    shards: 2
    hosts: {file: "${NODES}", shared_fs: false}
    in: [cases.jsonl, hpo/hp-micro.json, hpo/phenotype-micro.hpoa,
         hpo/genes_to_phenotype-micro.txt, hgnc-micro.txt]
    out: slow.jsonl
EOF
test_expect_success 'a host killed mid-run: the stage fails naming it, nothing looks finished' '
	cp local.jsonl slow.jsonl &&
	NODES=nodes.txt rft-run k.yaml > /dev/null 2> err &
	_pid=$!
	_n=0
	until ls ../h2/home/started.* > /dev/null 2>&1; do
		_n=$((_n + 1)); [ $_n -lt 100 ] || break; sleep 0.1
	done
	ip netns pids ${id}h2 | xargs -r kill -9
	wait $_pid
	_st=$?
	cat err
	test $_st -ne 0 && test $_st -ne 69 &&
	grep_err "rft-run: stage '"'"'slow'"'"' failed (exit 255; host $H2: job" err &&
	grep_err "ssh failed: the host is down or the connection was lost" err &&
	! test -e slow.jsonl && test -z "$(ls -a | grep "\.rft-run\.")" &&
	tail -1 k.logs/run.jsonl | jq -e ".stage == \"slow\" and .status == \"failed\" and .exit == 255" > /dev/null
'
test_expect_success 'the rerun without the dead host completes, same bytes' '
	grep -v "$H2" nodes.txt > two.txt &&
	NODES=two.txt rft-run k.yaml && same local.jsonl slow.jsonl &&
	tail -1 k.logs/run.jsonl | jq -e ".stage == \"slow\" and .status == \"ok\"" > /dev/null
'
test_expect_success 'with the host back, a forced rerun on all three completes, same bytes' '
	start_host 2 && rm -f slow.jsonl &&
	NODES=nodes.txt rft-run k.yaml && same local.jsonl slow.jsonl &&
	test "$(ran_on k.logs/slow.jobs | wc -w)" -eq 3
'
