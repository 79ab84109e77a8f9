#!/usr/bin/env python3
"""Benchmark peer of rft-grade: Python's json plus the grader function that
`rft-grade --export-openai` writes (the same scoring, as OpenAI would run it).

    python3 grade_peer.py EXPORTED.json SAMPLES.jsonl > graded.jsonl

Writes each line with "grade": {"reward": ...} added, as a minimal grader
loop would; standard library only.
"""
import json
import sys


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: grade_peer.py EXPORTED.json SAMPLES.jsonl\n")
        return 64
    grader = json.load(open(argv[1]))
    ns = {}
    exec(grader["source"], ns)
    grade = ns["grade"]
    out = sys.stdout
    with open(argv[2]) as f:
        for line in f:
            row = json.loads(line)
            sample = row.get("sample") or {}
            item = {k: v for k, v in row.items() if k != "sample"}
            row["grade"] = {"reward": grade(sample, item)}
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
