"""Faults around the daemon: a PUSH consumer that dies mid-stream, the
daemon killed with SIGKILL and restarted, the models directory taken away
while the daemon runs.  What is lost, and what an upstream must do about
it, is measured here and said in each docstring."""

import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest
import zmq

from .conftest import (Daemon, bundle_version, make_articles, model_file,
                       pack, recv_msg, roundtrip, scaled, unpack, wait_for)

PROBE = {"id": "probe", "title": "Comet", "text": "telescope orbit"}


def drain(sock, quiet=1.0):
    """Every message until none comes for quiet seconds: [(env, body)]."""
    out = []
    while sock.poll(int(quiet * 1000)):
        frames = sock.recv_multipart()
        out.append((frames[0].decode(), unpack(frames[1])))
    return out


def test_push_consumer_dies_and_another_takes_over(daemon):
    """PUSH output, consumer 1 closes its socket mid-stream, consumer 2
    connects later.

    ZeroMQ discards what was queued for a peer that goes away: the
    daemon's pipe to it (output.hwm) and the peer's own receive queue
    (RCVHWM) and socket buffers.  So the ids come out at most once, and
    exactly once except for one window: the results published just after
    the last one consumer 1 read.  Seq shows the window (consumer 1 saw
    seq 0..k-1, consumer 2 sees k+L onwards, contiguous); the daemon counts
    the L results as published.  Nothing else is lost: while no consumer
    is connected the daemon holds its output and stops reading input.  An
    upstream that needs every id must resend what it did not see come out
    (and consumers must then ignore ids they already have).  With
    output.type = ack nothing is lost this way (test_ack.py)."""
    n = scaled(6000, minimum=3000)
    k = n // 3
    rcvhwm = 100
    arts = make_articles(n, seed=21, prefix="c")
    sent = {a["id"] for a in arts}

    c1 = daemon.ctx.socket(zmq.PULL)
    c1.setsockopt(zmq.RCVHWM, rcvhwm)
    c1.setsockopt(zmq.LINGER, 0)
    c1.connect(daemon.output)
    push = daemon.push_socket()
    producer = threading.Thread(
        target=lambda: [push.send(pack(a)) for a in arts])
    producer.start()
    try:
        first = [recv_msg(c1) for _ in range(k)]
        c1.close()
        # Nobody reads now: once the queue to consumer 1 is gone, the
        # daemon holds its output.
        last = [-1]

        def settled():
            p, last[0] = last[0], daemon.stats()["published"]
            return p == last[0]

        wait_for(settled, interval=0.2, what="publishing to stop")
        time.sleep(0.3)
        st = daemon.stats()
        assert st["published"] == last[0] and st["in_flight"] > 0
        c2 = daemon.pull_socket()
        second = [recv_msg(c2)]
        while second[-1][1]["seq"] < n - 1:     # the last one published
            second.append(recv_msg(c2))
    finally:
        producer.join()
    assert not c2.poll(300)

    seq1 = [b["seq"] for _, b in first]
    seq2 = [b["seq"] for _, b in second]
    ids = [b["id"] for _, b in first + second]
    assert all("tags" in b for _, b in first + second)
    assert len(ids) == len(set(ids)), "an id came out twice"
    assert set(ids) <= sent
    assert seq1 == list(range(k))
    lost = n - len(ids)
    # One window, right after what consumer 1 read, then contiguous.
    assert seq2 == list(range(k + lost, n)), (k, lost, seq2[:3])
    # Bounded by the queues towards consumer 1: the daemon's output.hwm
    # (1000), its RCVHWM, and socket buffers (a few hundred messages).
    assert lost <= 1000 + rcvhwm + 1000, lost
    st = daemon.stats()
    assert st["received"] == st["published"] == n and st["in_flight"] == 0


def test_sigkill_and_restart_on_the_same_endpoints(daemon_factory, models):
    """SIGKILL mid-stream, then a new daemon on the same endpoints.

    The connected producer and consumer sockets reconnect by themselves,
    and the new daemon serves a fresh batch completely.  The daemon keeps
    no journal: whatever it had read and not yet published when killed
    (its input queue, the workers, its output queue) is gone, and so is
    what sat in socket buffers.  An upstream must resend every id it sent
    before the crash that it has not seen come out (the test counts them:
    the batch minus what came out); consumers see no id twice from one
    daemon, but a resent id may have come out once already, so they
    should be idempotent by id."""
    d1 = daemon_factory(name="k")
    push, pull = d1.push_socket(), d1.pull_socket()
    a = make_articles(scaled(5000, minimum=2000), seed=3, prefix="A")
    for art in a:
        push.send(pack(art))
    got = [recv_msg(pull) for _ in range(len(a) // 5)]
    d1.signal(signal.SIGKILL)
    assert d1.proc.wait(10) == -signal.SIGKILL
    d1.expect_rc = -signal.SIGKILL

    d2 = Daemon(d1.ctx, d1.workdir, models)
    d2.stderr_path = d1.workdir / "stderr-restarted.txt"
    d2.start()
    try:
        b = make_articles(scaled(3000, minimum=1000), seed=4, prefix="B")
        for art in b:
            push.send(pack(art))
        want_b = {art["id"] for art in b}
        missing = set(want_b)
        while missing:
            got.append(recv_msg(pull))
            missing.discard(got[-1][1]["id"])
        got += drain(pull, quiet=0.5)
        ids = [body["id"] for _, body in got]
        assert all("tags" in body for _, body in got)
        assert len(ids) == len(set(ids)), "an id came out twice"
        seen_a = {i for i in ids if i.startswith("A")}
        assert seen_a <= {art["id"] for art in a}
        # The fresh batch: every id, exactly once.
        assert {i for i in ids if i.startswith("B")} == want_b
        st = d2.stats()
        # Some of batch A may still have been queued in the producer's
        # socket and reach the new daemon; it finishes all it reads.
        assert st["received"] == st["published"] >= len(b)
        assert st["in_flight"] == 0
        print(f"SIGKILL: {len(a) - len(seen_a)} of {len(a)} ids to resend")
    finally:
        d2.check_clean_exit()


def check_serving(d, push, pull, versions):
    env, body = roundtrip(push, pull, pack(PROBE))
    assert "tags" in body, body
    assert body["models"] == versions


def versions_of(models):
    return {t: bundle_version(models / t) for t in ("topic", "sentiment")}


def test_models_directory_renamed_away(daemon, models):
    """The directory goes: the loaded models keep serving, reloads fail
    (control reply ok false, SIGHUP logged and counted), and once it is
    back a reload succeeds."""
    push, pull = daemon.push_socket(), daemon.pull_socket()
    versions = versions_of(models)
    check_serving(daemon, push, pull, versions)
    away = models.with_name("models.away")
    os.rename(models, away)
    try:
        check_serving(daemon, push, pull, versions)
        r = daemon.control({"cmd": "reload"})
        assert r == {"ok": False, "error":
                     "reload failed, the current models stay: cannot read "
                     f"models directory '{models}': No such file or "
                     "directory"}
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: daemon.stats()["reload_failures"] == 2,
                 what="the failed SIGHUP reload")
        check_serving(daemon, push, pull, versions)
        # An empty directory in its place fails too.
        models.mkdir()
        r = daemon.control({"cmd": "reload"})
        assert r["ok"] is False and "no model bundles" in r["error"], r
        models.rmdir()
    finally:
        if not models.exists():
            os.rename(away, models)
    r = daemon.control({"cmd": "reload"})
    assert r == {"ok": True, "models": versions}
    check_serving(daemon, push, pull, versions)
    st = daemon.stats()
    assert st["reloads"] == 1 and st["reload_failures"] == 3
    assert st["errors"] == 0
    assert daemon.stderr().count("reload failed, keeping the current "
                                 "models: ") == 3


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def unprivileged(zctx, models):
    """(daemon, models): permissions bind only a process that is not root,
    so as root the daemon runs as nobody, on a world-readable copy of the
    models in a directory of its own."""
    if os.geteuid() != 0:
        d = Daemon(zctx, models.parent / "unpriv", models)
        yield d.start(), models
        d.check_clean_exit()
        return
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv (util-linux) is missing")
    top = Path(tempfile.mkdtemp(prefix="newsclassd-unpriv-"))
    try:
        top.chmod(0o755)
        mine = top / "models"
        shutil.copytree(models, mine)
        for p in [mine, *mine.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        d = Daemon(zctx, top / "d", mine)
        d.workdir.chmod(0o777)
        d.argv = NOBODY + d.argv
        d.start()
        assert os.stat(f"/proc/{d.proc.pid}").st_uid == 65534
        yield d, mine
        d.check_clean_exit()
    finally:
        shutil.rmtree(top)


def test_models_directory_unreadable(unprivileged):
    """chmod 000 on the directory, then on one model file: the loaded
    models keep serving, reloads fail with the reason, and once the modes
    are back a reload succeeds."""
    daemon, models = unprivileged
    push, pull = daemon.push_socket(), daemon.pull_socket()
    versions = versions_of(models)
    for target in (models, model_file(models / "topic")):
        mode = os.stat(target).st_mode & 0o777
        os.chmod(target, 0)
        try:
            check_serving(daemon, push, pull, versions)
            r = daemon.control({"cmd": "reload"})
            assert r["ok"] is False, r
            assert r["error"].startswith("reload failed, the current "
                                         "models stay: ")
            assert "Permission denied" in r["error"], r
            check_serving(daemon, push, pull, versions)
        finally:
            os.chmod(target, mode)
        assert daemon.control({"cmd": "reload"})["ok"] is True
    st = daemon.stats()
    assert st["reloads"] == 2 and st["reload_failures"] == 2
