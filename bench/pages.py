#!/usr/bin/env python3
"""Benchmark: focusboard's pages against the static ceiling of their own bytes, in one run.

Starts the release binary on a fresh SQLite file (or a PostgreSQL database with --postgres
URL), seeds a board through the JSON API (--replies participants, each answering one open
question with 60-150 words of markdown: emphasis, some quotes and lists), and signs one of them
in. For each page measured (the question page as HTML and as JSON, the board home) it fetches
the exact bytes, serves them from a bare actix-web handler (examples/static_bytes.rs), and loads
both with the same wrk settings, one after the other, printing requests per second, p99 and
the ratio. Everything runs on 127.0.0.1 and stops by itself.

Question pages are kept per reader while their board is unchanged (`page_cache_mb`), so the
load measures a reader opening an unchanged page again; `--page-cache-mb 0` measures every view
rendered in full, as the first view after any change is.

Usage: bench/pages.py [--seconds 10] [--connections 32] [--replies 50] [--postgres URL] [--perf DIR]
                      [--page-cache-mb N]
"""
import argparse, os, random, shutil, signal, subprocess, sys, tempfile, time, urllib.request
from common import ROOT, Server, call, free_port, wait_healthy, wrk_with

WORDS = ("the ward team weekly calls helped us plan care with families and colleagues across services "
         "because time pressure made it hard to meet but the forum gave space to think through what "
         "mattered most for patients carers and staff alike in our community of practice").split()


def reply(rng):
    """60-150 words of markdown, as participants write: emphasis, and sometimes a quote or a list."""
    n = rng.randint(60, 150)
    words = [rng.choice(WORDS) for _ in range(n)]
    for i in rng.sample(range(n), 3):
        words[i] = f"*{words[i]}*" if i % 2 else f"**{words[i]}**"
    text = " ".join(words[: n // 2]) + ".\n\n"
    if rng.random() < 0.3:
        text += "> " + " ".join(rng.choice(WORDS) for _ in range(12)) + "\n\n"
    if rng.random() < 0.3:
        text += "".join(f"- {rng.choice(WORDS)} {rng.choice(WORDS)}\n" for _ in range(3)) + "\n"
    return text + " ".join(words[n // 2:]) + "."


def static_server(body, content_type):
    """The example server, serving `body`; returns (process, base URL)."""
    path = tempfile.mktemp(prefix="focusboard-static-")
    with open(path, "wb") as f:
        f.write(body)
    port = free_port()
    exe = os.path.join(ROOT, "target", "release", "examples", "static_bytes")
    proc = subprocess.Popen([exe, path, content_type, str(port)])
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base)
    return proc, base


def compare(name, url, headers, body, content_type, args, server):
    perf = None
    if args.perf:
        # The profile of focusboard under this load, for `perf report -i`.
        out = os.path.join(args.perf, name.split(" (")[0].replace(" ", "-") + ("-json" if "JSON" in name else "") + ".data")
        perf = subprocess.Popen(["perf", "record", "--call-graph", "dwarf,16384", "-F", "199", "-o", out, "-p", str(server.proc.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rps, p99, _ = wrk_with(url, headers, args.seconds, args.connections)
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    proc, base = static_server(body, content_type)
    try:
        srps, sp99, _ = wrk_with(base + "/page", "", args.seconds, args.connections)
    finally:
        proc.terminate()
        proc.wait()
    print(f"{name:<28} {len(body) / 1024:7.1f} KB  focusboard {rps:9.0f}/s p99 {p99:>8}   "
          f"static {srps:9.0f}/s p99 {sp99:>8}   ratio {rps / srps:.3f}")
    return rps / srps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--replies", type=int, default=50)
    ap.add_argument("--postgres", help="an empty PostgreSQL database to run on instead of SQLite")
    ap.add_argument("--perf", help="a folder to write a perf profile of focusboard under each load into")
    ap.add_argument("--page-cache-mb", type=int,
                    help="the server's page_cache_mb; 0 renders every view in full (the first view after a change)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    subprocess.run(["cargo", "build", "--release", "--locked", "--example", "static_bytes"], cwd=ROOT, check=True)
    extra = {"FOCUSBOARD_DATABASE_URL": args.postgres} if args.postgres else {}
    if args.page_cache_mb is not None:
        extra["FOCUSBOARD_PAGE_CACHE_MB"] = str(args.page_cache_mb)
    server = Server(args=("serve", "--web-only"), extra_env=extra)
    rng = random.Random(7)
    try:
        token = server.staff_token()
        board, _, q = server.released_question(token, "What did you hope to achieve by joining?", "post_first")
        csv = "email,name,Role\n" + "".join(f"p{i}@example.org,P {i},Nurse\n" for i in range(args.replies))
        server.api("POST", f"/api/v1/boards/{board['id']}/participants/import?commit=true", csv.encode(), token, "text/csv")
        people = server.api("GET", f"/api/v1/boards/{board['id']}/participants", token=token)
        tokens = []
        for i, p in enumerate(people):
            t = server.api("POST", "/api/v1/auth/participant", {"token": p["sign_in_link"].rsplit("/", 1)[1]})["token"]
            server.api("POST", "/api/v1/me/consent", {"consent": "true", "screen_name": f"Screen {i}"}, t)
            server.api("POST", f"/api/v1/questions/{q['id']}/posts", {"body_md": reply(rng)}, t)
            tokens.append(t)
        browser, cookie = server.participant_cookie(people[0]["sign_in_link"])
        html = call(browser, "GET", f"{server.base}/q/{q['id']}").encode()
        assert html.count(b'class="post ') == args.replies, "the page shows every reply"
        req = urllib.request.Request(f"{server.base}/api/v1/questions/{q['id']}", headers={"Authorization": "Bearer " + tokens[0]})
        js = urllib.request.urlopen(req).read()
        home = call(browser, "GET", f"{server.base}/b/{board['id']}").encode()
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(f"{backend}, {args.replies} replies, wrk -t2 -c{args.connections} -d{args.seconds}s, {os.cpu_count()} cores")
        compare("question page (HTML)", f"{server.base}/q/{q['id']}", f"Cookie: {cookie}", html, "text/html; charset=utf-8", args, server)
        compare("question (JSON)", f"{server.base}/api/v1/questions/{q['id']}", f"Authorization: Bearer {tokens[0]}", js,
                "application/json", args, server)
        compare("board home (HTML)", f"{server.base}/b/{board['id']}", f"Cookie: {cookie}", home, "text/html; charset=utf-8", args, server)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
