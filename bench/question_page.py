#!/usr/bin/env python3
"""Benchmark: a participant's question page with 50 replies, on SQLite, over loopback.

Starts the release binary on a fresh SQLite file, seeds a board through the JSON API (50
participants who each answer one open question), signs one participant in through their
link, then loads the question page with wrk for a bounded time and prints requests per
second and latency percentiles. Everything runs on 127.0.0.1 and stops by itself.

Usage: bench/question_page.py [--seconds 10] [--connections 16]
"""
import argparse, http.cookiejar, json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "focusboard")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(opener, method, url, body=None, token=None, ctype="application/json"):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with opener.open(req) as r:
        text = r.read().decode()
        return json.loads(text) if text and r.headers.get_content_type().endswith("json") else text


def form(opener, url, fields):
    body = urllib.parse.urlencode(fields).encode()
    return call(opener, "POST", url, body, ctype="application/x-www-form-urlencoded")


def csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--replies", type=int, default=50)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="focusboard-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, FOCUSBOARD_DATABASE_URL=os.path.join(work, "bench.db"), FOCUSBOARD_DATA_DIR=work,
               FOCUSBOARD_BIND=f"127.0.0.1:{port}", FOCUSBOARD_BASE_URL=base, FOCUSBOARD_LOG="warn",
               FOCUSBOARD_NEW_PASSWORD="bench password 123")
    subprocess.run([BIN, "user", "create", "--email", "bench@example.org", "--name", "Bench"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    server = subprocess.Popen([BIN, "serve", "--web-only"], env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        # Moderator: sign in through the page, create an API token.
        jar = http.cookiejar.CookieJar()
        mod = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = call(mod, "GET", base + "/login")
        form(mod, base + "/login", {"csrf_token": csrf(page), "email": "bench@example.org", "password": "bench password 123"})
        page = call(mod, "GET", base + "/account")
        page = form(mod, base + "/account/tokens", {"csrf_token": csrf(page), "name": "bench"})
        token = re.search(r'value="(fb_[^"]+)"', page).group(1)
        plain = urllib.request.build_opener()
        board = call(plain, "POST", base + "/api/v1/boards", {"title": "Bench", "time_zone": "Europe/London"}, token)
        stage = call(plain, "POST", f"{base}/api/v1/boards/{board['id']}/stages", {"title": "S"}, token)
        q = call(plain, "POST", f"{base}/api/v1/stages/{stage['id']}/questions", {"prompt_md": "Q?", "mode": "open"}, token)
        call(plain, "POST", f"{base}/api/v1/stages/{stage['id']}/release", {}, token)
        csv = "email,name,Role\n" + "".join(f"p{i}@example.org,P {i},Nurse\n" for i in range(args.replies))
        call(plain, "POST", f"{base}/api/v1/boards/{board['id']}/participants/import?commit=true", csv.encode(), token, "text/csv")
        people = call(plain, "GET", f"{base}/api/v1/boards/{board['id']}/participants", token=token)
        for i, p in enumerate(people):
            t = call(plain, "POST", base + "/api/v1/auth/participant", {"token": p["sign_in_link"].rsplit("/", 1)[1]})["token"]
            call(plain, "POST", base + "/api/v1/me/consent", {"consent": "true", "screen_name": f"Screen {i}"}, t)
            call(plain, "POST", f"{base}/api/v1/questions/{q['id']}/posts", {"body_md": f"Reply {i} with *some* text " * 5}, t)
        # One participant's browser session.
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        link = people[0]["sign_in_link"]
        form(browser, link, {"csrf_token": csrf(call(browser, "GET", link))})
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        page = call(browser, "GET", f"{base}/q/{q['id']}")
        assert page.count('class="post ') == args.replies, "the page shows every reply"
        out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", "-H", f"Cookie: {cookie}",
                              f"{base}/q/{q['id']}"], capture_output=True, text=True, check=True).stdout
        print(out)
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
        p99 = re.search(r"99%\s+(\S+)", out).group(1)
        print(f"question page, {args.replies} replies, SQLite, {args.connections} connections: {rps} requests/s, p99 {p99}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
