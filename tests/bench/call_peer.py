#!/usr/bin/env python3
"""call_peer.py - the Python peer for bench-call: the design of the OpenAI
cookbook's api_request_parallel_processor.py (one asyncio loop; request and
token budgets refilled continuously; a retry queue; one task per request;
results written as they finish), on the standard library only: the cookbook
uses aiohttp, which is not installed here, so HTTP/1.1 keep-alive
connections are pooled by hand (at most --concurrency, like a connector
limit).

    call_peer.py URL PROMPTS.jsonl OUT.jsonl [--concurrency N] [--rpm N] [--tpm N]
"""
import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit


class Pool:
    def __init__(self, host, port, size):
        self.host, self.port = host, port
        self.free = []
        self.sem = asyncio.Semaphore(size)

    async def post(self, path, body):
        async with self.sem:
            conn = self.free.pop() if self.free else await asyncio.open_connection(self.host, self.port)
            r, w = conn
            try:
                w.write(("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                         "Content-Length: %d\r\n\r\n" % (path, self.host, len(body))).encode() + body)
                await w.drain()
                head = await r.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split()[1])
                length = 0
                for ln in lines[1:]:
                    if ln.lower().startswith("content-length:"):
                        length = int(ln.split(":", 1)[1])
                data = await r.readexactly(length)
            except Exception:
                w.close()
                raise
            self.free.append(conn)
            return status, data


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("prompts")
    ap.add_argument("out")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rpm", type=float, default=1e9)
    ap.add_argument("--tpm", type=float, default=1e12)
    ap.add_argument("--max-attempts", type=int, default=5)
    a = ap.parse_args()
    u = urlsplit(a.url)
    pool = Pool(u.hostname, u.port, a.concurrency)
    path = u.path.rstrip("/") + "/chat/completions"
    out = open(a.out, "w")
    todo = [json.loads(line) for line in open(a.prompts)]
    retry = asyncio.Queue()
    req_cap, tok_cap, last = a.rpm, a.tpm, time.time()
    in_flight = 0
    done = asyncio.Event()
    left = len(todo)

    async def call(item, attempts):
        nonlocal in_flight, left
        t0 = time.time()
        try:
            body = json.dumps({"model": "fake", "messages": item["messages"]}).encode()
            status, data = await pool.post(path, body)
            if status != 200:
                raise RuntimeError("HTTP %d" % status)
            resp = json.loads(data)
            text = resp["choices"][0]["message"]["content"]
            try:
                oj = json.loads(text)
            except ValueError:
                oj = None
            item = dict(item)
            item["sample"] = {"model": resp.get("model"), "output_text": text, "output_json": oj,
                              "finish_reason": resp["choices"][0].get("finish_reason"),
                              "usage": resp.get("usage"),
                              "latency_ms": round((time.time() - t0) * 1000),
                              "attempts": attempts, "cached": False}
            out.write(json.dumps(item) + "\n")
            left -= 1
        except Exception as e:
            if attempts < a.max_attempts:
                retry.put_nowait((item, attempts + 1))
            else:
                item = dict(item)
                item["error"] = {"message": str(e), "attempts": attempts}
                out.write(json.dumps(item) + "\n")
                left -= 1
        finally:
            in_flight -= 1
            if left == 0:
                done.set()

    it = iter(todo)
    nxt = None
    exhausted = False
    while left:
        if nxt is None:
            if not retry.empty():
                nxt = retry.get_nowait()
            elif not exhausted:
                try:
                    nxt = (next(it), 1)
                except StopIteration:
                    exhausted = True
        now = time.time()
        req_cap = min(req_cap + a.rpm * (now - last) / 60, a.rpm)
        tok_cap = min(tok_cap + a.tpm * (now - last) / 60, a.tpm)
        last = now
        if nxt is not None and in_flight < a.concurrency and req_cap >= 1:
            need = len(json.dumps(nxt[0]["messages"])) // 4
            if tok_cap >= need:
                req_cap -= 1
                tok_cap -= need
                in_flight += 1
                asyncio.create_task(call(*nxt))
                nxt = None
                continue
        await asyncio.sleep(0.001)   # the cookbook's loop sleeps this long too
    out.close()


asyncio.run(main())
