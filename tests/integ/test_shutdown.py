"""SIGTERM with a full pipeline: everything read is published, exit 0."""

import re
import signal
from collections import Counter

from .conftest import make_articles, pack, recv_msg, scaled, wait_for


def test_sigterm_with_messages_in_flight(daemon):
    n = scaled(10000, minimum=2000)
    frames = [pack(a) for a in make_articles(n, seed=7, prefix="t")]
    push, pull = daemon.push_socket(), daemon.pull_socket()
    for f in frames:
        push.send(f)
    daemon.signal(signal.SIGTERM)

    got = []
    while len(got) < n:
        got.append(recv_msg(pull))
    ids = Counter(body["id"] for _, body in got)
    assert len(ids) == n and max(ids.values()) == 1
    assert all("tags" in body for _, body in got)
    assert sorted(body["seq"] for _, body in got) == list(range(n))
    assert daemon.stop() == 0
    assert "stopped" in daemon.stderr()
    assert not pull.poll(100)


def test_sigterm_while_workers_are_busy(daemon_factory):
    """Big articles keep the worker busy for many times drain_ms while
    thousands of small ones wait behind them: time spent blocked on the
    worker is not a quiet input, so none of them may be dropped.  (One
    worker leaves a core to the I/O threads, so that the input does not
    go quiet for real.)"""
    daemon = daemon_factory(extra=["--threads", "1",
                                   "--set", "daemon.drain_ms=60"])
    big = "comet telescope orbit wonderful " * 100000  # 3.2 MB of text
    frames = [pack({"id": f"big{i}", "text": big}) for i in range(20)]
    frames += [pack(a) for a in make_articles(6000, seed=12, prefix="w")]
    push, pull = daemon.push_socket(), daemon.pull_socket()
    for f in frames:
        push.send(f)
    daemon.signal(signal.SIGTERM)
    got = Counter(body["id"] for _, body in
                  (recv_msg(pull) for _ in range(len(frames))))
    assert len(got) == len(frames) and max(got.values()) == 1
    assert daemon.stop() == 0
    assert not pull.poll(100)


def test_sigterm_when_idle_and_sigint(daemon_factory):
    for sig in (signal.SIGTERM, signal.SIGINT):
        d = daemon_factory(name=f"idle{int(sig)}")
        d.signal(sig)
        assert d.stop() == 0


def test_output_nobody_reads_is_bounded(daemon_factory):
    """A PUSH output without a reader cannot flush: exit 1 after the
    linger, not a hang."""
    d = daemon_factory(extra=["--set", "daemon.linger_ms=300"])
    d.expect_rc = 1
    push = d.push_socket()
    for a in make_articles(50, seed=8):
        push.send(pack(a))

    def blocked():
        st = d.stats()
        return st if st["received"] == 50 and st["output_blocked"] else None

    st = wait_for(blocked, what="50 messages read, output blocked")
    assert st["published"] == 0 and st["in_flight"] == 50
    d.signal(signal.SIGTERM)
    assert d.stop() == 1
    assert "stopping with 50 messages unpublished" in d.stderr()


def test_stuck_output_and_full_pipeline_is_bounded(daemon_factory):
    """More messages than the pipeline holds and no reader: the main thread
    holds a job the workers cannot take, and must still give up reading
    and exit 1 once the output has taken nothing for a linger."""
    d = daemon_factory(extra=["--set", "daemon.linger_ms=300"])
    d.expect_rc = 1
    push = d.push_socket()
    for f in [pack(a) for a in make_articles(12000, seed=13)]:
        push.send(f)
    # Full: the daemon has read more than its output queue holds (1,000)
    # and reads no more.
    seen = []

    def full():
        seen.append(d.stats()["received"])
        return len(seen) > 20 and seen[-1] > 1000 and seen[-1] == seen[-20]

    wait_for(full, interval=0.05, what="a full pipeline")
    d.signal(signal.SIGTERM)
    assert d.stop(timeout=10) == 1
    assert re.search(r"stopping with \d+ messages unpublished \(the "
                     r"output did not take them within 300 ms\)",
                     d.stderr()), d.stderr()
