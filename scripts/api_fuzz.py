#!/usr/bin/env python3
"""Schema-driven tests of the JSON API with schemathesis, as a staff member and as a participant:
every response must be no server error and must match the OpenAPI document (status code and
body). Starts the given focusboard binary with the demo board on a fresh SQLite file on
loopback; bounded in time. Usage: scripts/api_fuzz.py BINARY [SECONDS_PER_ROLE]"""
import json, os, re, socket, subprocess, sys, tempfile, time, urllib.parse, urllib.request, http.cookiejar

binary = sys.argv[1]
seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 60


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


work = tempfile.mkdtemp(prefix="focusboard-fuzz-")
port = free_port()
base = f"http://127.0.0.1:{port}"
env = dict(os.environ, FOCUSBOARD_DATABASE_URL=os.path.join(work, "fuzz.db"), FOCUSBOARD_DATA_DIR=work,
           FOCUSBOARD_BIND=f"127.0.0.1:{port}", FOCUSBOARD_BASE_URL=base, FOCUSBOARD_LOG="error",
           FOCUSBOARD_SHUTDOWN_DRAIN_SECS="0")
server = subprocess.Popen([binary, "serve", "--demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
banner = ""
# The demo's block of sign-in details comes after the "listening" line and ends its output.
for line in server.stdout:
    banner += line
    if "is listening on" in banner and "mail program" in line:
        break
password = re.search(r"password: (\S+)", banner).group(1)
links = re.findall(r"(http://\S+/p/\S+)", banner)

jar = http.cookiejar.CookieJar()
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def page(path, fields=None):
    data = urllib.parse.urlencode(fields).encode() if fields is not None else None
    with web.open(urllib.request.Request(base + path, data=data)) as r:
        return r.read().decode()


csrf = lambda html: re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
page("/login", {"csrf_token": csrf(page("/login")), "email": "moderator@example.org", "password": password})
html = page("/account/tokens", {"csrf_token": csrf(page("/account")), "name": "fuzz"})
staff = re.search(r'value="(fb_[^"]+)"', html).group(1)
req = urllib.request.Request(base + "/api/v1/auth/participant", data=json.dumps({"token": links[0].rsplit("/", 1)[1]}).encode(),
                             headers={"Content-Type": "application/json"})
participant = json.load(urllib.request.urlopen(req))["token"]

failed = False
try:
    for role, token in (("staff", staff), ("participant", participant)):
        print(f"== schemathesis as {role}, {seconds} s", flush=True)
        run = subprocess.run(["schemathesis", "run", base + "/api/v1/openapi.json",
                              "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
                              "-H", f"Authorization: Bearer {token}", "--max-time", str(seconds), "--workers", "2",
                              "--request-timeout", "10", "--suppress-health-check", "all", "--no-color"], env=dict(os.environ, NO_COLOR="1"),
                             cwd=work)  # its cache stays out of the checkout
        failed |= run.returncode != 0
finally:
    server.terminate()
    server.wait(timeout=30)
sys.exit(1 if failed else 0)
