"""Scaling out with ZeroMQ's own patterns (docs/SCALING.md): one producer
binding PUSH feeds three daemons that connect their input to it, and the
daemons' outputs fan in, either through `newsclass proxy` (XSUB/XPUB) to a
subscriber, or to a sink binding PULL.  Each article must come out exactly
once, even when one daemon is stopped with SIGTERM mid-stream.
"""

import signal
import subprocess
import threading
import time

import msgpack
import zmq

from .conftest import CLI, WAIT, make_articles, pack, recv_msg, scaled, \
    wait_for


def producer(zctx, endpoint):
    s = zctx.socket(zmq.PUSH)
    s.setsockopt(zmq.LINGER, 5000)
    s.setsockopt(zmq.SNDHWM, 0)
    s.bind(endpoint)
    return s


def start_proxy(tmp_path, xsub, xpub):
    err = open(tmp_path / "proxy.err", "wb")
    p = subprocess.Popen([str(CLI), "proxy", "--xsub", "@" + xsub,
                          "--xpub", "@" + xpub, "--stats-interval", "0.5"],
                         stdout=subprocess.DEVNULL, stderr=err)
    wait_for(lambda: all((tmp_path / ep.split("/")[-1]).exists()
                         for ep in (xsub, xpub)), what="the proxy's sockets")
    return p, err


def stop_proxy(tmp_path, p, err):
    p.send_signal(signal.SIGTERM)
    rc = p.wait(WAIT)
    err.close()
    text = (tmp_path / "proxy.err").read_text()
    assert rc == 0, text
    return text


def test_fan_out_and_proxy_fan_in(tmp_path, zctx, daemon_factory):
    n = scaled(600)
    ingest = f"ipc://{tmp_path}/ingest"
    xsub, xpub = f"ipc://{tmp_path}/pin", f"ipc://{tmp_path}/pout"
    push = producer(zctx, ingest)
    proxy, proxy_err = start_proxy(tmp_path, xsub, xpub)
    try:
        sub = zctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.RCVHWM, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(xpub)
        daemons = [daemon_factory(output_type="pub", heartbeat=0.2,
                                  name=f"d{i}",
                                  extra=("-i", ">" + ingest, "-o", ">" + xsub))
                   for i in range(3)]
        # Slow joiners: a heartbeat of every daemon through the proxy shows
        # that the subscription has reached each PUB output.
        pids = {d.proc.pid for d in daemons}
        seen = set()
        deadline = time.monotonic() + WAIT
        while seen != pids:
            assert time.monotonic() < deadline, (seen, pids)
            env, body = recv_msg(sub)
            if env == "_heartbeat":
                seen.add(body["pid"])
        arts = make_articles(n, prefix="f")
        for a in arts:
            push.send(pack(a))
        ids = []
        while len(ids) < n:
            env, body = recv_msg(sub)
            if env != "_heartbeat":
                assert "error" not in body, body
                ids.append(body["id"])
        assert sorted(ids) == sorted(a["id"] for a in arts)
        received = [d.stats()["received"] for d in daemons]
        assert sum(received) == n, received
        assert all(r > 0 for r in received), received  # load-balanced
    finally:
        text = stop_proxy(tmp_path, proxy, proxy_err)
    last = [ln for ln in text.splitlines() if "forwarded" in ln][-1]
    assert int(last.split("forwarded ")[1].split()[0]) >= n, text


def test_sigterm_one_daemon_mid_stream_loses_nothing(tmp_path, zctx,
                                                     daemon_factory):
    n = scaled(1500)
    ingest, sink_ep = f"ipc://{tmp_path}/ingest", f"ipc://{tmp_path}/sink"
    push = producer(zctx, ingest)
    sink = zctx.socket(zmq.PULL)
    sink.setsockopt(zmq.LINGER, 0)
    sink.setsockopt(zmq.RCVHWM, 0)
    sink.bind(sink_ep)
    daemons = [daemon_factory(output_type="push", name=f"d{i}",
                              extra=("-i", ">" + ingest, "-o", ">" + sink_ep))
               for i in range(3)]
    arts = make_articles(n, prefix="s")
    sent = threading.Event()
    third = threading.Event()

    def feed():
        # A steady stream: the stopping daemon reads its input until it
        # has been quiet for drain_ms, so a pause would make it stop
        # reading while ZeroMQ still hands it messages (those are lost).
        for i, a in enumerate(arts):
            push.send(pack(a))
            if i % 10 == 9:
                time.sleep(0.005)
            if i == n // 3:
                third.set()
        sent.set()

    t = threading.Thread(target=feed)
    t.start()
    ids = []
    try:
        assert third.wait(WAIT)
        assert daemons[0].stats()["received"] > 0
        daemons[0].signal(signal.SIGTERM)
        while len(ids) < n:
            if not sink.poll(int(WAIT * 1000)):
                break
            frames = sink.recv_multipart()
            body = msgpack.unpackb(frames[1], raw=False)
            assert "error" not in body, body
            ids.append(body["id"])
    finally:
        t.join()
    assert sent.is_set()
    assert daemons[0].stop() == 0, daemons[0].stderr()
    got = sorted(ids)
    want = sorted(a["id"] for a in arts)
    assert len(got) == len(set(got)), "duplicates"
    assert got == want, f"missing {len(set(want) - set(got))} of {n}"
    # Nothing more comes: exactly once.
    assert not sink.poll(300)
    received = [d.stats()["received"] for d in daemons[1:]]
    assert received[0] > 0 and received[1] > 0
