"""The HTTP endpoint: Prometheus metrics and health checks (http.listen),
scraped with urllib and parsed with prometheus_client's own parser."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import zmq
from prometheus_client.parser import text_string_to_metric_families

from .conftest import (DAEMON, SANITIZER_MARKS, WAIT, bundle_version,
                       make_articles, model_file, pack, recv_n, unpack,
                       wait_for)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_extra(port):
    return ("--set", f"http.listen=127.0.0.1:{port}")


def get(port, path, method="GET", data=None, timeout=10):
    """(status, headers, body text) of one request."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def scrape(port):
    """{(sample name, ((label, value), ...)): value} and the families."""
    status, headers, body = get(port, "/metrics")
    assert status == 200
    assert headers["Content-Type"] == \
        "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(body)}
    samples = {}
    for f in families.values():
        for s in f.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples, families


def listening_tcp(pid):
    """The TCP sockets of process pid in the LISTEN state."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                col = line.split()
                if col[3] == "0A" and col[9] in inodes:
                    found.append(col[1])
    return found


def test_metrics_after_a_stream(daemon_factory, models):
    port = free_port()
    d = daemon_factory(extra=http_extra(port))
    push, pull = d.push_socket(), d.pull_socket()
    arts = make_articles(40, seed=7)
    bad = [b"\xc1", pack([1]), pack({"id": "q"}), b"\xc1\xc1"]
    for a in arts:
        push.send(pack(a))
    for b in bad:
        push.send(b)
    recv_n(pull, len(arts) + len(bad))
    n = len(arts) + len(bad)

    samples, families = scrape(port)
    assert samples[("newsclassd_received_total", ())] == n
    assert samples[("newsclassd_published_total", ())] == len(arts)
    errors = {dict(k[1])["code"]: v for k, v in samples.items()
              if k[0] == "newsclassd_errors_total"}
    assert errors["not_msgpack"] == 2
    assert errors["not_a_map"] == 1
    assert errors["missing_text"] == 1
    assert sum(errors.values()) == len(bad)
    assert families["newsclassd_errors"].type == "counter"
    assert samples[("newsclassd_reloads_total", ())] == 0
    assert samples[("newsclassd_messages_in_flight", ())] == 0
    assert samples[("newsclassd_worker_threads", ())] == 2

    info = {(dict(k[1])["task"], dict(k[1])["version"]): v
            for k, v in samples.items() if k[0] == "newsclassd_model_info"}
    assert info == {(t, bundle_version(models / t)): 1
                    for t in ("topic", "sentiment")}
    load = {dict(k[1])["task"]: v for k, v in samples.items()
            if k[0] == "newsclassd_model_load_seconds"}
    assert set(load) == {"topic", "sentiment"}
    assert all(0 < v < 60 for v in load.values())

    lat = families["newsclassd_latency_seconds"]
    assert lat.type == "histogram"
    buckets = [(float(s.labels["le"]), s.value) for s in lat.samples
               if s.name.endswith("_bucket")]
    assert buckets == sorted(buckets)
    assert buckets[-1] == (float("inf"), n)
    assert samples[("newsclassd_latency_seconds_count", ())] == n
    assert 0 < samples[("newsclassd_latency_seconds_sum", ())] < n * 10

    assert samples[("process_resident_memory_bytes", ())] > 1 << 20
    start = samples[("process_start_time_seconds", ())]
    assert time.time() - 120 < start <= time.time()

    # A reload shows up, and so does a failed one.
    assert d.control({"cmd": "reload"})["ok"] is True
    model_file(models / "topic").write_text("garbage\n")
    assert d.control({"cmd": "reload"})["ok"] is False
    samples, _ = scrape(port)
    assert samples[("newsclassd_reloads_total", ())] == 1
    assert samples[("newsclassd_reload_failures_total", ())] == 1
    assert samples[("newsclassd_received_total", ())] == n


def test_ack_output_metrics(daemon_factory):
    """With output.type = ack the acknowledged output's bookkeeping is
    shown: what was delivered, acknowledged and is still held."""
    port = free_port()
    d = daemon_factory(output_type="ack", extra=http_extra(port))
    samples, _ = scrape(port)
    assert samples[("newsclassd_ack_consumers", ())] == 0
    push = d.push_socket()
    dealer = d.ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(d.output)
    dealer.send(pack({"credit": 10}))
    for a in make_articles(5, seed=3):
        push.send(pack(a))
    seqs = []
    for _ in range(5):
        assert dealer.poll(WAIT * 1000)
        seqs.append(unpack(dealer.recv_multipart()[1])["seq"])
    # Acknowledge the first three only.
    dealer.send(pack({"ack": sorted(seqs)[2]}))
    dealer.send(b"garbage")

    def settled():
        got, _ = scrape(port)
        return got if got[("newsclassd_ack_acked_total", ())] == 3 and \
            got[("newsclassd_ack_bad_messages_total", ())] == 1 else None
    samples = wait_for(settled, what="the ack and the garbage counted")
    assert samples[("newsclassd_ack_consumers", ())] == 1
    assert samples[("newsclassd_ack_delivered_total", ())] == 5
    assert samples[("newsclassd_ack_unacked", ())] == 2
    assert samples[("newsclassd_ack_queued", ())] == 0
    assert samples[("newsclassd_ack_redelivered_total", ())] == 0
    dealer.send(pack({"ack": max(seqs)}))
    wait_for(lambda: scrape(port)[0][("newsclassd_ack_unacked", ())] == 0,
             what="the last ack")


def test_ack_metrics_absent_on_other_outputs(daemon_factory):
    port = free_port()
    daemon_factory(extra=http_extra(port))
    samples, _ = scrape(port)
    assert not [k for k in samples if k[0].startswith("newsclassd_ack_")]


def test_health_paths_and_methods(daemon_factory):
    port = free_port()
    d = daemon_factory(extra=http_extra(port))
    status, _, body = get(port, "/health/live")
    assert (status, body) == (200, "live\n")
    status, _, body = get(port, "/health/ready")
    assert (status, body) == (200, "ready\n")
    status, _, body = get(port, "/health/ready", method="HEAD")
    assert (status, body) == (200, "")
    for path in ("/", "/metric", "/metrics/", "/health", "/health/ready/x",
                 "/../metrics"):
        assert get(port, path)[0] == 404, path
    assert get(port, "/metrics?x=1")[0] == 200
    for method, data in (("POST", b"x=1"), ("PUT", b"{}"),
                         ("DELETE", None), ("POST", b"y" * 10000)):
        status, headers, _ = get(port, "/metrics", method=method, data=data)
        assert status == 405, method
        assert headers["Allow"] == "GET, HEAD"
    assert d.control({"cmd": "ping"})["ok"] is True


def raw(port, data, read=True):
    """Send data on a fresh connection; what comes back before it closes
    or within 3 s."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        try:
            s.sendall(data)
        except OSError:
            return b""
        if not read:
            return b""
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except OSError:
            pass
        return out


def test_hostile_requests(daemon_factory):
    """Garbage, oversized headers, half requests and a crowd of idle
    connections: the daemon answers what it can and keeps serving."""
    port = free_port()
    d = daemon_factory(extra=http_extra(port))
    refusals = (b"", b"HTTP/1.1 4", b"HTTP/1.1 5")
    for data in (b"\x00\xff garbage\r\n\r\n",
                 b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\n\r\n",
                 b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: " +
                 b"b" * 200000 + b"\r\n\r\n",
                 b"GET /metrics HTTP/9.9\r\n\r\n",
                 b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: 5000000\r\n\r\n" + b"z" * 5000000):
        assert raw(port, data)[:10] in refusals, data[:40]
    # Answered from the headers; the broken body is never read.
    raw(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\n")
    raw(port, b"GET /metrics HTTP/1.1\r\nHo", read=False)
    # More idle connections than the endpoint takes at once.
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10)
            for _ in range(40)]
    assert d.control({"cmd": "ping"})["ok"] is True
    for s in idle:
        s.close()
    wait_for(lambda: get(port, "/health/live", timeout=2)[0] == 200,
             what="the endpoint to serve again")
    assert get(port, "/metrics")[0] == 200
    # The stream was never affected.
    push, pull = d.push_socket(), d.pull_socket()
    push.send(pack(make_articles(1)[0]))
    recv_n(pull, 1)


def test_not_ready_while_draining(daemon_factory):
    port = free_port()
    d = daemon_factory(extra=(*http_extra(port), "--set",
                              "daemon.drain_ms=3000"))
    assert get(port, "/health/ready")[0] == 200
    d.signal(signal.SIGTERM)
    wait_for(lambda: get(port, "/health/ready")[0] == 503,
             what="/health/ready to say 503")
    assert get(port, "/health/live")[0] == 200
    assert d.proc.wait(WAIT) == 0


def test_off_by_default(daemon_factory):
    d = daemon_factory()
    assert listening_tcp(d.proc.pid) == []
    assert "http on" not in d.stderr()
    port = free_port()
    d2 = daemon_factory(extra=http_extra(port))
    assert len(listening_tcp(d2.proc.pid)) == 1


def run_check(*args):
    r = subprocess.run([str(DAEMON), "-n", *map(str, args)],
                       capture_output=True, text=True, timeout=60)
    for mark in SANITIZER_MARKS:
        assert mark not in r.stderr, r.stderr
    return r


@pytest.mark.parametrize("addr", ["0.0.0.0:9101", "*:9101", "[::]:9101",
                                  "10.1.2.3:9101"])
def test_exposed_address_needs_allow_insecure(models, addr):
    r = run_check("-m", models, "--set", f"http.listen={addr}")
    assert r.returncode == 2
    assert r.stderr == (
        f"newsclassd: configuration error: http.listen: '{addr}' is not a "
        "loopback address: set daemon.allow_insecure = true to serve plain "
        "HTTP off the machine\n")
    r = run_check("-m", models, "--set", f"http.listen={addr}", "--set",
                  "daemon.allow_insecure=true")
    assert (r.returncode, r.stdout) == (0, "configuration OK\n")


def test_bad_addresses(models, tmp_path):
    for addr, why in (("9101", "must be HOST:PORT"),
                      ("127.0.0.1:0", "port must be 1..65535"),
                      ("::1:9101", "must be HOST:PORT")):
        r = run_check("-m", models, "--set", f"http.listen={addr}")
        assert r.returncode == 2, addr
        assert r.stderr.startswith(
            f"newsclassd: configuration error: http.listen: '{addr}'"), \
            r.stderr
        assert why in r.stderr
    for addr in ("127.0.0.1:9101", "[::1]:9101", "localhost:9101", ""):
        r = run_check("-m", models, "--set", f"http.listen={addr}")
        assert (r.returncode, r.stdout) == (0, "configuration OK\n"), addr

    # A port in use: a runtime failure, exit 1, with the reason.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run(
            [str(DAEMON), "-m", str(models), "-i", f"@ipc://{tmp_path}/i",
             "-o", f"@ipc://{tmp_path}/o", "-C", f"@ipc://{tmp_path}/c",
             "--set", f"http.listen=127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert f"http.listen: cannot listen on '127.0.0.1:{port}': Address " \
        "already in use" in r.stderr
    for mark in SANITIZER_MARKS:
        assert mark not in r.stderr, r.stderr


def test_config_file(models, tmp_path):
    conf = tmp_path / "newsclassd.conf"
    conf.write_text("[http]\nlisten = 127.0.0.1:9101\n")
    r = run_check("-c", conf, "-m", models)
    assert (r.returncode, r.stdout) == (0, "configuration OK\n")
    conf.write_text("[daemon]\nthreads = 1\n\n[http]\nlisten = 9101\n")
    r = run_check("-c", conf, "-m", models)
    assert r.returncode == 2
    assert r.stderr.startswith(f"newsclassd: configuration error: {conf}:5: "
                               "http.listen: '9101' must be HOST:PORT")
