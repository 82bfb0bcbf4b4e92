#!/usr/bin/env python3
"""Benchmark: answers by email against answers on the web, in one run.

A board with N invited participants releases a stage of two questions; with no SMTP server the
stage notices are .eml files, each with its participant's Reply-To key. Every participant's
reply to their notice (quoted original and signature included, as a mail program writes it) is
dropped into the inbox folder at once, and the time until the server has posted all N answers
is measured (the inbox worker reads the folder every second; a full batch is followed by the
next at once). The baseline is the same N answers to the second question written through the
API, one participant after another, each with their own token: the web path's cost for the
same work. Everything runs on 127.0.0.1 and stops by itself.

Usage: bench/inbound.py [--participants 500]
"""
import argparse, email, email.policy, os, shutil, sys, time, urllib.request
from common import Server, call


def wait_for(predicate, timeout, what):
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--participants", type=int, default=500)
    args = ap.parse_args()
    n = args.participants
    server = Server(extra_env={"FOCUSBOARD_INBOX_INTERVAL_SECS": "1"})
    try:
        token = server.staff_token()
        b = server.api("POST", "/api/v1/boards", {"title": "Inbound bench", "time_zone": "Europe/London"}, token)["id"]
        csv = "email,name\n" + "".join(f"p{i:05d}@example.org,P {i}\n" for i in range(n))
        server.api("POST", f"/api/v1/boards/{b}/participants/import?commit=true", csv.encode(), token, "text/csv")
        stage = server.api("POST", f"/api/v1/boards/{b}/stages", {"title": "Stage 1"}, token)
        q1 = server.api("POST", f"/api/v1/stages/{stage['id']}/questions", {"prompt_md": "What did you hope for?", "mode": "open"}, token)["id"]
        q2 = server.api("POST", f"/api/v1/stages/{stage['id']}/questions", {"prompt_md": "And what happened?", "mode": "open"}, token)["id"]
        server.api("POST", f"/api/v1/boards/{b}/invitations", {}, token)
        server.api("POST", f"/api/v1/stages/{stage['id']}/release", {}, token)
        people = server.api("GET", f"/api/v1/boards/{b}/participants", token=token)
        # Consent, as each participant does on first visit; and a token each for the baseline.
        tokens = []
        for p in people:
            t = call(server.plain, "POST", server.base + "/api/v1/auth/participant", {"token": p["sign_in_link"].rsplit("/", 1)[1]})["token"]
            call(server.plain, "POST", server.base + "/api/v1/me/consent", {"consent": "true", "screen_name": p["email"].split("@")[0]}, t)
            tokens.append(t)
        mail = os.path.join(server.work, "mail")
        notices = lambda: [f for f in os.listdir(mail) if "-stage_open-" in f] if os.path.isdir(mail) else []
        wait_for(lambda: len(notices()) >= n, 120, "the stage notices")
        replies = []
        for i, name in enumerate(sorted(notices())):
            with open(os.path.join(mail, name), "rb") as f:
                notice = email.message_from_binary_file(f, policy=email.policy.default)
            reply_to = notice["Reply-To"].addresses[0].addr_spec
            text = (f"Answer {i} by email: a quieter street and more benches.\r\n\r\n-- \r\nP {i}\r\n\r\n"
                    f"On Mon, 7 Dec 2026 at 10:00, Inbound bench <{reply_to}> wrote:\r\n> New questions are open\r\n")
            replies.append(f"From: {notice['To']}\r\nTo: {reply_to}\r\nSubject: Re: {notice['Subject']}\r\n"
                           f"Message-ID: <bench-{i}@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}")
        def answered(q):
            overview = server.api("GET", f"/api/v1/boards/{b}/overview", token=token)
            return next(x["answered_count"] for s in overview["stages"] for x in s["questions"] if x["id"] == q)
        inbox = os.path.join(server.work, "inbox")
        t0 = time.monotonic()
        for i, r in enumerate(replies):
            with open(os.path.join(inbox, f"r{i:05d}.tmp"), "w") as f:
                f.write(r)
            os.rename(os.path.join(inbox, f"r{i:05d}.tmp"), os.path.join(inbox, f"r{i:05d}.eml"))
        wait_for(lambda: answered(q1) >= n, 600, "the answers by email")
        by_email = time.monotonic() - t0
        t0 = time.monotonic()
        for i, t in enumerate(tokens):
            call(server.plain, "POST", f"{server.base}/api/v1/questions/{q2}/posts", {"body_md": f"Answer {i} on the web."}, t)
        by_web = time.monotonic() - t0
        assert answered(q2) == n
        print(f"{'path':<44} {'answers':>8} {'seconds':>8} {'per second':>11}")
        print(f"{'by email (drop folder, from the first file)':<44} {n:>8} {by_email:>8.2f} {n / by_email:>11.1f}")
        print(f"{'baseline: on the web (API, one at a time)':<44} {n:>8} {by_web:>8.2f} {n / by_web:>11.1f}")
    finally:
        server.stop()
        shutil.rmtree(server.work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
