#!/usr/bin/env python3
"""Benchmark: 10,000 reminders queued by the scheduler and delivered by the outbox worker to a
real SMTP server on loopback, and what the draining does to the participant's question page.
The sink is bench/smtp_sink (mailin-embedded) unless `--sink python` picks the test
suite's aiosmtpd sink (tests/support/smtp_sink.py), which takes most of a core at these rates.

Steps: 10,000 participants are imported and invited (the invitations are delivered and timed
too); the question page is loaded with wrk for a baseline; then the board's "before a stage
closes" reminder is switched on, the next scheduler tick queues 10,000 reminders, and the
page is loaded again while they drain. Prints messages per second and both p99 latencies.
Everything runs on 127.0.0.1 and stops by itself (bounded waits).

Usage: bench/outbox.py [--participants 10000] [--connections 16] [--smtp-connections 8] [--perf FILE] [--sink rust|python]
"""
import argparse, os, shutil, signal, subprocess, sys, tempfile, threading, time
from datetime import datetime, timedelta, timezone
from common import ROOT, Server, start_sink, wrk


def received(folder):
    return sum(1 for f in os.listdir(folder) if f.endswith(".eml"))


def wait_for(folder, n, limit):
    start = time.monotonic()
    while received(folder) < n:
        if time.monotonic() - start > limit:
            sys.exit(f"only {received(folder)} of {n} messages arrived within {limit} s")
        time.sleep(0.05)
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--participants", type=int, default=10000)
    ap.add_argument("--connections", type=int, default=16, help="wrk connections to the question page")
    ap.add_argument("--smtp-connections", type=int, default=8, help="the server's smtp_connections")
    ap.add_argument("--perf", help="a file to write a perf profile of focusboard while the invitations drain into")
    ap.add_argument("--sink", choices=("rust", "python"), default="rust",
                    help="rust: bench/smtp_sink (mailin-embedded); python: the test suite's aiosmtpd sink")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    sink, folder, port = start_sink(args.sink)
    server = Server(extra_env={"FOCUSBOARD_SMTP_URL": f"smtp://127.0.0.1:{port}", "FOCUSBOARD_MAIL_FROM": "board@focusboard.test",
                               "FOCUSBOARD_SCHEDULER_INTERVAL_SECS": "1", "FOCUSBOARD_OUTBOX_INTERVAL_MS": "200",
                               "FOCUSBOARD_SMTP_CONNECTIONS": str(args.smtp_connections)})
    n = args.participants
    try:
        token = server.staff_token()
        settings = {"title": "Bench", "time_zone": "Europe/London", "remind_before_close_hours": None, "remind_not_signed_in_hours": None}
        board = server.api("POST", "/api/v1/boards", settings, token)
        b = board["id"]
        for start in range(0, n, 5000):
            csv = "email,name,Role\n" + "".join(f"p{i:05d}@example.org,P {i},Nurse\n" for i in range(start, min(n, start + 5000)))
            server.api("POST", f"/api/v1/boards/{b}/participants/import?commit=true", csv.encode(), token, "text/csv")
        close = (datetime.now(timezone.utc) + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
        stage = server.api("POST", f"/api/v1/boards/{b}/stages", {"title": "Stage 1", "close_at": close}, token)
        q = server.api("POST", f"/api/v1/stages/{stage['id']}/questions", {"prompt_md": "What did you hope for?", "mode": "open"}, token)
        server.api("POST", f"/api/v1/stages/{stage['id']}/release", {}, token)

        perf = None
        if args.perf:
            perf = subprocess.Popen(["perf", "record", "--call-graph", "dwarf,16384", "-F", "199", "-o", args.perf, "-p", str(server.proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        t0 = time.monotonic()
        queued = server.api("POST", f"/api/v1/boards/{b}/invitations", None, token)["queued"]
        queue_invites = time.monotonic() - t0
        invite_secs = wait_for(folder, n, 600) + queue_invites
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        print(f"{queued} invitations: queued in {queue_invites:.2f} s, all delivered after {invite_secs:.1f} s ({n / invite_secs:.0f} messages/s)")

        people = server.api("GET", f"/api/v1/boards/{b}/participants", token=token)
        _, cookie = server.participant_cookie(people[0]["sign_in_link"])
        url = f"{server.base}/q/{q['id']}"
        # Load the page for about as long as a drain takes.
        window = max(3, min(30, round(invite_secs)))
        base_rps, base_p99, _ = wrk(url, cookie, window, args.connections)
        print(f"question page, idle outbox: {base_rps:.0f} requests/s, p99 {base_p99}")

        during = {}
        load = threading.Thread(target=lambda: during.update(zip(("rps", "p99", "out"), wrk(url, cookie, window, args.connections))))
        t0 = time.monotonic()
        server.api("PATCH", f"/api/v1/boards/{b}", {**settings, "remind_before_close_hours": 48}, token)
        load.start()
        reminder_secs = wait_for(folder, 2 * n, 600)
        load.join()
        print(f"{n} reminders: queued by the scheduler and delivered after {reminder_secs:.1f} s ({n / reminder_secs:.0f} messages/s)")
        print(f"question page while draining: {during['rps']:.0f} requests/s, p99 {during['p99']} (idle: p99 {base_p99})")
    finally:
        server.stop()
        sink.stdin.close()
        sink.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(server.work, ignore_errors=True)


if __name__ == "__main__":
    main()
