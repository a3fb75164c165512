"""CURVE: keys from `newsclass keygen` and from pyzmq, the daemon as a CURVE
server on tcp loopback ports with its ZAP handler (authorised, unknown and
plain-text clients, reload of the authorised keys), the daemon as a CURVE
client of an upstream, the CLI's --curve-key/--server-key, and the refusal
of plain-text endpoints off loopback (newsclassd -n).

Every client of a daemon here is a pyzmq context whose default socket
options make its sockets CURVE clients with one key pair (or plain ones),
so the conftest Daemon helpers (control, push_socket, ...) work unchanged
through `as_client`.
"""

import copy
import os
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
import zmq

from .conftest import (CLI, DAEMON, SANITIZER_MARKS, Daemon, check_all_clean,
                       make_articles, pack, recv_msg, run_cli, wait_for)

pytestmark = pytest.mark.skipif(not zmq.has("curve"),
                                reason="libzmq without CURVE")

# How long a refused or plain client is given to (not) get through.
NOTHING = 1.0


def free_ports(n):
    """n TCP ports on 127.0.0.1 that were free a moment ago."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def write_keypair(prefix, public, secret):
    """Key files in newsclass's format for a pyzmq key pair (bytes)."""
    prefix = Path(prefix)
    key = prefix.parent / (prefix.name + ".key")
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"# made by pyzmq\npublic = {public.decode()}\n"
                f"secret = {secret.decode()}\n")
    write_pub(prefix.parent / (prefix.name + ".pub"), public)
    return key


def write_pub(path, public):
    Path(path).write_text(f"public = {public.decode()}\n")
    return path


def keygen(prefix):
    """newsclass keygen; the public key it printed (bytes)."""
    r = run_cli("keygen", "--out", prefix, check=0)
    return r.stdout.strip().encode()


def read_key(path):
    """{"public": bytes, "secret": bytes} of a key file."""
    out = {}
    for line in Path(path).read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            out[name.strip()] = value.strip().encode()
    return out


class Keys:
    """The server's key pair (newsclass keygen), the clients directory with
    "alice" (newsclass keygen) and "pyclient" (pyzmq), and "mallory"
    (pyzmq), whose key is kept outside the clients directory."""

    def __init__(self, d):
        self.dir = d
        self.clients = d / "clients"
        self.clients.mkdir(parents=True)
        self.server_pub = keygen(d / "server")
        self.server_key = d / "server.key"
        self.server_pubfile = d / "server.pub"
        keygen(self.clients / "alice")
        self.alice_key = self.clients / "alice.key"
        self.py_public, self.py_secret = zmq.curve_keypair()
        write_keypair(self.clients / "pyclient", self.py_public,
                      self.py_secret)
        (d / "outside").mkdir()
        self.mallory_public, self.mallory_secret = zmq.curve_keypair()
        self.mallory_key = write_keypair(d / "outside" / "mallory",
                                         self.mallory_public,
                                         self.mallory_secret)
        self.mallory_pubfile = d / "outside" / "mallory.pub"


@pytest.fixture
def keys(tmp_path):
    return Keys(tmp_path / "keys")


@pytest.fixture
def contexts():
    """new(public, secret, server_public) -> a context whose sockets are
    CURVE clients (new() with no keys: plain text)."""
    made = []

    def new(public=None, secret=None, server=None):
        ctx = zmq.Context()
        if public is not None:
            ctx.setsockopt(zmq.CURVE_SERVERKEY, server)
            ctx.setsockopt(zmq.CURVE_PUBLICKEY, public)
            ctx.setsockopt(zmq.CURVE_SECRETKEY, secret)
        made.append(ctx)
        return ctx

    yield new
    for ctx in made:
        ctx.destroy(linger=0)


def as_client(d, ctx):
    """The daemon d, seen by the clients of ctx."""
    v = copy.copy(d)
    v.ctx = ctx
    return v


@pytest.fixture
def curve_daemon(tmp_path, models, keys, contexts):
    """start(output_type="push", extra=()) -> a daemon with CURVE on, on
    tcp loopback ports, seen by the authorised pyzmq client "pyclient".
    Every one must exit 0 at teardown with no sanitizer report."""
    started = []

    def start(output_type="push", extra=()):
        ctx = contexts(keys.py_public, keys.py_secret, keys.server_pub)
        ports = free_ports(3)
        eps = [f"tcp://127.0.0.1:{p}" for p in ports]
        d = Daemon(ctx, tmp_path / f"d{len(started)}", models, output_type,
                   0, extra=("-i", "@" + eps[0], "-o", "@" + eps[1],
                             "-C", "@" + eps[2],
                             "--set", f"curve.server_key={keys.server_key}",
                             "--set", f"curve.clients_dir={keys.clients}",
                             *extra))
        d.input, d.output, d.control_ep = eps
        started.append(d)
        return d.start()

    yield start
    check_all_clean(started)


def auth(d):
    return d.stats()["auth"]


def served(d, ident, output_type="push"):
    """d takes an article on its input and gives its result on its output
    (SUB or PULL) to d's client; the result."""
    push = d.push_socket()
    if output_type == "push":
        out = d.pull_socket()
        push.send(pack(article(ident)))
        return recv_msg(out)[1]
    # A SUB sees only what is published after its subscription arrived:
    # send until one comes back.
    out = d.sub_socket("")
    for i in range(200):
        push.send(pack(article(f"{ident}-{i}")))
        if out.poll(100):
            return recv_msg(out)[1]
    raise AssertionError("nothing published to an authorised SUB")


def article(ident):
    a = make_articles(1, seed=7, prefix="x")[0]
    a["id"] = ident
    return a


def nothing_arrives(sock, timeout=NOTHING):
    return not sock.poll(int(timeout * 1000))


@pytest.mark.parametrize("output_type", ["push", "pub"])
def test_authorised_client_is_served(curve_daemon, output_type):
    d = curve_daemon(output_type)
    assert "CURVE on: server public key" in d.stderr()
    body = served(d, "ok-1", output_type)
    assert body["id"].startswith("ok-1") and "tags" in body
    st = d.stats()
    assert st["received"] >= 1 and st["published"] >= 1
    # wait_ready's ping, the input, the output and the stats request.
    assert st["auth"]["accepted"] >= 4
    assert st["auth"]["refused"] == 0


def test_unknown_key_is_refused_until_added_and_reloaded(curve_daemon,
                                                         keys, contexts):
    d = curve_daemon()
    out = d.pull_socket()
    mallory = as_client(d, contexts(keys.mallory_public,
                                    keys.mallory_secret, keys.server_pub))
    with pytest.raises(TimeoutError):
        mallory.control({"cmd": "ping"}, timeout=NOTHING)
    push = mallory.push_socket()
    push.send(pack(article("mallory-1")))
    assert nothing_arrives(out)
    push.close(linger=0)
    st = d.stats()
    assert st["received"] == 0
    assert st["auth"]["refused"] >= 2
    assert "refused CURVE client from 127.0.0.1: key " + \
        keys.mallory_public.decode() in d.stderr()

    # Her .pub in the clients directory and a reload let her in.
    (keys.clients / "mallory.pub").write_bytes(
        keys.mallory_pubfile.read_bytes())
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.stats()["reloads"] == 1, what="SIGHUP reload")
    assert "reloaded 3 authorised CURVE client keys" in d.stderr()
    refused = auth(d)["refused"]
    mallory = as_client(d, contexts(keys.mallory_public,
                                    keys.mallory_secret, keys.server_pub))
    assert mallory.control({"cmd": "ping"})["ok"] is True
    mallory.push_socket().send(pack(article("mallory-2")))
    assert recv_msg(out)[1]["id"] == "mallory-2"
    assert auth(d)["refused"] == refused

    # Removing it and reloading (by the control command) shuts her out.
    (keys.clients / "mallory.pub").unlink()
    r = d.control({"cmd": "reload"})
    assert r["ok"] is True and r["curve_clients"] == 2
    with pytest.raises(TimeoutError):
        mallory.control({"cmd": "ping"}, timeout=NOTHING)


def test_bad_clients_dir_on_reload_keeps_the_old_keys(curve_daemon, keys):
    d = curve_daemon()
    bad = keys.clients / "broken.pub"
    bad.write_text("public = not-a-key\n")
    r = d.control({"cmd": "reload"})
    assert r["ok"] is False
    assert f"curve.clients_dir: {bad}:1: public: expected a Z85 key" \
        in r["error"]
    st = d.stats()
    assert st["reload_failures"] == 1 and st["reloads"] == 0
    # The old set still serves.
    assert served(d, "still")["id"] == "still"


def test_plain_client_gets_nothing(curve_daemon, contexts):
    d = curve_daemon()
    plain = as_client(d, contexts())
    with pytest.raises(TimeoutError):
        plain.control({"cmd": "ping"}, timeout=NOTHING)
    plain_out = plain.pull_socket()
    plain.push_socket().send(pack(article("plain-1")))
    out = d.pull_socket()
    assert nothing_arrives(out)
    assert d.stats()["received"] == 0
    # An authorised client's results do not go to the plain PULL either.
    d.push_socket().send(pack(article("ok-2")))
    assert recv_msg(out)[1]["id"] == "ok-2"
    assert nothing_arrives(plain_out, 0.3)


def test_cli_with_curve(curve_daemon, keys):
    d = curve_daemon("pub")
    creds = ("--curve-key", keys.alice_key,
             "--server-key", keys.server_pubfile)
    for cmd in ("ping", "stats", "models", "reload"):
        r = run_cli(cmd, "-C", d.control_ep, *creds, check=0)
        assert '"ok":true' in r.stdout.replace(" ", ""), r.stdout

    # send -> daemon -> tail, all CURVE.
    tail = subprocess.Popen([str(CLI), "tail", "-o", d.output, *map(
        str, creds), "--count", "1", "--timeout", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for i in range(100):
            r = run_cli("send", "-i", d.input, *creds, input=(
                '{"id": "cli-%d", "title": "Comet", "text": "orbit"}\n'
                % i), check=0)
            try:
                out, err = tail.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            raise AssertionError("tail got nothing")
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.communicate()
    assert tail.returncode == 0, err
    assert '"id":"cli-' in out.replace(" ", "")
    for mark in SANITIZER_MARKS:
        assert mark not in err, err

    # Without keys, with an unknown key, with half the options.
    r = run_cli("ping", "-C", d.control_ep, "--timeout", "1", check=1)
    # Seen as a mechanism mismatch, or only as a connection the daemon
    # closed, depending on timing.
    assert "the daemon requires CURVE: give --curve-key and --server-key" \
        in r.stderr or "the handshake failed: does the daemon require " \
        "CURVE (--curve-key and --server-key)?" in r.stderr, r.stderr
    mallory = keys.mallory_key
    r = run_cli("ping", "-C", d.control_ep, "--curve-key", mallory,
                "--server-key", keys.server_pubfile, "--timeout", "1",
                check=1)
    assert "the daemon refused our CURVE key (status 400)" in r.stderr
    r = run_cli("send", "-i", d.input, "--curve-key", mallory,
                "--server-key", keys.server_pubfile, "--timeout", "1",
                input='{"id": 1, "text": "x"}\n', check=1)
    assert "refused our CURVE key" in r.stderr
    # The wrong server key: the daemon cannot read our handshake.
    r = run_cli("ping", "-C", d.control_ep, "--curve-key", keys.alice_key,
                "--server-key", keys.mallory_pubfile, "--timeout", "1",
                check=1)
    assert "the CURVE handshake failed: is --server-key the daemon's " \
        "public key?" in r.stderr
    for args in (("--curve-key", keys.alice_key),
                 ("--server-key", keys.server_pubfile)):
        r = run_cli("ping", "-C", d.control_ep, *args, check=2)
        assert "--curve-key and --server-key go together" in r.stderr
    r = run_cli("ping", "-C", d.control_ep, "--curve-key",
                keys.server_pubfile, "--server-key", keys.server_pubfile,
                check=2)
    assert "no 'secret' key" in r.stderr or "accessible" in r.stderr


def test_pyzmq_server_key_and_keygen_client(tmp_path, models, keys):
    """The other way round: the server's key pair made by pyzmq, the
    client's by newsclass keygen."""
    public, secret = zmq.curve_keypair()
    server_key = write_keypair(tmp_path / "pyserver", public, secret)
    ctl = f"tcp://127.0.0.1:{free_ports(1)[0]}"
    p = subprocess.Popen([str(DAEMON), "-m", models, "-C", "@" + ctl,
                          "-i", f"@ipc://{tmp_path}/in",
                          "-o", f"@ipc://{tmp_path}/out",
                          "--heartbeat", "0", "-t", "1",
                          "--set", f"curve.server_key={server_key}",
                          "--set", f"curve.clients_dir={keys.clients}"],
                         stderr=subprocess.PIPE, text=True)
    try:
        r = wait_for(lambda: run_cli(
            "ping", "-C", ctl, "--curve-key", keys.alice_key,
            "--server-key", tmp_path / "pyserver.pub", "--timeout", "0.5"
        ).returncode == 0, what="ping over CURVE")
        assert r
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert f"server public key {public.decode()}" in err
    for mark in SANITIZER_MARKS:
        assert mark not in err, err


def test_daemon_as_curve_client_of_an_upstream(curve_daemon, keys, contexts,
                                               tmp_path):
    """A connecting input (">tcp://") is a CURVE client of the upstream
    named by curve.upstream_server_key."""
    up_public, up_secret = zmq.curve_keypair()
    up_pub = write_pub(tmp_path / "upstream.pub", up_public)
    ctx = contexts()
    up = ctx.socket(zmq.PUSH)
    up.setsockopt(zmq.LINGER, 0)
    up.curve_server = True
    up.curve_secretkey = up_secret
    port = up.bind_to_random_port("tcp://127.0.0.1")
    d = curve_daemon(extra=("-i", f">tcp://127.0.0.1:{port}",
                            "--set", f"curve.upstream_server_key={up_pub}"))
    out = d.pull_socket()
    up.send(pack(article("from-upstream")))
    assert recv_msg(out)[1]["id"] == "from-upstream"


def run_daemon(*args):
    r = subprocess.run([str(DAEMON), *map(str, args)], capture_output=True,
                       text=True, timeout=60)
    for mark in SANITIZER_MARKS:
        assert mark not in r.stderr, r.stderr
    return r


def check_refused(r, message):
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert r.stderr == f"newsclassd: configuration error: {message}\n", \
        r.stderr


@pytest.mark.parametrize("key, option, endpoint", [
    ("input.endpoint", "-i", "@tcp://0.0.0.0:5557"),
    ("output.endpoint", "-o", "@tcp://*:5558"),
    ("input.endpoint", "-i", ">tcp://192.0.2.1:5557"),
    ("output.endpoint", "-o", "@ipc:///tmp/x,@tcp://[::]:5558"),
])
def test_check_refuses_plain_text_off_loopback(models, keys, key, option,
                                               endpoint):
    one = endpoint.split(",")[-1]
    r = run_daemon("-n", "-m", models, option, endpoint)
    check_refused(r, f"{key}: '{one}' is not a loopback address and CURVE "
                     "is off: set curve.server_key, or "
                     "daemon.allow_insecure = true for plain text")
    r = run_daemon("-n", "-m", models, option, endpoint,
                   "--set", "daemon.allow_insecure=true")
    assert (r.returncode, r.stdout) == (0, "configuration OK\n"), r.stderr
    curve = ["-n", "-m", models, option, endpoint,
             "--set", f"curve.server_key={keys.server_key}",
             "--set", f"curve.clients_dir={keys.clients}"]
    if endpoint.startswith(">"):
        # -n reads the upstream's key file too.
        missing = keys.dir / "x.pub"
        r = run_daemon(*curve, "--set",
                       f"curve.upstream_server_key={missing}")
        check_refused(r, f"curve.upstream_server_key: cannot open "
                         f"'{missing}': No such file or directory")
        curve += ["--set",
                  f"curve.upstream_server_key={keys.server_pubfile}"]
    r = run_daemon(*curve)
    assert (r.returncode, r.stdout) == (0, "configuration OK\n"), r.stderr


def test_check_refuses_plain_control_off_loopback(models, keys, tmp_path):
    for ep in ("@tcp://0.0.0.0:5559", "@tcp://*:5559", "@tcp://10.1.2.3:1"):
        for extra in ((), ("--set", "daemon.allow_insecure=true")):
            r = run_daemon("-n", "-m", models, "-C", ep, *extra)
            check_refused(r, f"control.endpoint: '{ep}' is not a loopback "
                             "address and CURVE is off: the control socket "
                             "needs curve.server_key (daemon.allow_insecure "
                             "does not cover it)")
    # The same from a file, which is what an operator edits; the daemon
    # refuses to start, not only -n.
    conf = tmp_path / "n.conf"
    conf.write_text(f"[control]\nendpoint = @tcp://*:5559\n"
                    f"[models]\ndir = {models}\n"
                    "[daemon]\nallow_insecure = true\n")
    r = run_daemon("-c", conf)
    assert r.returncode == 2 and "control.endpoint: '@tcp://*:5559'" in \
        r.stderr
    # Loopback and ipc are fine without CURVE.
    r = run_daemon("-n", "-m", models, "-C", "@tcp://[::1]:5559",
                   "-i", "@tcp://localhost:5557",
                   "-o", f"@ipc://{tmp_path}/o,@tcp://127.0.0.2:5558")
    assert (r.returncode, r.stdout) == (0, "configuration OK\n"), r.stderr
    # With CURVE, the control socket may listen everywhere.
    r = run_daemon("-n", "-m", models, "-C", "@tcp://*:5559",
                   "--set", f"curve.server_key={keys.server_key}",
                   "--set", f"curve.clients_dir={keys.clients}")
    assert (r.returncode, r.stdout) == (0, "configuration OK\n"), r.stderr


def test_check_curve_settings(models, keys, tmp_path):
    curve = ("--set", f"curve.server_key={keys.server_key}",
             "--set", f"curve.clients_dir={keys.clients}")
    check_refused(run_daemon("-n", "-m", models, "--set",
                             f"curve.server_key={keys.server_key}"),
                  "curve.clients_dir: empty, but CURVE is on: name the "
                  "directory of the authorised client keys")
    check_refused(run_daemon("-n", "-m", models, "--set",
                             f"curve.clients_dir={keys.clients}"),
                  "curve.clients_dir: set, but curve.server_key is empty "
                  "(CURVE is off)")
    check_refused(run_daemon("-n", "-m", models, *curve,
                             "-i", ">tcp://127.0.0.1:5557"),
                  "input.endpoint: '>tcp://127.0.0.1:5557' connects over "
                  "tcp: with CURVE on that needs curve.upstream_server_key")
    # Key files are read by -n: a public key as the server's key, a
    # secret key open to others, a bad client key.
    check_refused(run_daemon("-n", "-m", models, *curve, "--set",
                             f"curve.server_key={keys.server_pubfile}"),
                  f"curve.server_key: secret key file "
                  f"'{keys.server_pubfile}' is accessible by group or "
                  f"others (mode 0644): chmod 600 it")
    open_key = tmp_path / "open.key"
    open_key.write_bytes(keys.server_key.read_bytes())
    open_key.chmod(0o640)
    r = run_daemon("-n", "-m", models, *curve, "--set",
                   f"curve.server_key={open_key}")
    assert r.returncode == 2 and "(mode 0640)" in r.stderr
    (keys.clients / "eve.pub").write_text("public = short\n")
    check_refused(run_daemon("-n", "-m", models, *curve),
                  f"curve.clients_dir: {keys.clients}/eve.pub:1: public: "
                  "expected a Z85 key of 40 characters, not 5")


def test_keygen(tmp_path):
    public = keygen(tmp_path / "k")
    key, pub = tmp_path / "k.key", tmp_path / "k.pub"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    k = read_key(key)
    assert k["public"] == public == read_key(pub)["public"]
    assert "secret" not in read_key(pub)
    # The pair is a CURVE pair as libzmq sees it.
    assert zmq.curve_public(k["secret"]) == public
    # Never over an existing key.
    r = run_cli("keygen", "--out", tmp_path / "k", check=1)
    assert f"cannot create '{key}': File exists" in r.stderr
    assert read_key(key) == k
    run_cli("keygen", check=2)
    run_cli("keygen", "--out", tmp_path / "x", "extra", check=2)
    r = run_cli("keygen", "--out", tmp_path / "no" / "such" / "k", check=1)
    assert "cannot create" in r.stderr


def test_proxy_admits_only_authorised_clients(keys, contexts, tmp_path):
    """newsclass proxy as a CURVE server on both sides: a publisher and a
    subscriber with keys in --clients-dir get through, mallory's
    subscriber gets nothing until her key is added and SIGHUP re-reads
    the directory; without --clients-dir a CURVE server is refused."""
    xsub, xpub = (f"tcp://127.0.0.1:{p}" for p in free_ports(2))
    base = [str(CLI), "proxy", "--xsub", "@" + xsub, "--xpub", "@" + xpub,
            "--curve-key", str(keys.server_key),
            "--server-key", str(keys.server_pubfile)]
    r = subprocess.run(base, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "a CURVE server needs --clients-dir" in r.stderr

    err = open(tmp_path / "proxy.err", "wb")
    proxy = subprocess.Popen(base + ["--clients-dir", str(keys.clients)],
                             stdout=subprocess.DEVNULL, stderr=err)
    try:
        good = contexts(keys.py_public, keys.py_secret, keys.server_pub)
        bad = contexts(keys.mallory_public, keys.mallory_secret,
                       keys.server_pub)
        pub = good.socket(zmq.PUB)
        pub.connect(xsub)
        subs = {}
        for name, ctx in (("good", good), ("mallory", bad)):
            s = ctx.socket(zmq.SUB)
            s.setsockopt(zmq.SUBSCRIBE, b"")
            s.connect(xpub)
            subs[name] = s

        def heard(sock, timeout):
            """Publish until sock hears something or timeout seconds."""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                pub.send_multipart([b"news.tech", b"payload"])
                if sock.poll(100):
                    return sock.recv_multipart()
            return None

        assert heard(subs["good"], 20) == [b"news.tech", b"payload"]
        assert heard(subs["mallory"], NOTHING) is None

        write_pub(keys.clients / "mallory.pub", keys.mallory_public)
        proxy.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload: 3 authorised client keys" in
                 (tmp_path / "proxy.err").read_text(), what="SIGHUP reload")
        # A refused client does not retry: she connects again.
        again = bad.socket(zmq.SUB)
        again.setsockopt(zmq.SUBSCRIBE, b"")
        again.connect(xpub)
        assert heard(again, 20) == [b"news.tech", b"payload"]
    finally:
        proxy.send_signal(signal.SIGTERM)
        rc = proxy.wait(30)
        err.close()
    text = (tmp_path / "proxy.err").read_text()
    assert rc == 0, text
    assert "refused CURVE client" in text
    assert "reload: 3 authorised client keys" in text
