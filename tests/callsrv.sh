# Sourced by tests/t07*-call*.sh after lib.sh: start the fake OpenAI server
# (tests/fake-openai.py) and call rft-call against it.
#
#   start_server [ARGS...]   start it (log in srv.log, port in srv.port);
#                            it is stopped when the script exits
#   call [ARGS...]           rft-call against it, model "fake", 10 ms backoff
#                            (a function: to signal rft-call, start it directly)
#   prompt ID TEXT           one prompt line
#   nreq TEXT                requests the server got for that message
#   gap TEXT                 seconds between its first two requests
if ! command -v python3 > /dev/null 2>&1 || ! command -v jq > /dev/null 2>&1; then
	test_skip 'rft-call against the fake server' 'needs python3 and jq'
	exit 0
fi
srv_pid=
stop_server() { [ -n "$srv_pid" ] && kill "$srv_pid" 2> /dev/null; wait "$srv_pid" 2> /dev/null; srv_pid=; }
trap stop_server EXIT
start_server() {
	stop_server
	rm -f srv.port
	python3 "$T/fake-openai.py" --port-file srv.port --log srv.log "$@" &
	srv_pid=$!
	_i=0
	while [ ! -s srv.port ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ -s srv.port ] || { echo "fake server did not start" >&2; exit 1; }
}
url() { echo "http://127.0.0.1:$(cat srv.port)/v1"; }
call() { rft-call --base-url "$(url)" -m fake --backoff 0.01 "$@"; }
prompt() { printf '{"messages":[{"role":"user","content":"%s"}],"id":"%s","reference":{"gene":"GENE1"}}\n' "$2" "$1"; }
nreq() { awk -F'\t' -v m="$1" '$5 == m' srv.log | wc -l | tr -d ' '; }
gap() { awk -F'\t' -v m="$1" '$5 == m { t[++n] = $1 } END { printf "%.3f\n", t[2] - t[1] }' srv.log; }
# under valgrind everything is slower: time limits (never lower bounds) stretch
slow=1
[ "${RFT_VALGRIND:-0}" = 1 ] && slow=10
