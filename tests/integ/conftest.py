"""Integration tests: the real newsclassd on ipc:// endpoints in a temp dir,
driven by independent Python clients (pyzmq + msgpack).

Models are trained once per session by build/newsclass-train on a synthetic
corpus generated here with a fixed seed (three topics with disjoint
vocabularies, three sentiment labels), so the suite needs nothing from
../shared and its labels are known.  Each test gets its own copy of the
models (it may retrain or corrupt them) and its own daemon(s).

Environment: NC_BUILD (default "build") locates the binaries relative to the
repository root; NC_INTEG_SCALE scales the big loads (default 1, or 0.3 for
a sanitizer build, whose directory name contains "san");
NC_DAEMON_WRAPPER, a command line (split like a shell's) that every daemon
is started under, e.g. "valgrind --leak-check=full" (make valgrind).
"""

import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import msgpack
import pytest
import zmq

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / os.environ.get("NC_BUILD", "build")
DAEMON = BUILD / "newsclassd"
CLI = BUILD / "newsclass"
TRAIN = BUILD / "newsclass-train"
SCALE = float(os.environ.get(
    "NC_INTEG_SCALE", "0.3" if "san" in BUILD.name else "1"))
# Polls give up after this long: generous, since they end as soon as the
# condition holds.
WAIT = 20.0
DAEMON_WRAPPER = shlex.split(os.environ.get("NC_DAEMON_WRAPPER", ""))
# VALGRIND-ERROR: the --error-markers that make valgrind sets.
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:",
                   "LeakSanitizer", "ERROR: ThreadSanitizer",
                   "WARNING: ThreadSanitizer", "VALGRIND-ERROR")
SEED = 20240611

TOPICS = {
    "astronomy": "telescope galaxy orbit comet nebula planet asteroid eclipse"
                 " observatory cosmos lunar solar stellar meteor rover"
                 " satellite spacecraft astronaut crater quasar".split(),
    "cooking": "recipe oven garlic simmer pastry saucepan flour butter spice"
               " roast bake chef kitchen dough onion tomato basil whisk"
               " skillet broth".split(),
    "sailing": "yacht harbour regatta keel mast hull anchor tide sailor crew"
               " starboard rudder breeze dinghy mooring voyage spinnaker"
               " helm ballast jib".split(),
}
SENTIMENTS = {
    "negative": "terrible awful disaster failure grim worst broken collapse"
                " angry dismal".split(),
    "neutral": "reported announced scheduled listed noted stated described"
               " recorded outlined updated".split(),
    "positive": "wonderful triumph brilliant success delighted best splendid"
                " joyful thrilled superb".split(),
}
FILLER = "the a and of to in on with for this that today after over new" \
         " local".split()


def scaled(n, minimum=100):
    """A load of n articles, scaled for slow builds."""
    return max(minimum, int(n * SCALE))


def wait_for(cond, timeout=WAIT, interval=0.01, what="condition"):
    """Poll cond() until it returns a true value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for "
                                 f"{what}")
        time.sleep(interval)


# ---- synthetic corpus ----

def make_article(rng, ident, topic=None, sentiment=None):
    """One article dict with its true labels under "_topic"/"_sentiment"."""
    topic = topic or rng.choice(sorted(TOPICS))
    sentiment = sentiment or rng.choice(sorted(SENTIMENTS))

    def words(n):
        out = []
        for _ in range(n):
            r = rng.random()
            pool = (TOPICS[topic] if r < 0.45 else
                    SENTIMENTS[sentiment] if r < 0.75 else FILLER)
            out.append(rng.choice(pool))
        return " ".join(out)

    return {"id": ident, "title": words(4).capitalize(),
            "text": words(rng.randint(12, 25)) + ".",
            "_topic": topic, "_sentiment": sentiment}


def make_articles(n, seed=SEED, prefix="a"):
    """n articles (without the label keys), ids prefix0, prefix1, ..."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a = make_article(rng, f"{prefix}{i}")
        out.append({k: v for k, v in a.items() if not k.startswith("_")})
    return out


def write_training_set(path, arts, label_key):
    with open(path, "w", encoding="utf-8") as f:
        for a in arts:
            f.write(json.dumps({"id": a["id"], "title": a["title"],
                                "text": a["text"], "label": a[label_key]})
                    + "\n")


def train(data, out, C="1", seed="1", solver="liblinear"):
    """Train one bundle into out (atomically replacing it); its version."""
    r = subprocess.run([str(TRAIN), "train", "--data", str(data),
                        "--out", str(out), "--folds", "2", "--C", C,
                        "--seed", seed, "--solver", solver],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return bundle_version(out)


def bundle_version(bundle_dir):
    with open(Path(bundle_dir) / "meta.json", encoding="utf-8") as f:
        return json.load(f)["version"]


# meta.json "format" -> the bundle's model file: libsvm's svm.model
# (format 1), liblinear's linear.model (format 2, the trainer's default).
MODEL_FILES = {1: "svm.model", 2: "linear.model"}


def model_file(bundle_dir):
    """The bundle's model file, by the format its meta.json gives."""
    with open(Path(bundle_dir) / "meta.json", encoding="utf-8") as f:
        return Path(bundle_dir) / MODEL_FILES[json.load(f)["format"]]


def bundle_labels(bundle_dir):
    with open(Path(bundle_dir) / "meta.json", encoding="utf-8") as f:
        return json.load(f)["labels"]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """Training files: {"topic": path, "sentiment": path}."""
    d = tmp_path_factory.mktemp("corpus")
    rng = random.Random(SEED)
    arts = [make_article(rng, f"t{i}") for i in range(300)]
    files = {"topic": d / "topic.jsonl", "sentiment": d / "sentiment.jsonl"}
    write_training_set(files["topic"], arts, "_topic")
    write_training_set(files["sentiment"], arts, "_sentiment")
    return files


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory, corpus):
    """A models directory with the topic and sentiment bundles."""
    for p in (DAEMON, CLI, TRAIN):
        assert p.exists(), f"{p} is not built (make all)"
    d = tmp_path_factory.mktemp("models") / "models"
    d.mkdir()
    for task, data in corpus.items():
        train(data, d / task)
    return d


@pytest.fixture
def models(tmp_path, trained_models):
    """This test's own copy of the trained models."""
    d = tmp_path / "models"
    shutil.copytree(trained_models, d)
    return d


# ---- msgpack helpers ----

def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def unpack(data):
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


# ---- the daemon ----

class Daemon:
    """One newsclassd process on ipc:// endpoints under workdir."""

    def __init__(self, ctx, workdir, models, output_type="push",
                 heartbeat=0, extra=()):
        self.ctx = ctx
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.models = Path(models)
        self.input = f"ipc://{self.workdir}/in"
        self.output = f"ipc://{self.workdir}/out"
        self.control_ep = f"ipc://{self.workdir}/ctl"
        self.output_type = output_type
        self.argv = [*DAEMON_WRAPPER, str(DAEMON), "-i", "@" + self.input,
                     "-o", "@" + self.output, "-C", "@" + self.control_ep,
                     "--output-type", output_type, "-m", str(self.models),
                     "--heartbeat", str(heartbeat), "-t", "2", *extra]
        self.stderr_path = self.workdir / "stderr.txt"
        self.proc = None
        self.returncode = None
        self.expect_rc = 0     # what check_clean_exit accepts

    def start(self):
        self.stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr_file,
                                     cwd=self.workdir)
        self.wait_ready()
        return self

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def wait_ready(self):
        """Poll the control socket with ping until it answers."""
        deadline = time.monotonic() + WAIT
        while True:
            assert self.proc.poll() is None, \
                f"newsclassd exited with {self.proc.returncode}:\n" \
                f"{self.stderr()}"
            try:
                reply = self.control({"cmd": "ping"}, timeout=0.2)
                assert reply["ok"] is True and reply["pong"] is True
                assert reply["pid"] == self.proc.pid
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise AssertionError("newsclassd is not ready:\n"
                                         + self.stderr())

    def control(self, request, timeout=10.0, raw=False, frames=None):
        """One REQ/REP exchange; the unpacked reply."""
        s = self.ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        try:
            s.connect(self.control_ep)
            if frames is not None:
                s.send_multipart(frames)
            else:
                s.send(request if raw else pack(request))
            if not s.poll(int(timeout * 1000)):
                raise TimeoutError("no reply on the control socket")
            return unpack(s.recv())
        finally:
            s.close()

    def stats(self):
        r = self.control({"cmd": "stats"})
        assert r["ok"] is True
        return r

    def push_socket(self):
        s = self.ctx.socket(zmq.PUSH)
        s.setsockopt(zmq.LINGER, 5000)
        s.setsockopt(zmq.SNDHWM, 0)
        s.connect(self.input)
        return s

    def pull_socket(self):
        assert self.output_type == "push"
        s = self.ctx.socket(zmq.PULL)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVHWM, 0)
        s.connect(self.output)
        return s

    def sub_socket(self, *prefixes):
        assert self.output_type == "pub"
        s = self.ctx.socket(zmq.SUB)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVHWM, 0)
        for p in prefixes:
            s.setsockopt(zmq.SUBSCRIBE, p.encode())
        s.connect(self.output)
        return s

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=WAIT):
        """SIGTERM, wait; the exit status."""
        if self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.returncode = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("newsclassd did not stop on SIGTERM:\n"
                                     + self.stderr())
            self.stderr_file.close()
        return self.returncode

    def check_clean_exit(self):
        rc = self.stop()
        err = self.stderr()
        assert rc == self.expect_rc, f"newsclassd exited with {rc}:\n{err}"
        for mark in SANITIZER_MARKS:
            assert mark not in err, err


@pytest.fixture
def zctx():
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


def check_all_clean(daemons):
    """Stop every daemon; each must exit as expected with no sanitizer
    report.  All are stopped before any failure is raised."""
    failures = []
    for d in daemons:
        try:
            d.check_clean_exit()
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, "\n".join(failures)


@pytest.fixture
def daemon_factory(tmp_path, zctx, models):
    """start(output_type="push", heartbeat=0, extra=(), models=None, name=)
    starts a daemon; every one is stopped at teardown with SIGTERM and must
    exit 0 with no sanitizer report."""
    started = []

    def start(output_type="push", heartbeat=0, extra=(), models_dir=None,
              name=None):
        workdir = tmp_path / (name or f"d{len(started)}")
        d = Daemon(zctx, workdir, models_dir or models, output_type,
                   heartbeat, extra)
        started.append(d)
        return d.start()

    yield start
    check_all_clean(started)


@pytest.fixture
def daemon(daemon_factory):
    """A daemon with a PUSH output and no heartbeats."""
    return daemon_factory()


# ---- receiving ----

def recv_msg(sock, timeout=WAIT):
    """(envelope str, unpacked body) of the next message."""
    if not sock.poll(int(timeout * 1000)):
        raise AssertionError(f"no message within {timeout} s")
    frames = sock.recv_multipart()
    assert len(frames) == 2, frames
    return frames[0].decode(), unpack(frames[1])


def recv_n(sock, n, timeout=WAIT, skip_heartbeats=True):
    """The next n messages (heartbeats skipped), in arrival order; fails if
    no message comes for timeout seconds."""
    out = []
    while len(out) < n:
        try:
            env, body = recv_msg(sock, timeout)
        except AssertionError:
            raise AssertionError(f"got {len(out)} of {n} messages")
        if skip_heartbeats and env == "_heartbeat":
            continue
        out.append((env, body))
    return out


def roundtrip(push, pull, frames):
    """Send one message (bytes or a list of frames), get its one output."""
    if isinstance(frames, (bytes, bytearray)):
        push.send(frames)
    else:
        push.send_multipart(frames)
    return recv_msg(pull)


# ---- the CLI ----

def run_cli(*args, input=None, timeout=60, check=None):
    r = subprocess.run([str(CLI), *map(str, args)], input=input,
                       capture_output=True, text=True, timeout=timeout)
    for mark in SANITIZER_MARKS:
        assert mark not in r.stderr, r.stderr
    if check is not None:
        assert r.returncode == check, (r.returncode, r.stdout, r.stderr)
    return r


def classify(models_dir, arts):
    """newsclass classify on these articles: one dict per article."""
    lines = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in arts)
    r = run_cli("classify", "--models", models_dir, input=lines, check=0)
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(out) == len(arts)
    return out


def assert_same_tags(got, want, tol=1e-12):
    """Tags equal: same tasks, labels, label sets, p and scores to tol,
    the same top lists and uncertain flags, and the same why terms (their
    contributions to tol)."""
    assert set(got) == set(want)
    for task in want:
        g, w = got[task], want[task]
        assert g["label"] == w["label"], task
        assert abs(g["p"] - w["p"]) <= tol, task
        assert list(g["scores"]) == list(w["scores"]), task
        for label, p in w["scores"].items():
            assert abs(g["scores"][label] - p) <= tol, (task, label)
        assert g["top"] == w["top"], task
        assert g["uncertain"] is w["uncertain"], task
        assert ("why" in g) == ("why" in w), task
        if w.get("why") is not None:
            assert [t for t, _ in g["why"]] == [t for t, _ in w["why"]]
            for (_, gc), (_, wc) in zip(g["why"], w["why"]):
                assert abs(gc - wc) <= tol, task


def envelope_of(tags):
    return f"{tags['topic']['label']}.{tags['sentiment']['label']}"
