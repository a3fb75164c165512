"""Model reloads: by SIGHUP and by `newsclass reload`, a failed reload that
keeps the old models, and reloads under load that lose nothing."""

import json
import os
import shutil
import signal
import threading
from collections import Counter

from .conftest import (bundle_version, make_articles, model_file, pack,
                       recv_msg, roundtrip, run_cli, scaled, train, wait_for)


def result_versions(push, pull):
    """The "models" of the result for a new article."""
    env, body = roundtrip(push, pull, pack({"id": "probe", "title": "Comet",
                                            "text": "telescope orbit"}))
    assert "tags" in body, body
    return body["models"]


def test_reload_by_sighup_and_cli(daemon, models, corpus):
    push, pull = daemon.push_socket(), daemon.pull_socket()
    v1 = bundle_version(models / "topic")
    s1 = bundle_version(models / "sentiment")
    assert result_versions(push, pull) == \
        {"topic": v1, "sentiment": s1}

    # newsclass-train replaces the bundle atomically under the daemon.
    v2 = train(corpus["topic"], models / "topic", C="8", seed="2")
    assert v2 != v1
    assert result_versions(push, pull)["topic"] == v1
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: daemon.stats()["reloads"] == 1, what="SIGHUP reload")
    assert result_versions(push, pull) == \
        {"topic": v2, "sentiment": s1}

    v3 = train(corpus["topic"], models / "topic", C="0.5", seed="3")
    assert v3 not in (v1, v2)
    r = run_cli("reload", "-C", daemon.control_ep, check=0)
    assert json.loads(r.stdout) == {"ok": True, "models": {
        "sentiment": s1, "topic": v3}}
    assert result_versions(push, pull)["topic"] == v3
    st = daemon.stats()
    assert st["reloads"] == 2 and st["reload_failures"] == 0
    assert st["models"]["topic"]["version"] == v3


def swap_in(models, bundle, parking):
    """Replace models/topic by the directory bundle (renames only)."""
    os.rename(models / "topic", parking)
    os.rename(bundle, models / "topic")


def test_failed_reload_keeps_old_models(daemon, models, tmp_path):
    push, pull = daemon.push_socket(), daemon.pull_socket()
    before = result_versions(push, pull)

    bad = tmp_path / "topic.badvocab"
    shutil.copytree(models / "topic", bad)
    (bad / "vocab.tsv").write_text("garbage\n\x00\x01 not a vocabulary\n")
    swap_in(models, bad, tmp_path / "topic.good")
    r = daemon.control({"cmd": "reload"})
    assert r["ok"] is False
    assert r["error"].startswith("reload failed, the current models stay: ")
    assert "vocab.tsv" in r["error"] and "topic" in r["error"]
    assert result_versions(push, pull) == before

    # A truncated model file, through SIGHUP and through the CLI.
    cut = tmp_path / "topic.cut"
    shutil.copytree(tmp_path / "topic.good", cut)
    model = model_file(cut)
    with open(model, "r+b") as f:
        f.truncate(os.path.getsize(model) // 2)
    swap_in(models, cut, tmp_path / "topic.badvocab.old")
    daemon.signal(signal.SIGHUP)
    wait_for(lambda: daemon.stats()["reload_failures"] == 2,
             what="failed SIGHUP reload")
    r = run_cli("reload", "-C", daemon.control_ep, check=1)
    reply = json.loads(r.stdout)
    assert reply["ok"] is False and model.name in reply["error"]
    assert result_versions(push, pull) == before
    st = daemon.stats()
    assert st["reloads"] == 0 and st["reload_failures"] == 3
    assert st["models"]["topic"]["version"] == before["topic"]

    # Once the bundle is whole again, a reload succeeds.
    swap_in(models, tmp_path / "topic.good", tmp_path / "topic.cut.old")
    assert daemon.control({"cmd": "reload"})["ok"] is True
    assert daemon.stats()["reloads"] == 1
    assert "reload failed" in daemon.stderr()


def test_reloads_under_load_lose_nothing(daemon, models, corpus, tmp_path):
    n = scaled(5000, minimum=1000)
    # versions[0] is loaded; reload k installs versions[k + 1].
    versions = [bundle_version(models / "topic")]
    for k, C in enumerate(("8", "0.5", "3")):
        versions.append(train(corpus["topic"], tmp_path / f"v{k + 1}",
                              C=C, seed=str(k + 5)))
    assert len(set(versions)) == 4
    arts = make_articles(n, seed=6, prefix="s")

    def produce():
        s = daemon.push_socket()
        for a in arts:
            s.send(pack(a))
        s.close(linger=60000)    # all of it, however slow the daemon

    push, pull = daemon.push_socket(), daemon.pull_socket()
    producer = threading.Thread(target=produce)
    producer.start()
    try:
        got = []
        for k in range(3):
            while len(got) < (k + 1) * n // 4:
                got.append(recv_msg(pull))
            swap_in(models, tmp_path / f"v{k + 1}", tmp_path / f"old{k}")
            r = daemon.control({"cmd": "reload"})
            assert r["ok"] is True, r
            assert r["models"]["topic"] == versions[k + 1]
            push.send(pack({"id": f"probe{k}", "title": "Comet",
                            "text": "telescope"}))
        while len(got) < n + 3:
            got.append(recv_msg(pull))
    finally:
        producer.join()
    assert not pull.poll(100)

    ids = Counter(body["id"] for _, body in got)
    assert all(c == 1 for c in ids.values())
    assert set(ids) == {a["id"] for a in arts} | {"probe0", "probe1",
                                                  "probe2"}
    for env, body in got:
        assert "tags" in body, body
        v = versions.index(body["models"]["topic"])
        if body["id"].startswith("probe"):
            # Sent after reload k returned: scored with its models or
            # later ones (the probe may queue behind the stream).
            assert v >= int(body["id"][5:]) + 1, body
    st = daemon.stats()
    assert st["reloads"] == 3 and st["reload_failures"] == 0
    assert st["received"] == st["published"] == n + 3
