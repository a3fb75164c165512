"""The control socket (REQ/REP, msgpack) and the CLI's control commands."""

import json
import subprocess

import zmq

from .conftest import (CLI, bundle_labels, bundle_version, make_articles,
                       pack, recv_n, run_cli, unpack)


def test_ping_models_unknown_and_bad_requests(daemon, models):
    r = daemon.control({"cmd": "ping"})
    assert r == {"ok": True, "pong": True, "pid": daemon.proc.pid}

    r = daemon.control({"cmd": "models"})
    assert r["ok"] is True
    assert r["envelope"] == ["topic", "sentiment"]
    assert sorted(r["models"]) == ["sentiment", "topic"]
    for task, m in r["models"].items():
        assert m["version"] == bundle_version(models / task)
        assert m["labels"] == bundle_labels(models / task)
        assert m["meta"]["task"] == task
        assert m["meta"]["version"] == m["version"]

    r = daemon.control({"cmd": "dance"})
    assert r["ok"] is False and "unknown command 'dance'" in r["error"]
    for raw in (b"\xc1not msgpack", b"", pack([1, 2]), pack({"cmd": 3}),
                pack({"command": "ping"}), pack({"cmd": "x" * 100})):
        r = daemon.control(raw, raw=True)
        assert r["ok"] is False and r["error"], raw
    r = daemon.control(None, frames=[pack({"cmd": "ping"}), b"extra"])
    assert r == {"ok": False, "error": "a request is one frame"}
    # Still serving.
    assert daemon.control({"cmd": "ping"})["ok"] is True


def test_stats_after_a_stream(daemon, models):
    push, pull = daemon.push_socket(), daemon.pull_socket()
    arts = make_articles(50, seed=4)
    bad = [b"\xc1", pack([1]), pack({"id": "q"}), pack({"id": 1.5}),
           pack({"text": "x"}), b"\xc1\xc1"]
    for a in arts:
        push.send(pack(a))
    for b in bad:
        push.send(b)
    push.send_multipart([pack(arts[0]), b"x"])
    out = recv_n(pull, len(arts) + len(bad) + 1)
    assert sum("error" in body for _, body in out) == len(bad) + 1

    st = daemon.stats()
    assert st["received"] == len(arts) + len(bad) + 1
    assert st["published"] == len(arts)
    assert st["errors"] == len(bad) + 1
    assert st["received"] == st["published"] + st["errors"]
    assert st["in_flight"] == 0
    assert st["seq"] == len(out)
    assert st["errors_by_code"] == {"not_msgpack": 2, "not_a_map": 1,
                                    "missing_text": 1, "bad_type": 1,
                                    "missing_id": 1, "multipart": 1}
    assert st["reloads"] == 0 and st["reload_failures"] == 0
    assert st["heartbeats"] == 0
    lat = st["latency_us"]
    assert 0 <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert {t: m["version"] for t, m in st["models"].items()} == \
        {t: bundle_version(models / t) for t in ("topic", "sentiment")}


def test_cli_control_commands(daemon, models):
    for cmd in ("ping", "stats", "models"):
        r = run_cli(cmd, "--control", daemon.control_ep, "--timeout", "10",
                    check=0)
        lines = r.stdout.splitlines()
        assert len(lines) == 1, r.stdout
        reply = json.loads(lines[0])
        assert reply["ok"] is True
    assert reply["models"]["topic"]["version"] == \
        bundle_version(models / "topic")
    # ">" is the default for a client: both spellings connect.
    r = run_cli("ping", "-C", ">" + daemon.control_ep, check=0)
    assert json.loads(r.stdout)["pid"] == daemon.proc.pid


def test_cli_control_errors(tmp_path):
    nowhere = f"ipc://{tmp_path}/nothing"
    r = run_cli("ping", "--control", nowhere, "--timeout", "0.3", check=1)
    assert r.stdout == ""
    assert f"no reply from '{nowhere}' within 0.3 s" in r.stderr
    r = run_cli("stats", "--control", "udp://x", check=2)
    assert "endpoint 'udp://x' must be" in r.stderr
    run_cli("stats", "--timeout", "soon", check=2)
    run_cli("stats", "extra", check=2)
    run_cli("fly", check=2)
    r = run_cli("--help", check=0)
    for cmd in ("classify", "send", "tail", "stats|ping|reload|models"):
        assert cmd in r.stdout


def test_cli_reports_ok_false(tmp_path, zctx):
    """A reply with "ok": false is printed and exits 1."""
    rep = zctx.socket(zmq.REP)
    rep.setsockopt(zmq.LINGER, 0)
    ep = f"ipc://{tmp_path}/fake"
    rep.bind(ep)
    p = subprocess.Popen([str(CLI), "reload", "-C", ep], text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert rep.poll(10000)
    assert unpack(rep.recv()) == {"cmd": "reload"}
    rep.send(pack({"ok": False, "error": "nope"}))
    out, err = p.communicate(timeout=10)
    assert p.returncode == 1
    assert json.loads(out) == {"ok": False, "error": "nope"}
