# rft-call over TLS: certificates are verified; --cacert trusts a private CA;
# many requests share connections (HTTP/1.1 keep-alive here: the fake server
# offers no HTTP/2).
. "$T/lib.sh"
. "$T/callsrv.sh"

if ! command -v openssl > /dev/null 2>&1; then
	test_skip 'rft-call over TLS' 'needs openssl to make a test certificate'
	exit 0
fi
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
	-addext "subjectAltName=DNS:localhost" -keyout key.pem -out cert.pem 2> /dev/null
start_server --tls-cert cert.pem --tls-key key.pem --latency 100
surl() { echo "https://localhost:$(cat srv.port)/v1"; }

test_expect_success 'an untrusted certificate is a tls_error: not retried, nothing sent, exit 69' '
	prompt t1 "tls one" > t.jsonl && prompt t2 "tls two" >> t.jsonl &&
	test_must_fail 69 rft-call --base-url "$(surl)" -m fake t.jsonl > t.out 2> t.err &&
	test "$(jq -r "[.error.type, .error.attempts] | @tsv" t.out | sort -u)" = "$(printf "tls_error\t1")" &&
	test "$(grep -c "tls " srv.log)" = 0
'
test_expect_success '--cacert trusts it; the host name is still checked' '
	rft-call --base-url "$(surl)" -m fake --cacert cert.pem t.jsonl > ok.out &&
	test "$(jq -r .sample.output_json.genes[0] ok.out | sort -u)" = GENE1 &&
	prompt t3 "wrong host" > w.jsonl &&
	test_must_fail 69 rft-call --base-url "https://127.0.0.1:$(cat srv.port)/v1" -m fake --cacert cert.pem \
		w.jsonl > w.out && test "$(jq -r "[.error.type, .error.attempts] | @tsv" w.out)" = "$(printf "tls_error\t1")"
'
test_expect_success '40 requests of 100 ms at -j 20 over TLS: about 2 rounds, not 40, on at most 20 connections' '
	for i in $(seq 40); do prompt "p$i" "tls par $i"; done > p.jsonl &&
	start=$(date +%s.%N) &&
	rft-call --base-url "$(surl)" -m fake --cacert cert.pem -j 20 p.jsonl > p.out &&
	end=$(date +%s.%N) &&
	test "$(jq -r .sample.attempts p.out | sort -u)" = 1 &&
	conns=$(awk -F"\t" "\$5 ~ /^tls par / { print \$6 }" srv.log | sort -u | wc -l) &&
	echo "$conns connections" && test "$conns" -le 20 &&
	awk -v s=$start -v e=$end -v k=$slow "BEGIN { print e - s; exit !(e - s < 2.0 * k) }"
'
