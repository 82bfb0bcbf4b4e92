#!/usr/bin/env python3
"""Benchmark: search on a board of 100,000 replies, first page of results, against a baseline.

The board is set up as bench/export.py does (participants with attributes, twenty released
questions, the value-creation codebook) and its replies written straight into the SQLite file;
the search index is kept by the database's own triggers as they are written. Then each query
asks the API for its first page of results (twenty hits, with the words marked in context),
one request at a time, and the time of each is measured from the client on loopback: median
and 95th percentile. The baseline, in the same run, is the board's own JSON (GET
/api/v1/boards/{id}), the cheapest authenticated request. The queries go from a word in nearly
every reply to a word in few, and one is narrowed by a question and an attribute.
Everything runs on 127.0.0.1 and stops by itself.

Usage: bench/search.py [--replies 100000] [--participants 1000] [--requests 30]
"""
import argparse, os, random, shutil, statistics, sys, time, urllib.parse, urllib.request
from common import Server
from export import seed


def timed(url, token, n):
    """Milliseconds of n sequential GETs (after three to warm up), and the last body."""
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    for _ in range(3):
        urllib.request.urlopen(req, timeout=60).read()
    times, body = [], b""
    for _ in range(n):
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=60) as r:
            body = r.read()
        times.append((time.perf_counter() - t0) * 1000)
    return times, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replies", type=int, default=100_000)
    ap.add_argument("--participants", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    rng = random.Random(11)
    server = Server()
    try:
        token = server.staff_token()
        b, questions, people = server.study_board(token, args.participants, rng, "Search bench")
        server.api("POST", f"/api/v1/boards/{b}/codebook/template", {"template": "value-creation"}, token)
        codes = [c["id"] for c in server.api("GET", f"/api/v1/boards/{b}/codes", token=token)]
        t0 = time.monotonic()
        seed(os.path.join(server.work, "bench.db"), b, questions, people, codes, args.replies, rng)
        print(f"board: {args.replies} replies from {len(people)} participants to {len(questions)} questions "
              f"(written and indexed in {time.monotonic() - t0:.1f} s)")
        import json
        cases = [
            ("baseline: GET the board", f"/api/v1/boards/{b}"),
            ("search: team (in nearly every reply)", f"/api/v1/boards/{b}/search?q=team"),
            ("search: weekly ideas (two words)", f"/api/v1/boards/{b}/search?q=weekly+ideas"),
            ("search: café rota confidence", f"/api/v1/boards/{b}/search?q=caf%C3%A9+rota+confidence"),
            ("search: zeppelin (no hit)", f"/api/v1/boards/{b}/search?q=zeppelin"),
            ("search: ward, one question, Role=Nurse",
             f"/api/v1/boards/{b}/search?q=ward&question={questions[3]}&attribute=Role&value=Nurse"),
        ]
        print(f"{'request':<42} {'hits':>7} {'median ms':>10} {'p95 ms':>8}")
        for name, path in cases:
            times, body = timed(server.base + path, token, args.requests)
            hits = json.loads(body).get("total", "") if "search" in path else ""
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"{name:<42} {hits:>7} {statistics.median(times):>10.1f} {p95:>8.1f}")
    finally:
        server.stop()
        shutil.rmtree(server.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
