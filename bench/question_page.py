#!/usr/bin/env python3
"""Benchmark: a participant's question page with 50 replies, on SQLite, over loopback.

Starts the release binary on a fresh SQLite file, seeds a board through the JSON API (50
participants who each answer one open question), signs one participant in through their
link, then loads the question page with wrk for a bounded time and prints requests per
second and latency percentiles. Everything runs on 127.0.0.1 and stops by itself.

Usage: bench/question_page.py [--seconds 10] [--connections 16]
"""
import argparse, shutil, sys
from common import Server, wrk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--replies", type=int, default=50)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    server = Server(args=("serve", "--web-only"))
    try:
        token = server.staff_token()
        board, _, q = server.released_question(token)
        csv = "email,name,Role\n" + "".join(f"p{i}@example.org,P {i},Nurse\n" for i in range(args.replies))
        server.api("POST", f"/api/v1/boards/{board['id']}/participants/import?commit=true", csv.encode(), token, "text/csv")
        people = server.api("GET", f"/api/v1/boards/{board['id']}/participants", token=token)
        for i, p in enumerate(people):
            t = server.api("POST", "/api/v1/auth/participant", {"token": p["sign_in_link"].rsplit("/", 1)[1]})["token"]
            server.api("POST", "/api/v1/me/consent", {"consent": "true", "screen_name": f"Screen {i}"}, t)
            server.api("POST", f"/api/v1/questions/{q['id']}/posts", {"body_md": f"Reply {i} with *some* text " * 5}, t)
        browser, cookie = server.participant_cookie(people[0]["sign_in_link"])
        page = browser.open(f"{server.base}/q/{q['id']}").read().decode()
        assert page.count('class="post ') == args.replies, "the page shows every reply"
        rps, p99, out = wrk(f"{server.base}/q/{q['id']}", cookie, args.seconds, args.connections)
        print(out)
        print(f"question page, {args.replies} replies, SQLite, {args.connections} connections: {rps:.1f} requests/s, p99 {p99}")
    finally:
        server.stop()
        shutil.rmtree(server.work, ignore_errors=True)


if __name__ == "__main__":
    main()
