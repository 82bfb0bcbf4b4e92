#!/usr/bin/env python3
"""Benchmarks for trusting focusboard with a live study, each on loopback, bounded in time, and
compared in one run against a baseline:

  images     peak memory (VmHWM) of the server while 8 clients upload the largest images at
             once (a 16-bit PNG that would decode to ~120 MB, and a 4,000 x 3,000 RGBA photo),
             against the idle server
  abandoned  memory after 60 uploads that never send their closing boundary (anonymous, and
             signed in), against before; and how long each waited for its answer
  kills      email duplicates per `kill -9` of a server sending 2,000 invitations to a real
             SMTP server, three kills; and posts acknowledged but lost across kill -9
  durability requests/s creating replies with SQLite synchronous=FULL against NORMAL (wrk)
  writers    writers of every kind at once on SQLite for 20 s (participants answering and
             replying, the moderator inviting, editing stages and recording answers, the
             outbox sending): server errors ("database is locked") per kind

Usage: bench/trust.py [images|abandoned|kills|durability|writers|all]
"""
import io, json, os, random, re, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time, urllib.request, zlib
from common import BIN, ROOT, PASSWORD, Server, call, browser, csrf, form, start_sink, wait_healthy, wrk


def rss_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def png(width, height, bit_depth, colour_type, channels):
    """A PNG of one flat colour, compressed hard: small on disk, large once decoded."""
    bpp = channels * bit_depth // 8
    row = b"\x00" + b"\x07" * (width * bpp)
    raw = zlib.compressobj(9)
    data = b"".join(raw.compress(row) for _ in range(height)) + raw.flush()
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def board(server, token, participants=1):
    b = server.api("POST", "/api/v1/boards", {"title": "Trust bench", "time_zone": "Europe/London"}, token)
    s = server.api("POST", f"/api/v1/boards/{b['id']}/stages", {"title": "Stage"}, token)
    q = server.api("POST", f"/api/v1/stages/{s['id']}/questions", {"prompt_md": "Anything?", "mode": "open", "allow_images": True}, token)
    csv = "email\n" + "".join(f"p{i}@example.org\n" for i in range(participants))
    server.api("POST", f"/api/v1/boards/{b['id']}/participants/import?commit=true", csv.encode(), token, ctype="text/csv")
    server.api("POST", f"/api/v1/stages/{s['id']}/release", {}, token)
    return b["id"], s["id"], q["id"]


def upload(base, token, question, body):
    req = urllib.request.Request(f"{base}/api/v1/questions/{question}/images?alt=x", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def bench_images():
    server = Server(extra_env={"FOCUSBOARD_MAX_BODY_BYTES": str(8 * 1024 * 1024)})
    try:
        token = server.staff_token()
        _, _, q = board(server, token)
        time.sleep(1)
        idle = rss_kb(server.proc.pid)
        bomb = png(4500, 4500, 16, 2, 3)
        photo = png(4000, 3000, 8, 6, 4)
        print(f"files: 16-bit bomb {len(bomb) // 1024} kB, RGBA photo {len(photo) // 1024} kB")
        for label, bodies in (("4 bombs and 4 photos", [bomb, photo] * 4), ("8 photos", [photo] * 8)):
            statuses = []
            threads = [threading.Thread(target=lambda b=b: statuses.append(upload(server.base, token, q, b))) for b in bodies]
            peak = [0]
            done = threading.Event()
            def watch():
                while not done.is_set():
                    peak[0] = max(peak[0], rss_kb(server.proc.pid))
                    time.sleep(0.005)
            w = threading.Thread(target=watch)
            w.start()
            t0 = time.monotonic()
            for t in threads: t.start()
            for t in threads: t.join()
            done.set(); w.join()
            hwm = rss_kb(server.proc.pid, "VmHWM")
            print(f"{label} at once: {time.monotonic() - t0:.1f} s, statuses {sorted(statuses)}; "
                  f"RSS idle {idle / 1024:.0f} MB, peak {max(peak[0], hwm) / 1024:.0f} MB (VmHWM so far)")
    finally:
        server.stop()


def bench_abandoned():
    server = Server(extra_env={"FOCUSBOARD_BODY_IDLE_SECS": "5", "FOCUSBOARD_MAX_BODY_BYTES": str(8 * 1024 * 1024)})
    try:
        token = server.staff_token()
        _, _, q = board(server, token)
        host, port = server.base[len("http://"):].split(":")
        # A signed-in moderator's session cookie, with its CSRF token, for the stalled forms.
        mod, jar = browser()
        page = call(mod, "GET", server.base + "/login")
        form(mod, server.base + "/login", {"csrf_token": csrf(page), "email": "bench@example.org", "password": PASSWORD})
        page = call(mod, "GET", server.base + f"/q/{q}")
        token_csrf = csrf(page)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        time.sleep(0.5)
        before = rss_kb(server.proc.pid)
        for who in ("anonymous", "signed in"):
            socks, waited = [], []
            for _ in range(60):
                s = socket.create_connection((host, int(port)))
                head = (f"POST /q/{q}/images HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\n"
                        f"Content-Length: 8000000\r\n" + (f"Cookie: {cookie}\r\n" if who == "signed in" else "") + "\r\n")
                body = (f"--XYZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token_csrf}\r\n" if who == "signed in" else "")
                body += "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
                s.sendall(head.encode() + body.encode() + os.urandom(100_000))
                socks.append((s, time.monotonic()))
            for s, t0 in socks:
                s.settimeout(30)
                try:
                    answer = s.recv(100).decode(errors="replace").split("\r\n")[0]
                except OSError as e:
                    answer = f"error {e}"
                waited.append((time.monotonic() - t0, answer))
                s.close()
            time.sleep(1)
            after = rss_kb(server.proc.pid)
            answers = sorted(set(a for _, a in waited))
            print(f"{who}: 60 stalled uploads answered {answers} after at most {max(w for w, _ in waited):.1f} s; "
                  f"RSS before {before / 1024:.0f} MB, after the sockets closed {after / 1024:.0f} MB")
    finally:
        server.stop()


def recipients(folder):
    to = []
    for f in os.listdir(folder):
        if f.endswith(".eml"):
            with open(os.path.join(folder, f), errors="replace") as fh:
                m = re.search(r"^X-Envelope-To: (.+)$", fh.read(4000), re.M)
                if m:
                    to.append(m.group(1).strip())
    return to


def restart(server):
    """Starts the killed server again on the same data, and waits until it answers."""
    server.proc = subprocess.Popen([BIN, "serve"], env=server.env, stdout=subprocess.DEVNULL)
    wait_healthy(server.base)


def bench_kills():
    sink, folder, port = start_sink()
    env = {"FOCUSBOARD_SMTP_URL": f"smtp://127.0.0.1:{port}", "FOCUSBOARD_MAIL_FROM": "board@focusboard.test",
           "FOCUSBOARD_OUTBOX_INTERVAL_MS": "100", "FOCUSBOARD_INSTANCE_ID": "bench-instance"}
    server = Server(extra_env=env)
    try:
        token = server.staff_token()
        n = 2000
        b, _, q = board(server, token, participants=n)
        server.api("POST", f"/api/v1/boards/{b}/invitations", {}, token)
        kills = 0
        for _ in range(3):
            time.sleep(random.uniform(0.5, 1.5))
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            kills += 1
            restart(server)
        start = time.monotonic()
        while len(set(recipients(folder))) < n and time.monotonic() - start < 300:
            time.sleep(0.5)
        to = recipients(folder)
        dup = len(to) - len(set(to))
        print(f"{n} invitations, {kills} kill -9 while sending: {len(set(to))} delivered, {dup} duplicates ({dup / kills:.1f} per kill)")
        # Posts acknowledged before a kill -9 are all there after it.
        people = server.api("GET", f"/api/v1/boards/{b}/participants", None, token)
        link = people[0]["sign_in_link"]
        ptoken = server.api("POST", "/api/v1/auth/participant", {"token": link.rsplit("/", 1)[1]})["token"]
        server.api("POST", "/api/v1/me/consent", {"consent": "true", "screen_name": "Bench"}, ptoken)
        first = server.api("POST", f"/api/v1/questions/{q}/posts", {"body_md": "first"}, ptoken)
        acked, stop = [], threading.Event()
        def writer():
            i = 0
            while not stop.is_set():
                try:
                    acked.append(server.api("POST", f"/api/v1/questions/{q}/posts", {"body_md": f"reply {i}", "parent_id": first["id"]}, ptoken)["id"])
                except Exception:
                    return
                i += 1
        w = threading.Thread(target=writer); w.start()
        time.sleep(2)
        server.proc.send_signal(signal.SIGKILL); server.proc.wait(); stop.set(); w.join()
        restart(server)
        page = server.api("GET", f"/api/v1/questions/{q}", None, token)
        stored = {r["id"] for p in page["posts"] for r in p["replies"]}
        lost = [a for a in acked if a not in stored]
        print(f"kill -9 while posting: {len(acked)} replies acknowledged, {len(lost)} lost")
    finally:
        server.stop()
        sink.kill()


def bench_durability():
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    results = {}
    for mode in ("normal", "full"):
        server = Server(extra_env={"FOCUSBOARD_SQLITE_SYNCHRONOUS": mode})
        try:
            token = server.staff_token()
            b, _, q = board(server, token, participants=1)
            people = server.api("GET", f"/api/v1/boards/{b}/participants", None, token)
            ptoken = server.api("POST", "/api/v1/auth/participant", {"token": people[0]["sign_in_link"].rsplit("/", 1)[1]})["token"]
            server.api("POST", "/api/v1/me/consent", {"consent": "true", "screen_name": "Bench"}, ptoken)
            first = server.api("POST", f"/api/v1/questions/{q}/posts", {"body_md": "first"}, ptoken)
            body = json.dumps({"body_md": "A reply of realistic length, *with emphasis*, about how the community worked together.", "parent_id": first["id"]})
            lua.seek(0); lua.truncate()
            lua.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Bearer {ptoken}"\n')
            lua.flush()
            out = subprocess.run(["wrk", "-t2", "-c8", "-d10s", "--latency", "-s", lua.name, f"{server.base}/api/v1/questions/{q}/posts"],
                                 capture_output=True, text=True, check=True).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            p99 = re.search(r"99%\s+(\S+)", out).group(1)
            non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            results[mode] = (rps, p99, int(non2xx.group(1)) if non2xx else 0)
            print(f"synchronous={mode}: {rps:.0f} replies/s, p99 {p99}, errors {results[mode][2]}")
        finally:
            server.stop()
    print(f"FULL costs {100 * (1 - results['full'][0] / results['normal'][0]):.0f}% of reply throughput against NORMAL")


def bench_writers():
    sink, folder, port = start_sink()
    server = Server(extra_env={"FOCUSBOARD_SMTP_URL": f"smtp://127.0.0.1:{port}", "FOCUSBOARD_MAIL_FROM": "board@focusboard.test",
                               "FOCUSBOARD_OUTBOX_INTERVAL_MS": "50"})
    try:
        token = server.staff_token()
        b, stage, q = board(server, token, participants=40)
        people = server.api("GET", f"/api/v1/boards/{b}/participants", None, token)
        tokens = []
        for p in people[:20]:
            t = server.api("POST", "/api/v1/auth/participant", {"token": p["sign_in_link"].rsplit("/", 1)[1]})["token"]
            server.api("POST", "/api/v1/me/consent", {"consent": "true", "screen_name": p["email"].split("@")[0]}, t)
            tokens.append(t)
        counts, lock = {}, threading.Lock()
        stop = time.monotonic() + 20
        def note(kind, ok):
            with lock:
                c = counts.setdefault(kind, [0, 0])
                c[0 if ok else 1] += 1
        def run(kind, fn):
            i = 0
            while time.monotonic() < stop:
                try:
                    fn(i); note(kind, True)
                except urllib.error.HTTPError as e:
                    note(kind, e.code < 500)
                except OSError:
                    note(kind, False)
                i += 1
        def participant(t):
            first = [None]
            def act(i):
                if first[0] is None:
                    first[0] = server.api("POST", f"/api/v1/questions/{q}/posts", {"body_md": "An answer"}, t)["id"]
                else:
                    server.api("POST", f"/api/v1/questions/{q}/posts", {"body_md": f"Reply {i}", "parent_id": first[0]}, t)
            return act
        threads = [threading.Thread(target=run, args=("participants posting", participant(t))) for t in tokens]
        threads.append(threading.Thread(target=run, args=("invitations", lambda i: server.api("POST", f"/api/v1/boards/{b}/invitations", {}, token))))
        threads.append(threading.Thread(target=run, args=("stage edits", lambda i: server.api("PATCH", f"/api/v1/stages/{stage}", {"intro_md": f"Intro {i}"}, token))))
        threads.append(threading.Thread(target=run, args=("answers on behalf", lambda i: server.api(
            "POST", f"/api/v1/questions/{q}/on-behalf", {"participant_id": people[20 + i % 20]["id"], "body_md": "By phone"}, token))))
        threads.append(threading.Thread(target=run, args=("new links", lambda i: server.api(
            "POST", f"/api/v1/boards/{b}/participants/{people[20 + i % 20]['id']}/link", {}, token))))
        for t in threads: t.start()
        for t in threads: t.join()
        for kind, (ok, failed) in counts.items():
            print(f"{kind}: {ok} answered, {failed} server errors")
        print(f"emails delivered meanwhile: {sum(1 for f in os.listdir(folder) if f.endswith('.eml'))}")
    finally:
        server.stop()
        sink.kill()


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    for name, fn in [("images", bench_images), ("abandoned", bench_abandoned), ("kills", bench_kills), ("durability", bench_durability), ("writers", bench_writers)]:
        if what in (name, "all"):
            print(f"== {name}", flush=True)
            fn()
