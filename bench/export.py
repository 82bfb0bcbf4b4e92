#!/usr/bin/env python3
"""Benchmark: exporting a large board in every format, with time and peak memory.

A board is set up through the API (participants with two attributes, stages of questions
released, the value-creation codebook), then replies are written straight into its SQLite
file, which is far quicker than posting them one by one: by default 100,000 replies of about
300 characters, a tenth of them coded on an excerpt and one in a hundred marked as a quote.
Each format is then exported by `focusboard export --output` in a process of its own, whose
wall time and peak resident memory (VmHWM) are printed, with the file's size. One export
also goes through the HTTP route, and the server's peak memory is read from /proc.
Run it with two sizes (--replies 10000, then 100000) to see memory stay flat as the board grows.
Everything runs on 127.0.0.1 and stops by itself.

Usage: bench/export.py [--replies 100000] [--participants 1000] [--formats csv,xlsx,...]
"""
import argparse, os, random, shutil, sqlite3, subprocess, sys, time, urllib.request, uuid
from datetime import datetime, timedelta
from common import BIN, Server

FORMATS = ["csv", "xlsx", "json", "docx", "docx-participants", "quotes", "qdc", "qdpx"]
WORDS = ("the team calls weekly helped us plan better café sharing practice learning value time "
         "support colleagues new ideas tried changed patients ward rota meeting trust confidence").split()


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def seed(db_path, board, questions, people, codes, n, rng):
    """Writes n replies (and codings for a tenth of them) in one transaction."""
    con = sqlite3.connect(db_path, timeout=60)
    start = datetime(2026, 11, 2, 9, 0, 0)
    posts, excerpts, codings = [], [], []
    # A participant answers a question once; their further replies go under that answer.
    answers = {}
    for i in range(n):
        pid = str(uuid.uuid4())
        body = " ".join(sentence(rng, rng.randint(8, 14)) for _ in range(4))
        at = (start + timedelta(seconds=i * 7)).strftime("%Y-%m-%d %H:%M:%S.%f")
        q, who = questions[i % len(questions)], people[i % len(people)]
        answer = answers.setdefault((q, who), pid)
        parent = None if answer == pid else answer
        posts.append((pid, board, q, answer, parent, who, body, f"<p>{body}</p>", at))
        if i % 10 == 0:
            eid = str(uuid.uuid4())
            s = rng.randint(0, 40)
            excerpts.append((eid, board, pid, s, s + 60, body[s:s + 60], i % 100 == 0, "bench", at))
            codings.append((str(uuid.uuid4()), board, eid, pid, codes[i % len(codes)], "bench", at))
    with con:
        con.executemany("INSERT INTO posts (id, board_id, question_id, thread_id, parent_id, participant_id, body_md, body_html, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", posts)
        con.executemany("INSERT INTO excerpts (id, board_id, post_id, start_char, end_char, text, is_quote, created_by, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", excerpts)
        con.executemany("INSERT INTO codings (id, board_id, excerpt_id, post_id, code_id, created_by, created_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", codings)
    con.close()
    return len(codings)


def timed_export(env, board, fmt, out):
    """Runs one export in its own process; returns (seconds, peak RSS in MiB). The peak is the
    process's own high-water mark (VmHWM, which starts afresh at exec), read until it exits."""
    t0 = time.monotonic()
    proc = subprocess.Popen([BIN, "export", "--board", board, "--format", fmt, "--output", out], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while proc.poll() is None:
        try:
            peak = max(peak, peak_rss_mib(proc.pid))
        except (OSError, ValueError):
            pass
        time.sleep(0.002)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        sys.exit(f"export {fmt} failed: {proc.stderr.read().decode()}")
    return seconds, peak


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise ValueError("no VmHWM")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--replies", type=int, default=100_000)
    ap.add_argument("--participants", type=int, default=1000)
    ap.add_argument("--formats", default=",".join(FORMATS))
    args = ap.parse_args()
    rng = random.Random(7)
    server = Server()
    try:
        token = server.staff_token()
        b, questions, people = server.study_board(token, args.participants, rng, "Export bench")
        server.api("POST", f"/api/v1/boards/{b}/codebook/template", {"template": "value-creation"}, token)
        codes = [c["id"] for c in server.api("GET", f"/api/v1/boards/{b}/codes", token=token)]
        t0 = time.monotonic()
        coded = seed(os.path.join(server.work, "bench.db"), b, questions, people, codes, args.replies, rng)
        print(f"board: {args.replies} replies from {len(people)} participants to {len(questions)} questions, "
              f"{coded} coded excerpts (written in {time.monotonic() - t0:.1f} s)")

        print(f"{'format':<18} {'seconds':>8} {'peak RSS MiB':>13} {'file MiB':>9}")
        for fmt in args.formats.split(","):
            out = os.path.join(server.work, f"export.{fmt}")
            seconds, rss = timed_export(server.env, b, fmt, out)
            print(f"{fmt:<18} {seconds:>8.2f} {rss:>13.1f} {os.path.getsize(out) / 2**20:>9.1f}")
            os.remove(out)

        before = peak_rss_mib(server.proc.pid)
        t0 = time.monotonic()
        req = urllib.request.Request(f"{server.base}/api/v1/boards/{b}/export?format=xlsx", headers={"Authorization": "Bearer " + token})
        size = 0
        with urllib.request.urlopen(req, timeout=600) as r:
            while chunk := r.read(1 << 16):
                size += len(chunk)
        print(f"HTTP xlsx download: {time.monotonic() - t0:.2f} s, {size / 2**20:.1f} MiB; "
              f"server peak RSS {before:.1f} MiB before, {peak_rss_mib(server.proc.pid):.1f} MiB after")
    finally:
        server.stop()
        shutil.rmtree(server.work, ignore_errors=True)


if __name__ == "__main__":
    main()
