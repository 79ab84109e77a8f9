#!/usr/bin/env python3
"""fake-openai.py - a loopback-only OpenAI-compatible /chat/completions server
for rft-call's tests and benchmark (standard library only, asyncio, HTTP/1.1
with keep-alive).

    python3 tests/fake-openai.py --port-file PORT [--latency MS] [--log FILE]
                                 [--key-env NAME] [--tls-cert PEM --tls-key PEM]

It binds 127.0.0.1 on a free port and writes the port number to PORT.  Every
POST to .../chat/completions answers, after --latency ms, a completion whose
content is {"genes":["GENE1","GENE2"],"explanation":"..."} with usage
(including completion_tokens_details.reasoning_tokens) and one choice per n.

Faults are chosen per request by a marker in the last user message:
[[fake:A1,A2,...]] -- the k-th request carrying that exact message gets
action Ak (the last one repeats).  Actions:
    ok            a normal answer
    slowMS        wait MS more milliseconds, then answer normally
    slowMS+ACT    wait MS more milliseconds, then do ACT
    429           429 rate_limit_exceeded, no hint
    429raMS       429 with retry-after-ms: MS
    429rsS        429 with retry-after: S (seconds)
    429resetMS    429 with x-ratelimit-remaining-requests: 0 and
                  x-ratelimit-reset-requests: MSms
    quota         429 insufficient_quota
    400 401 403 408 409 500 502 503   that status with an OpenAI error body
    reset         close the connection with a TCP RST, no answer
    trunc         a 200 whose body stops half-way (Content-Length says more)
    badjson       a 200 whose body is not JSON
    text          answer plain text (not JSON) as the content
    fenced        answer the JSON inside a markdown fence: ```json, newline, object
    echo          answer the request's parameters (all but messages) as JSON
    drainMS       a normal answer saying the request budget is spent:
                  x-ratelimit-remaining-requests: 0, reset in MS ms (as "0m0.400s")
    refuse        a 200 whose message has no content and a "refusal"
    one           a normal answer with one choice whatever n asks (as llama.cpp
                  and Ollama answer)

Model graders (rft-grade's score_model, label_model): a request whose
response_format is a json_schema with a "result" property is answered
{"result": R, "steps": [...]}: R is X for a marker [[score:X]] in the last
user message (a number when X reads as one, else the string X), L for
[[label:L]], else derived from the message: (len % 11) / 10 for a number,
enum[len % len(enum)] for a label.

POST .../embeddings ({"model","input": TEXT or [TEXT...]}) answers one
vector a text, deterministic: 16 dimensions, each word (\w+, lower case,
markers left out) adds +-1 at a place its sha256 chooses (embed() below).
Faults apply as for chat, the input text standing for the message.

--candidates OPS answers as a known function of the prompt (hybrid prompts,
rft-prompt --candidates): the candidate list is read out of the last user
message, the lines "N. SYMBOL ..." (N a number, SYMBOL up to the first
space, comma or parenthesis, in the order they appear), and each choice's
genes are that list put through OPS, '+'-separated steps applied in order:
    same       the list as it is
    reverse    reversed
    dropK      without its K-th entry (1-based; nothing when there is none)
    rotate     choice i (of n) rotated left by i places (i mod its length)
    addSYM     SYM put first (a gene not in the list)
    none       the empty list
e.g. --candidates reverse+drop1 or --candidates rotate.  A message with no
candidate lines is answered {"genes":[],"explanation":"no candidates ..."}.
A marker [[cand:OPS]] in the message overrides the server's OPS.

With --tls-cert and --tls-key it speaks HTTPS (ALPN: http/1.1 only).

--log FILE gets one line per request, flushed at once, for the tests:
    <unix time>\t<count for this message>\t<action>\t<auth>\t<message>\t<connection>
where auth is "key" (Authorization matched $NAME of --key-env), "nokey" (no
Authorization header) or "wrong"; with --key-env a wrong or missing key is
answered 401.  <connection> numbers the TCP connections (reuse shows).
"""
import argparse
import asyncio
import hashlib
import json
import os
import re
import ssl
import socket
import struct
import sys
import time

MARK = re.compile(r"\[\[fake:([^\]]*)\]\]")
ANY_MARK = re.compile(r"\[\[[a-z]+:[^\]]*\]\]")
DIMS = 16


def embed(text):
    """the fake embedding of text: a bag of hashed words"""
    v = [0.0] * DIMS
    for w in re.findall(r"\w+", ANY_MARK.sub(" ", text).lower()):
        h = hashlib.sha256(w.encode()).digest()
        v[h[0] % DIMS] += 1.0 if h[1] & 1 else -1.0
    return v


CAND_LINE = re.compile(r"^[ \t]*[0-9]+\.[ \t]+([^\s,(]+)", re.M)
CAND_MARK = re.compile(r"\[\[cand:([^\]]*)\]\]")


def candidates_of(msg):
    """the candidate symbols a hybrid prompt lists, in its order"""
    return CAND_LINE.findall(msg)


def apply_ops(ops, cands, i):
    """choice i's genes: cands put through the '+'-separated steps of ops"""
    g = list(cands)
    for op in [o.strip() for o in ops.split("+") if o.strip()]:
        if op == "same":
            pass
        elif op == "reverse":
            g.reverse()
        elif op.startswith("drop") and op[4:].isdigit():
            k = int(op[4:])
            if 1 <= k <= len(g):
                del g[k - 1]
        elif op == "rotate":
            if g:
                r = i % len(g)
                g = g[r:] + g[:r]
        elif op.startswith("add") and len(op) > 3:
            g = [op[3:]] + g
        elif op == "none":
            g = []
        else:
            raise ValueError("unknown --candidates step " + op)
    return g


def grader_result(req, msg):
    """the answer to a model grader's request (None: not one)"""
    rf = req.get("response_format") or {}
    props = ((rf.get("json_schema") or {}).get("schema") or {}).get("properties") or {}
    if "result" not in props:
        return None
    m = re.search(r"\[\[score:([^\]]*)\]\]", msg) or re.search(r"\[\[label:([^\]]*)\]\]", msg)
    if m:
        try:
            r = float(m.group(1))
        except ValueError:
            r = m.group(1)
    elif props["result"].get("enum"):
        enum = props["result"]["enum"]
        r = enum[len(msg) % len(enum)]
    else:
        r = (len(msg) % 11) / 10.0
    return {"result": r, "steps": [{"description": "fake", "conclusion": "derived from the prompt"}]}


class Server:
    def __init__(self, args):
        self.latency = args.latency / 1000.0
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.key = os.environ.get(args.key_env) if args.key_env else None
        self.counts = {}
        self.nconn = 0
        self.cand_ops = args.candidates
        if self.cand_ops:
            apply_ops(self.cand_ops, [], 0)   # refuse an unknown step at start

    def action(self, msg):
        m = MARK.search(msg)
        k = self.counts.get(msg, 0) + 1
        self.counts[msg] = k
        if not m:
            return k, "ok"
        acts = [a.strip() for a in m.group(1).split(",") if a.strip()] or ["ok"]
        return k, acts[min(k, len(acts)) - 1]

    async def handle(self, reader, writer):
        self.nconn += 1
        conn = self.nconn
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                hdrs = {}
                for ln in lines[1:]:
                    if ":" in ln:
                        n, v = ln.split(":", 1)
                        hdrs[n.strip().lower()] = v.strip()
                body = b""
                if "content-length" in hdrs:
                    body = await reader.readexactly(int(hdrs["content-length"]))
                if not await self.respond(method, path, hdrs, body, writer, conn):
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    def send(self, writer, status, body, extra=None, ctype="application/json", length=None):
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                  404: "Not Found", 408: "Request Timeout", 409: "Conflict",
                  429: "Too Many Requests", 500: "Internal Server Error",
                  502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "X")
        h = ["HTTP/1.1 %d %s" % (status, reason), "Content-Type: " + ctype,
             "Content-Length: %d" % (len(body) if length is None else length)]
        for n, v in (extra or {}).items():
            h.append("%s: %s" % (n, v))
        writer.write(("\r\n".join(h) + "\r\n\r\n").encode() + body)

    def error(self, writer, status, etype, code, message, extra=None):
        body = json.dumps({"error": {"message": message, "type": etype, "param": None,
                                     "code": code}}).encode()
        self.send(writer, status, body, extra)

    def answer(self, writer, req, k, msg, act, extra):
        if "input" in req and "messages" not in req:
            texts = req["input"] if isinstance(req["input"], list) else [req["input"]]
            out = {"object": "list", "model": req.get("model") or "fake-embedding",
                   "data": [{"object": "embedding", "index": i, "embedding": embed(t)}
                            for i, t in enumerate(texts)],
                   "usage": {"prompt_tokens": len(msg) // 4 + 1, "total_tokens": len(msg) // 4 + 1}}
            self.send(writer, 200, json.dumps(out).encode(), extra)
            return
        n = 1 if act == "one" else int(req.get("n") or 1)   # one: a server that ignores n
        graded = grader_result(req, msg)
        mark = CAND_MARK.search(msg)
        ops = mark.group(1) if mark else self.cand_ops

        def content_of(i):
            if act == "text":
                return "plain words, no JSON"
            if act == "echo":
                return json.dumps({k: v for k, v in req.items() if k != "messages"})
            if graded is not None:
                return json.dumps(graded)
            if ops:
                cands = candidates_of(msg)
                if not cands:
                    return json.dumps({"genes": [], "explanation": "no candidates in the prompt"})
                return json.dumps({"genes": apply_ops(ops, cands, i),
                                   "explanation": "candidates %s, choice %d" % (ops, i)})
            return json.dumps({"genes": ["GENE1", "GENE2"], "explanation": "answer %d to %s" % (k, msg[:40])})

        def message(i):
            if act == "refuse":
                return {"role": "assistant", "content": None, "refusal": "I cannot grade this."}
            c = content_of(i)
            if act == "fenced":
                c = "```json\n" + c + "\n```"
            return {"role": "assistant", "content": c}
        out = {"id": "chatcmpl-fake%d" % k, "object": "chat.completion",
               "created": int(time.time()), "model": req.get("model") or "fake-model",
               "choices": [{"index": i, "message": message(i),
                            "finish_reason": "stop"} for i in range(n)],
               "usage": {"prompt_tokens": len(msg) // 4 + 1, "completion_tokens": 12 * n,
                         "total_tokens": len(msg) // 4 + 1 + 12 * n,
                         "completion_tokens_details": {"reasoning_tokens": 4 * n}}}
        self.send(writer, 200, json.dumps(out).encode(), extra)

    async def respond(self, method, path, hdrs, body, writer, conn):
        if method != "POST" or not (path.endswith("/chat/completions") or path.endswith("/embeddings")):
            self.error(writer, 404, "invalid_request_error", None, "no route " + path)
            await writer.drain()
            return True
        try:
            req = json.loads(body)
            if path.endswith("/embeddings"):
                msg = req["input"]
                if not isinstance(msg, str):
                    msg = json.dumps(msg)
            else:
                msgs = req["messages"]
                msg = [m for m in msgs if m.get("role") == "user"][-1]["content"]
                if not isinstance(msg, str):
                    msg = json.dumps(msg)
        except Exception as e:
            self.error(writer, 400, "invalid_request_error", None, "bad request: %s" % e)
            await writer.drain()
            return True
        k, act = self.action(msg)
        auth = hdrs.get("authorization")
        who = "nokey" if auth is None else ("key" if self.key and auth == "Bearer " + self.key else "wrong")
        if self.log:
            self.log.write("%.6f\t%d\t%s\t%s\t%s\t%d\n" % (time.time(), k, act, who,
                                                           msg.replace("\n", " ").replace("\t", " "), conn))
        delay = self.latency
        if act.startswith("slow"):
            ms, _, rest = act[4:].partition("+")
            delay += int(ms) / 1000.0
            act = rest or "ok"
        if delay > 0:
            await asyncio.sleep(delay)
        if self.key and who != "key":
            self.error(writer, 401, "invalid_request_error", "invalid_api_key",
                       "Incorrect API key provided.")
        elif act.startswith("drain"):
            ms = int(act[5:])
            self.answer(writer, req, k, msg, "ok", {
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": "%dm%.3fs" % (ms // 60000, (ms % 60000) / 1000.0)})
        elif act in ("ok", "text", "echo", "fenced", "refuse", "one"):
            self.answer(writer, req, k, msg, act, {"x-ratelimit-remaining-requests": "999"})
        elif act.startswith("429"):
            extra = {}
            if act.startswith("429ra"):
                extra["retry-after-ms"] = act[5:]
            elif act.startswith("429rs"):
                extra["retry-after"] = act[5:]
            elif act.startswith("429reset"):
                extra["x-ratelimit-remaining-requests"] = "0"
                extra["x-ratelimit-reset-requests"] = act[8:] + "ms"
            self.error(writer, 429, "requests", "rate_limit_exceeded",
                       "Rate limit reached for requests", extra)
        elif act == "quota":
            self.error(writer, 429, "insufficient_quota", "insufficient_quota",
                       "You exceeded your current quota, please check your plan and billing details.")
        elif act.isdigit():
            st = int(act)
            etype = "server_error" if st >= 500 else "invalid_request_error"
            self.error(writer, st, etype, None, "fake %d" % st)
        elif act == "reset":
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        elif act == "trunc":
            full = json.dumps({"id": "x", "choices": [{"index": 0, "message": {
                "role": "assistant", "content": "cut"}, "finish_reason": "stop"}]}).encode()
            self.send(writer, 200, full[: len(full) // 2], length=len(full))
            await writer.drain()
            writer.transport.close()
            return False
        elif act == "badjson":
            self.send(writer, 200, b"{\"id\": \"x\", \"choices\": [ oops")
        else:
            self.error(writer, 500, "server_error", None, "unknown fake action " + act)
        await writer.drain()
        return True


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--latency", type=float, default=0)
    ap.add_argument("--log")
    ap.add_argument("--key-env")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--candidates", help="answer the prompt's candidates put through OPS (see above)")
    args = ap.parse_args()
    srv = Server(args)
    ctx = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        ctx.set_alpn_protocols(["http/1.1"])
    server = await asyncio.start_server(srv.handle, "127.0.0.1", 0, backlog=1024, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
