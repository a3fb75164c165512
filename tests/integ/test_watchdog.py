"""systemd's watchdog: with WATCHDOG_USEC set, the daemon sends WATCHDOG=1
to NOTIFY_SOCKET every half interval, also while it scores a stream."""

import socket
import time

from .conftest import make_articles, pack, recv_n


def notify_socket(tmp_path, monkeypatch, watchdog_usec=None):
    """A datagram socket bound where the daemon will send its notices."""
    path = tmp_path / "notify"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    s.settimeout(0.05)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    if watchdog_usec is None:
        monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    else:
        monkeypatch.setenv("WATCHDOG_USEC", str(watchdog_usec))
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    return s


def collect(s, seconds):
    """(arrival time, notice) of every datagram within seconds."""
    out = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        out.append((time.monotonic(), data.decode()))
    return out


def pings(notices):
    return [t for t, n in notices if "WATCHDOG=1" in n.split("\n")]


def test_pings_while_idle_and_busy(daemon_factory, tmp_path, monkeypatch):
    s = notify_socket(tmp_path, monkeypatch, watchdog_usec=400000)
    d = daemon_factory()
    first = collect(s, 0.5)
    assert any("READY=1" in n for _, n in first), first
    idle = pings(collect(s, 2.0))
    # Every 200 ms: about 10 in 2 s; a slow (sanitizer) build may lag.
    assert len(idle) >= 5, idle
    assert max(b - a for a, b in zip(idle, idle[1:])) < 0.4
    assert "systemd watchdog: 0.4 s" in d.stderr()

    push, pull = d.push_socket(), d.pull_socket()
    arts = make_articles(300, seed=11)
    for a in arts:
        push.send(pack(a))
    busy = pings(collect(s, 1.0))
    recv_n(pull, len(arts))
    assert len(busy) >= 3, busy
    s.close()


def test_no_pings_without_watchdog(daemon_factory, tmp_path, monkeypatch):
    s = notify_socket(tmp_path, monkeypatch)
    d = daemon_factory()
    notices = collect(s, 1.5)
    assert any("READY=1" in n for _, n in notices), notices
    assert pings(notices) == []
    assert "systemd watchdog" not in d.stderr()
    s.close()
