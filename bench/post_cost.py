#!/usr/bin/env python3
"""Benchmark: does creating a post cost more as its question grows?

Starts the release binary on a fresh SQLite file, sets up one open question, and has one
participant post an answer and then `--posts` replies under it, one at a time over one kept-alive
loopback connection, timing each request. Prints the median and p90 time of posts 10-59 (the
baseline, measured in the same run) and of the last 50, and their ratio; also the time to read
the question (JSON) at both sizes: opened again unchanged (the page kept for its reader), and
as the first view after a change (the board's settings saved again between reads, which moves
its version and adds no post), rendered in full. Everything runs on 127.0.0.1 and stops by
itself.

Usage: bench/post_cost.py [--posts 2000]
"""
import argparse, http.client, json, statistics, time, urllib.parse
from common import Server


def timed(conn, method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": "Bearer " + token}
    if data is not None:
        headers["Content-Type"] = "application/json"
    start = time.perf_counter()
    conn.request(method, path, body=data, headers=headers)
    res = conn.getresponse()
    payload = res.read()
    elapsed = time.perf_counter() - start
    assert res.status in (200, 201), (res.status, payload[:300])
    return elapsed, json.loads(payload)


def summary(samples):
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[int(len(ms) * 0.9)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=2000)
    args = ap.parse_args()
    server = Server(args=("serve", "--web-only"))
    try:
        token = server.staff_token()
        board, _, q = server.released_question(token)
        server.api("POST", f"/api/v1/boards/{board['id']}/participants/import?commit=true", b"email,name\np@example.org,P\n", token, "text/csv")
        person = server.api("GET", f"/api/v1/boards/{board['id']}/participants", token=token)[0]
        t = server.api("POST", "/api/v1/auth/participant", {"token": person["sign_in_link"].rsplit("/", 1)[1]})["token"]
        server.api("POST", "/api/v1/me/consent", {"consent": "true", "screen_name": "Poster"}, t)
        conn = http.client.HTTPConnection(urllib.parse.urlparse(server.base).netloc)
        path = f"/api/v1/questions/{q['id']}/posts"
        _, answer = timed(conn, "POST", path, t, {"body_md": "My answer, with *emphasis*."})
        text = "A reply of a realistic length, with *emphasis* and a list:\n\n- one point\n- another point\n\n" + "More words here. " * 20
        times, reads, fresh = [], {}, {}
        settings = {"title": "Bench", "time_zone": "Europe/London"}

        def fresh_read():
            server.api("PATCH", f"/api/v1/boards/{board['id']}", settings, token)
            return timed(conn, "GET", f"/api/v1/questions/{q['id']}", t)[0]

        for i in range(args.posts):
            elapsed, _ = timed(conn, "POST", path, t, {"body_md": text, "parent_id": answer["id"]})
            times.append(elapsed)
            if i + 1 in (49, args.posts):  # 50 posts: one whole page; then many pages
                reads[i + 1] = summary([timed(conn, "GET", f"/api/v1/questions/{q['id']}", t)[0] for _ in range(20)])
                fresh[i + 1] = summary([fresh_read() for _ in range(20)])
        early, late = summary(times[9:59]), summary(times[-50:])
        print(f"create a post, posts 10-59:        median {early[0]:.2f} ms, p90 {early[1]:.2f} ms")
        print(f"create a post, posts {args.posts - 49}-{args.posts}:  median {late[0]:.2f} ms, p90 {late[1]:.2f} ms")
        print(f"ratio (last / early, median):      {late[0] / early[0]:.2f}")
        for n, (med, p90) in reads.items():
            print(f"read the question (JSON, first page) at {n + 1} posts, opened again: median {med:.2f} ms, p90 {p90:.2f} ms")
            med, p90 = fresh[n]
            print(f"read the question (JSON, first page) at {n + 1} posts, first view after a change: median {med:.2f} ms, p90 {p90:.2f} ms")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
