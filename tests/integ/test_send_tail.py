"""`newsclass send` and `newsclass tail` against the real daemon."""

import json
import queue
import signal
import subprocess
import threading

from .conftest import (CLI, REPO, SANITIZER_MARKS, WAIT, classify,
                       make_articles, pack, recv_n, run_cli)


def write_jsonl(path, arts, bad_lines=()):
    """Articles as JSON Lines, with raw bad lines inserted at given
    positions ({lineno: text}); returns the path."""
    lines = [json.dumps(a, ensure_ascii=False) for a in arts]
    for lineno, text in sorted(dict(bad_lines).items()):
        lines.insert(lineno - 1, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Tail:
    """newsclass tail in the background, its stdout lines in a queue."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([str(CLI), "tail", *map(str, args)],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next(self, timeout=WAIT):
        line = self.lines.get(timeout=timeout)
        assert line is not None, "tail exited: " + self.proc.stderr.read()
        assert line.endswith("\n")
        return json.loads(line)

    def finish(self, timeout=WAIT):
        rc = self.proc.wait(timeout)
        self.reader.join(timeout)
        err = self.proc.stderr.read()
        for mark in SANITIZER_MARKS:
            assert mark not in err, err
        rest = []
        while True:
            line = self.lines.get_nowait()
            if line is None:
                return rc, rest, err
            rest.append(json.loads(line))


def test_send_and_tail_pull(daemon, models, tmp_path):
    arts = make_articles(30, seed=9, prefix="c")
    src = write_jsonl(tmp_path / "in.jsonl", arts + [[1, 2]],
                      {5: "{not json", 9: "", 12: '{"id": "x", "id": 2}'})
    tail = Tail("-o", daemon.output, "--type", "pull", "--count",
                len(arts) + 1, "--timeout", WAIT, "--envelope")
    r = run_cli("send", "-v", "--input", daemon.input, src, check=1)
    assert f"{src}:5: not_json: " in r.stderr
    assert f"{src}:12: duplicate_key: " in r.stderr
    assert f"{src}:9:" not in r.stderr  # blank lines are ignored
    assert "sent 31" in r.stderr and "2 lines not sent" in r.stderr

    rc, out, err = tail.finish()
    assert rc == 0, err
    assert len(out) == len(arts) + 1
    want = {w["id"]: w for w in classify(models, arts)}
    for m in out:
        assert set(m) == {"envelope", "message"}
        body = m["message"]
        if m["envelope"] == "_error":
            assert body["error"] == "not_a_map" and "id" not in body
            continue
        w = want.pop(body["id"])
        assert body["tags"] == w["tags"] and body["models"] == w["models"]
        assert m["envelope"] == "{}.{}".format(
            body["tags"]["topic"]["label"], body["tags"]["sentiment"]["label"])
    assert want == {}


def test_tail_sub_with_subscription(daemon_factory, models, tmp_path):
    d = daemon_factory(output_type="pub", heartbeat=0.1)
    arts = make_articles(40, seed=10, prefix="u")
    labels = [w["tags"]["topic"]["label"] for w in classify(models, arts)]
    label = max(set(labels), key=labels.count)
    want = {a["id"] for a, lab in zip(arts, labels) if lab == label}
    assert 0 < len(want) < len(arts)

    tail = Tail("-o", d.output, "--subscribe", "_heartbeat", "--subscribe",
                label + ".", "--heartbeats", "--envelope")
    try:
        # A heartbeat shows that the subscriptions are active.
        while tail.next()["envelope"] != "_heartbeat":
            pass
        src = write_jsonl(tmp_path / "in.jsonl", arts)
        r = run_cli("send", "--input", ">" + d.input, src, check=0)
        assert r.stderr == ""
        got = []
        while True:
            m = tail.next()
            hb = m["message"]
            if m["envelope"] != "_heartbeat":
                assert m["envelope"].startswith(label + ".")
                got.append(hb["id"])
            elif hb["published"] + hb["errors"] == len(arts):
                break  # published after every article: nothing to come
        assert sorted(got) == sorted(want)
        assert hb["models"] == classify(models, arts[:1])[0]["models"]
        assert set(hb) >= {"seq", "uptime_s", "received", "in_flight"}
    finally:
        tail.proc.send_signal(signal.SIGTERM)
        tail.finish()


def test_tail_timeout_and_send_without_daemon(tmp_path):
    nowhere = f"ipc://{tmp_path}/nothing"
    r = run_cli("tail", "-o", nowhere, "--count", "1", "--timeout", "0.2",
                check=1)
    assert "no message for 0.2 s: got 0 of 1" in r.stderr
    run_cli("tail", "-o", nowhere, "--timeout", "0.2", check=0)
    run_cli("tail", "--type", "push", check=2)
    run_cli("tail", "--type", "pull", "--subscribe", "x", check=2)

    src = write_jsonl(tmp_path / "a.jsonl", make_articles(3))
    r = run_cli("send", "-i", nowhere, "--timeout", "0.3", src, check=1)
    assert "no receiver took the message within 0.3 s" in r.stderr
    r = run_cli("send", "-i", nowhere, tmp_path / "missing.jsonl", check=1)
    assert "cannot open" in r.stderr
    run_cli("send", "-i", "nonsense", src, check=2)


def test_tail_ends_a_line_cut_by_a_kill(daemon, tmp_path):
    """A tail killed in the middle of a line leaves the file without its
    final newline; the next tail appending to it ends that line first,
    so its own first line stays whole.  A whole file is left alone."""
    push = daemon.push_socket()
    out = tmp_path / "out.jsonl"
    for start, want in (('{"id": "cut-in-the-mi', '{"id": "cut-in-the-mi\n'),
                        ('{"id": "whole"}\n', '{"id": "whole"}\n')):
        out.write_text(start)
        with open(out, "ab") as f:
            p = subprocess.Popen([str(CLI), "tail", "--type", "pull", "-o",
                                  ">" + daemon.output, "--count", "1",
                                  "--timeout", str(WAIT)],
                                 stdout=f, stderr=subprocess.PIPE, text=True)
            push.send(pack({"id": "next", "text": "telescope"}))
            err = p.communicate(timeout=WAIT)[1]
        assert p.returncode == 0, err
        lines = out.read_text()
        assert lines.startswith(want), lines
        assert json.loads(lines[len(want):])["id"] == "next"
        assert ("ends in a cut line" in err) == (want != start)


def test_samples_file_goes_through(daemon):
    """The README's quick start: samples/articles.jsonl, sent as is."""
    samples = REPO / "samples" / "articles.jsonl"
    ids = [json.loads(line)["id"] for line in samples.open()]
    assert len(ids) >= 10
    pull = daemon.pull_socket()
    r = run_cli("send", "-v", "-i", daemon.input, samples, check=0)
    assert r.stderr == f"newsclass: info: sent {len(ids)}\n"
    got = recv_n(pull, len(ids))
    assert sorted(body["id"] for _, body in got) == sorted(ids)
    assert all(set(body["tags"]) == {"topic", "sentiment"} for _, body in got)
