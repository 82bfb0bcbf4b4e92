"""Shared by the benchmarks: starting focusboard on loopback, and talking to it over HTTP."""
import http.cookiejar, json, os, re, socket, subprocess, sys, tempfile, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# FOCUSBOARD_BIN runs another build (for a quick comparison); by default the release build.
BIN = os.environ.get("FOCUSBOARD_BIN", os.path.join(ROOT, "target", "release", "focusboard"))
PASSWORD = "bench password 123"


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
    return call(opener, "POST", url, urllib.parse.urlencode(fields).encode(), ctype="application/x-www-form-urlencoded")


def csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def browser():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


class Server:
    """The release binary on a fresh SQLite file and a free loopback port, with a staff account."""

    def __init__(self, extra_env=None, args=("serve",)):
        if "FOCUSBOARD_BIN" not in os.environ:
            subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
        self.work = tempfile.mkdtemp(prefix="focusboard-bench-")
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ, FOCUSBOARD_DATABASE_URL=os.path.join(self.work, "bench.db"), FOCUSBOARD_DATA_DIR=self.work,
                        FOCUSBOARD_BIND=f"127.0.0.1:{port}", FOCUSBOARD_BASE_URL=self.base, FOCUSBOARD_LOG=os.environ.get("FOCUSBOARD_BENCH_LOG", "warn"),
                        FOCUSBOARD_NEW_PASSWORD=PASSWORD)
        self.env.update(extra_env or {})
        subprocess.run([BIN, "user", "create", "--email", "bench@example.org", "--name", "Bench"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        self.proc = subprocess.Popen([BIN, *args], env=self.env, stdout=subprocess.DEVNULL)
        wait_healthy(self.base)
        self.plain = urllib.request.build_opener()

    def staff_token(self):
        """Signs in through the pages and creates an API token, as a moderator would."""
        mod, _ = browser()
        page = call(mod, "GET", self.base + "/login")
        form(mod, self.base + "/login", {"csrf_token": csrf(page), "email": "bench@example.org", "password": PASSWORD})
        page = call(mod, "GET", self.base + "/account")
        page = form(mod, self.base + "/account/tokens", {"csrf_token": csrf(page), "name": "bench"})
        return re.search(r'value="(fb_[^"]+)"', page).group(1)

    def released_question(self, token, prompt="Q?", mode="open"):
        """A board with one stage, released now, holding one question: (board, stage, question)."""
        board = self.api("POST", "/api/v1/boards", {"title": "Bench", "time_zone": "Europe/London"}, token)
        stage = self.api("POST", f"/api/v1/boards/{board['id']}/stages", {"title": "Stage 1"}, token)
        q = self.api("POST", f"/api/v1/stages/{stage['id']}/questions", {"prompt_md": prompt, "mode": mode}, token)
        self.api("POST", f"/api/v1/stages/{stage['id']}/release", {}, token)
        return board, stage, q

    def study_board(self, token, participants, rng, title="Bench"):
        """A board as a study runs it: `participants` with two attributes (Role, Site), five
        stages of four open questions, all released. Returns (board id, question ids,
        participant ids)."""
        b = self.api("POST", "/api/v1/boards", {"title": title, "time_zone": "Europe/London"}, token)["id"]
        csv = "email,name,Role,Site\n" + "".join(f"p{i:05d}@example.org,P {i},{rng.choice(['Nurse', 'Doctor', 'Manager'])},Site {i % 7}\n"
                                                  for i in range(participants))
        self.api("POST", f"/api/v1/boards/{b}/participants/import?commit=true", csv.encode(), token, "text/csv")
        questions = []
        for s in range(5):
            stage = self.api("POST", f"/api/v1/boards/{b}/stages", {"title": f"Stage {s + 1}"}, token)
            for q in range(4):
                questions.append(self.api("POST", f"/api/v1/stages/{stage['id']}/questions",
                                          {"prompt_md": f"Question {s + 1}.{q + 1}: what changed for you?", "mode": "open"}, token)["id"])
            self.api("POST", f"/api/v1/stages/{stage['id']}/release", {}, token)
        people = [p["id"] for p in self.api("GET", f"/api/v1/boards/{b}/participants", token=token)]
        return b, questions, people

    def api(self, method, path, body=None, token=None, ctype="application/json"):
        return call(self.plain, method, self.base + path, body, token, ctype)

    def participant_cookie(self, link):
        """Follows a sign-in link like a browser and returns the session cookie header."""
        b, jar = browser()
        form(b, link, {"csrf_token": csrf(call(b, "GET", link))})
        return b, "; ".join(f"{c.name}={c.value}" for c in jar)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def wait_healthy(base, tries=100):
    """Waits (at most tries x 0.1 s) until the server at `base` answers /healthz."""
    for _ in range(tries):
        try:
            urllib.request.urlopen(base + "/healthz")
            return
        except OSError:
            time.sleep(0.1)


def start_sink(kind="python"):
    """A real SMTP server on loopback: (process, folder, port). `python` is the test suite's
    (tests/support/smtp_sink.py, aiosmtpd), `rust` the same files from bench/smtp_sink (a package of its
    own on mailin-embedded), which costs the machine far less per message."""
    folder = tempfile.mkdtemp(prefix="focusboard-sink-")
    if kind == "rust":
        target = os.path.join(ROOT, "target", "bench-smtp-sink")
        subprocess.run(["cargo", "build", "--release", "--locked", "--manifest-path", os.path.join(ROOT, "bench", "smtp_sink", "Cargo.toml"),
                        "--target-dir", target], check=True)
        command = [os.path.join(target, "release", "focusboard-bench-smtp-sink"), folder]
    else:
        command = [sys.executable, os.path.join(ROOT, "tests", "support", "smtp_sink.py"), "--dir", folder]
    proc = subprocess.Popen(command,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline().split()[1])
    return proc, folder, port


def wrk(url, cookie, seconds, connections):
    """Loads one page with wrk; returns (requests per second, p99, full output)."""
    return wrk_with(url, f"Cookie: {cookie}", seconds, connections)


def wrk_with(url, header, seconds, connections):
    """As `wrk`, sending `header` (a whole "Name: value" line, or "" for none)."""
    extra = ["-H", header] if header else []
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    return rps, p99, out
