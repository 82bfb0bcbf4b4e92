#!/usr/bin/env python3
"""Benchmark: posts per second from 200 participants at once, and the question page meanwhile.

Runs twice in one go on fresh SQLite files with `synchronous = FULL`: first with
`sqlite_group_commit = false` (every post commits on its own, the baseline), then with the
default single writer that commits the posts waiting together. Each run seeds a stage of
`--questions` open questions and `--participants` participants who each answer every one
through the API; then wrk, one connection per participant, has them reply under their own
answers with 60-150 words of markdown, each request with its participant's token, while a
second wrk loads the first participant's page of the first question (first page, HTML).
Afterwards the script counts the posts the questions hold and checks that every request wrk
saw answered 201 is among them.
Everything runs on 127.0.0.1 and stops by itself.

Usage: bench/posting.py [--participants 200] [--questions 10] [--seconds 15] [--page-connections 8]
"""
import argparse, json, os, random, re, shutil, subprocess, sys, tempfile
from common import Server
from pages import reply

LUA = """
local creds = {}
for line in io.lines(os.getenv("POSTING_CREDS")) do
  local token, path, body = line:match("^(%S+) (%S+) (.*)$")
  creds[#creds + 1] = {token, path, body}
end
local n = 0
-- Each request is the next participant's, on the next question: over the run every one posts
-- about as often, under their own answers.
request = function()
  n = n + 1
  local c = creds[(n % #creds) + 1]
  return wrk.format("POST", c[2], {["Authorization"] = "Bearer " .. c[1], ["Content-Type"] = "application/json"}, c[3])
end
"""


def wrk_run(args, env):
    out = subprocess.run(args, capture_output=True, text=True, check=True, env=env).stdout
    done = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return done, rps, p99, int(non2xx.group(1)) if non2xx else 0, out


def one_run(label, group_commit, args):
    server = Server(extra_env={"FOCUSBOARD_SQLITE_GROUP_COMMIT": "true" if group_commit else "false",
                               "FOCUSBOARD_DB_POOL_SIZE": "8"}, args=("serve", "--web-only"))
    work = tempfile.mkdtemp(prefix="focusboard-posting-")
    try:
        token = server.staff_token()
        board = server.api("POST", "/api/v1/boards", {"title": "Bench", "time_zone": "Europe/London"}, token)
        stage = server.api("POST", f"/api/v1/boards/{board['id']}/stages", {"title": "Stage 1"}, token)
        questions = [server.api("POST", f"/api/v1/stages/{stage['id']}/questions",
                                {"prompt_md": f"Question {i + 1}: what did you hope for?", "mode": "open"}, token)
                     for i in range(args.questions)]
        server.api("POST", f"/api/v1/stages/{stage['id']}/release", {}, token)
        q = questions[0]
        csv = "email,name\n" + "".join(f"p{i:03d}@example.org,P {i}\n" for i in range(args.participants))
        server.api("POST", f"/api/v1/boards/{board['id']}/participants/import?commit=true", csv.encode(), token, "text/csv")
        people = server.api("GET", f"/api/v1/boards/{board['id']}/participants", token=token)
        rng = random.Random(7)
        lines, first_link = [], None
        for i, person in enumerate(sorted(people, key=lambda p: p["email"])):
            link = person["sign_in_link"]
            first_link = first_link or link
            t = server.api("POST", "/api/v1/auth/participant", {"token": link.rsplit("/", 1)[1]})["token"]
            server.api("POST", "/api/v1/me/consent", {"consent": "true", "screen_name": f"Poster {i}"}, t)
            for question in questions:
                path = f"/api/v1/questions/{question['id']}/posts"
                answer = server.api("POST", path, {"body_md": reply(rng)}, t)
                lines.append(f"{t} {path} {json.dumps({'body_md': reply(rng), 'parent_id': answer['id']})}")
        rng.shuffle(lines)
        creds = os.path.join(work, "creds.txt")
        with open(creds, "w") as f:
            f.write("\n".join(lines) + "\n")
        script = os.path.join(work, "post.lua")
        with open(script, "w") as f:
            f.write(LUA)
        _, cookie = server.participant_cookie(first_link)
        env = dict(os.environ, POSTING_CREDS=creds)
        page = subprocess.Popen(["wrk", "-t1", f"-c{args.page_connections}", f"-d{args.seconds}s", "--latency",
                                 "-H", f"Cookie: {cookie}", f"{server.base}/q/{q['id']}"],
                                stdout=subprocess.PIPE, text=True)
        perf = None
        if args.perf and group_commit:
            perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(server.proc.pid), "-o", args.perf,
                                     "--", "sleep", str(args.seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done, rps, p99, non2xx, _ = wrk_run(["wrk", "-t2", f"-c{args.participants}", f"-d{args.seconds}s", "--latency",
                                             "-s", script, f"{server.base}/api/v1/questions/{q['id']}/posts"], env)
        page_out = page.communicate(timeout=args.seconds + 60)[0]
        if perf:
            perf.wait(timeout=60)
        page_rps = float(re.search(r"Requests/sec:\s+([\d.]+)", page_out).group(1))
        page_p99 = re.search(r"99%\s+(\S+)", page_out).group(1)
        # Every post wrk saw acknowledged is in the question (wrk may stop with some in flight,
        # which the server can still have written: hence at least, not exactly).
        stored = sum(server.api("GET", f"/api/v1/questions/{question['id']}", token=token)["pages"]["total_posts"]
                     for question in questions) - args.participants * len(questions)
        acknowledged = done - non2xx
        assert non2xx == 0, f"{non2xx} posts refused"
        assert stored >= acknowledged, (stored, acknowledged)
        print(f"{label:<34} {rps:>8,.0f} posts/s  p99 {p99:>8}   question page {page_rps:>7,.0f}/s  p99 {page_p99:>8}"
              f"   ({acknowledged:,} acknowledged, {stored:,} replies stored)")
        return rps
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--participants", type=int, default=200)
    ap.add_argument("--questions", type=int, default=10)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--page-connections", type=int, default=8)
    ap.add_argument("--perf", help="record a perf profile of the group-commit server to this file")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    print(f"SQLite, synchronous = FULL, {args.participants} participants posting on {args.questions} questions (wrk -t2 -c{args.participants} "
          f"-d{args.seconds}s), question page wrk -t1 -c{args.page_connections}, {os.cpu_count()} cores")
    base = one_run("each post its own commit", False, args)
    group = one_run("single writer, group commit", True, args)
    print(f"ratio (group commit / own commits): {group / base:.2f}")


if __name__ == "__main__":
    main()
