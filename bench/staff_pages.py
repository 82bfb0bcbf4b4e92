#!/usr/bin/env python3
"""Benchmark: the moderator's pages of a board of 1,000 participants and 20 questions, against
the static ceiling of their own bytes.

Sets up the board through the API (1,000 participants with two attributes, five stages of four
questions, released), writes one answer of 60-150 words per participant per question (20,000)
straight into the SQLite file, signs the moderator in through the pages, fetches the exact
bytes of the board page, the grid and the report, and loads each with wrk against the same
bytes served by the bare handler (`examples/static_bytes.rs`), one after the other in one run.
Everything runs on 127.0.0.1 and stops by itself.

The pages are kept per reader while their board is unchanged (`page_cache_mb`), so the load
measures the moderator opening an unchanged page again; `--page-cache-mb 0` measures every view
made in full, as the first view after a change is.

Usage: bench/staff_pages.py [--participants 1000] [--seconds 8] [--connections 32] [--page-cache-mb N]
"""
import argparse, os, random, shutil, sqlite3, subprocess, sys, uuid
from datetime import datetime, timedelta
from common import ROOT, Server, browser, call, csrf, form, PASSWORD
from pages import compare, reply


def seed_answers(db_path, board, questions, people, rng):
    """One answer per participant per question, in one transaction."""
    start = datetime(2026, 11, 2, 9, 0, 0)
    rows = []
    for qi, q in enumerate(questions):
        for pi, p in enumerate(people):
            pid = str(uuid.uuid4())
            body = reply(rng)
            at = (start + timedelta(seconds=(qi * len(people) + pi) * 3)).strftime("%Y-%m-%d %H:%M:%S.%f")
            rows.append((pid, board, q, pid, p, body, f"<p>{body}</p>", at))
    con = sqlite3.connect(db_path, timeout=60)
    with con:
        con.executemany("INSERT INTO posts (id, board_id, question_id, thread_id, participant_id, body_md, body_html, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()
    return len(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--participants", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--perf", help="a folder to write a perf profile of focusboard under each load into")
    ap.add_argument("--page-cache-mb", type=int,
                    help="the server's page_cache_mb; 0 makes every view in full (the first view after a change)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    subprocess.run(["cargo", "build", "--release", "--locked", "--example", "static_bytes"], cwd=ROOT, check=True)
    extra = {} if args.page_cache_mb is None else {"FOCUSBOARD_PAGE_CACHE_MB": str(args.page_cache_mb)}
    server = Server(args=("serve", "--web-only"), extra_env=extra)
    rng = random.Random(7)
    try:
        token = server.staff_token()
        b, questions, people = server.study_board(token, args.participants, rng, "Staff pages bench")
        n = seed_answers(os.path.join(server.work, "bench.db"), b, questions, people, rng)
        mod, jar = browser()
        form(mod, server.base + "/login", {"csrf_token": csrf(call(mod, "GET", server.base + "/login")),
                                           "email": "bench@example.org", "password": PASSWORD})
        cookie = "Cookie: " + "; ".join(f"{c.name}={c.value}" for c in jar)
        print(f"SQLite, {len(people)} participants, {len(questions)} questions, {n:,} answers, "
              f"wrk -t2 -c{args.connections} -d{args.seconds}s, {os.cpu_count()} cores")
        for name, path in [("board page (moderator)", f"/boards/{b}"), ("grid", f"/boards/{b}/grid"),
                           ("report", f"/boards/{b}/report")]:
            body = call(mod, "GET", server.base + path).encode()
            assert len(body) > 1000, (path, body[:200])
            compare(name, server.base + path, cookie, body, "text/html; charset=utf-8", args, server)
    finally:
        server.stop()
        shutil.rmtree(server.work, ignore_errors=True)


if __name__ == "__main__":
    main()
