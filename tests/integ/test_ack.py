"""The acknowledged output (output.type = ack): consumers that die,
come back, share the load or send garbage; no consumer at all; newsclass
tail --type ack killed and started again.  The consumers are independent
pyzmq DEALER clients speaking the protocol of docs/PROTOCOL.md: grant
{"credit": N}, acknowledge {"ack": seq} (cumulative), both at least every
output.ack_timeout_ms."""

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time

import zmq

from .conftest import (CLI, SANITIZER_MARKS, WAIT, make_articles, pack,
                       run_cli, scaled, unpack, wait_for)

TIMEOUT_MS = 1000
ACK_ARGS = ["--set", f"output.ack_timeout_ms={TIMEOUT_MS}"]

# A consumer in its own process, so that it can be killed with SIGKILL:
# it appends "R <id> <seq>" for each result it has processed, acks every
# ACK_EVERY results and then appends "A <seq>".  So what it acknowledged
# is every R line before its last A line.
CONSUMER = textwrap.dedent("""\
    import sys, zmq, msgpack
    endpoint, path, credit, ack_every = sys.argv[1:5]
    credit, ack_every = int(credit), int(ack_every)
    # Optional: stop acknowledging after this many (it then dies holding
    # its window, whatever the timing).
    hold = int(sys.argv[5]) if len(sys.argv) > 5 else None
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    s.send(msgpack.packb({"credit": credit}))
    out = open(path, "w", buffering=1)
    n = 0
    while True:
        if not s.poll(200):
            s.send(msgpack.packb({"credit": credit}))  # keepalive
            continue
        env, body = s.recv_multipart()
        m = msgpack.unpackb(body, raw=False)
        out.write(f"R {m['id']} {m['seq']}\\n")
        n += 1
        if n % ack_every == 0 and (hold is None or n <= hold):
            s.send(msgpack.packb({"ack": m["seq"], "credit": credit}))
            out.write(f"A {m['seq']}\\n")
""")


def dealer(d, credit=None):
    s = d.ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(d.output)
    if credit is not None:
        s.send(pack({"credit": credit}))
    return s


def consume(socks, want_ids, got, credit, timeout=WAIT, until=None):
    """Read from every socket in socks until want_ids are all in got (a
    list of (sock index, id, seq)), acking each result at once; keepalive
    every 200 ms.  until(): stop early when it returns true."""
    poller = zmq.Poller()
    for s in socks:
        poller.register(s, zmq.POLLIN)
    seen = {i for _, i, _ in got}
    last = time.monotonic()
    while not want_ids <= seen:
        if until is not None and until():
            return
        ready = dict(poller.poll(200))
        if not ready:
            for s in socks:
                s.send(pack({"credit": credit}))
            assert time.monotonic() - last < timeout, \
                f"{len(want_ids - seen)} ids never came"
            continue
        last = time.monotonic()
        for k, s in enumerate(socks):
            if s in ready:
                frames = s.recv_multipart()
                assert len(frames) == 2, frames
                m = unpack(frames[1])
                got.append((k, m["id"], m["seq"]))
                seen.add(m["id"])
                s.send(pack({"ack": m["seq"], "credit": credit}))


def settled(d):
    """The "ack" stats once the daemon has every ack (the last ones may
    still be on their way)."""
    def done():
        a = d.stats()["ack"]
        return a if a["unacked"] == 0 else None
    return wait_for(done, what="every acknowledgement")


def send_all(d, arts):
    """Send arts from a thread; join it.  The thread object keeps the
    socket: closed once the sending ends, it would keep its queue only for
    its linger (5 s), and a slow (sanitizer) daemon needs longer."""
    push = d.push_socket()
    t = threading.Thread(target=lambda: [push.send(pack(a)) for a in arts])
    t.sock = push
    t.start()
    return t


def parse_consumer_file(path):
    """(every id processed, the ids acknowledged, {id: seq})."""
    processed, acked, seqs = [], 0, {}
    for line in path.read_text().splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "R":
            processed.append(f[1])
            seqs[f[1]] = int(f[2])
        elif len(f) == 2 and f[0] == "A":
            acked = len(processed)
    return processed, set(processed[:acked]), seqs


def test_consumer_killed_comes_back_nothing_lost(daemon_factory, tmp_path):
    """A consumer is killed (SIGKILL) mid-stream without acknowledging its
    window; a new one connects: every id comes out, and only ids the dead
    one held unacknowledged come out twice (with the same seq)."""
    d = daemon_factory(output_type="ack", extra=ACK_ARGS)
    n = scaled(20000, minimum=3000)
    arts = make_articles(n, seed=31, prefix="k")
    want = {a["id"] for a in arts}
    script = tmp_path / "consumer.py"
    script.write_text(CONSUMER)
    log = tmp_path / "c1.txt"
    c1 = subprocess.Popen([sys.executable, str(script), d.output, str(log),
                           "200", "50", str(n // 4)])
    producer = send_all(d, arts)
    try:
        wait_for(lambda: log.exists() and
                 log.read_text().count("\nR ") > n // 4 + 10,
                 what="the first consumer to process a quarter")
        c1.send_signal(signal.SIGKILL)
        c1.wait(10)
        processed, acked, seqs1 = parse_consumer_file(log)
        assert len(processed) > n // 4 and acked
        assert len(set(processed)) == len(processed)

        c2 = dealer(d, credit=200)
        got = []
        # Everything c1 did not acknowledge must come to c2: the rest and
        # c1's unacknowledged tail, redelivered after ack_timeout_ms.
        consume([c2], want - acked, got, 200)
        # Acks that died with c1 bring a few more: take them too.
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 2.0:
            if c2.poll(200):
                m = unpack(c2.recv_multipart()[1])
                got.append((0, m["id"], m["seq"]))
                c2.send(pack({"ack": m["seq"], "credit": 200}))
                quiet_since = time.monotonic()
            else:
                c2.send(pack({"credit": 200}))
    finally:
        if c1.poll() is None:
            c1.kill()
            c1.wait()
        producer.join()
    ids2 = [i for _, i, _ in got]
    assert len(ids2) == len(set(ids2)), "the live consumer saw an id twice"
    # Nothing lost: what c1 processed plus what c2 got is everything.
    assert set(processed) | set(ids2) == want
    # Twice: only what c1 processed after the last ack the daemon got (a
    # suffix; its last acks may have died with it), with the same seq,
    # and no more than its window.
    dups = set(processed) & set(ids2)
    assert set(processed[len(processed) - len(dups):]) == dups
    assert len(dups) <= 200
    seq2 = {i: s for _, i, s in got}
    assert all(seq2[i] == seqs1[i] for i in dups)
    a = settled(d)
    assert a["dead_consumers"] >= 1 and a["redelivered"] >= 1, a
    assert a["queued"] == 0
    st = d.stats()
    assert st["received"] == st["published"] == n and st["in_flight"] == 0
    print(f"killed after {len(processed)} processed, {len(acked)} acked "
          f"by its count; {len(dups)} ids twice, {a['redelivered']} "
          "redelivered")


def test_two_consumers_share_the_load(daemon_factory):
    d = daemon_factory(output_type="ack", extra=ACK_ARGS)
    n = scaled(4000, minimum=1000)
    arts = make_articles(n, seed=32, prefix="s")
    a, b = dealer(d, credit=20), dealer(d, credit=20)
    producer = send_all(d, arts)
    got = []
    try:
        consume([a, b], {x["id"] for x in arts}, got, 20)
    finally:
        producer.join()
    ids = [i for _, i, _ in got]
    assert len(ids) == len(set(ids)) == n
    share = sum(1 for k, _, _ in got if k == 0) / n
    assert 0.2 < share < 0.8, share
    a_ = settled(d)
    assert a_["redelivered"] == 0 and a_["dead_consumers"] == 0
    assert a_["acked"] == n and a_["unacked"] == 0


def test_garbage_from_consumers_is_ignored(daemon_factory):
    """Consumers that send nonsense are counted and ignored; one that took
    credit and then only sends garbage is dead after the timeout and its
    results go to a good consumer; the daemon serves on."""
    d = daemon_factory(output_type="ack", extra=ACK_ARGS)
    junk = dealer(d)
    for frames in ([b""], [b"\xc1"], [b"\x05"], [pack([1, 2])],
                   [pack({"cmd": "stats"})], [pack({"credit": -1})],
                   [pack({"ack": "7"})], [pack({"credit": 1.5})],
                   [pack({"credit": 5}), b"second frame"],
                   [pack({"credit": 5}) + b"\x00"]):
        junk.send_multipart(frames)
    wait_for(lambda: d.stats()["ack"]["bad_messages"] == 10,
             what="10 bad messages counted")
    # Larger than the daemon takes from a consumer: ZeroMQ disconnects it.
    big = dealer(d)
    big.send(b"\x00" * 100000)
    # A consumer takes credit, gets results, then only sends garbage.
    bad = dealer(d, credit=10)
    n = 300
    arts = make_articles(n, seed=33, prefix="g")
    producer = send_all(d, arts)
    first = []
    try:
        while len(first) < 10:
            assert bad.poll(WAIT * 1000)
            first.append(unpack(bad.recv_multipart()[1])["id"])
        for _ in range(5):
            bad.send(b"not msgpack")
        good = dealer(d, credit=50)
        got = []
        consume([good], {a["id"] for a in arts}, got, 50)
    finally:
        producer.join()
    assert {i for _, i, _ in got} == {a["id"] for a in arts}
    assert set(first) <= {i for _, i, _ in got}     # redelivered
    a = d.stats()["ack"]
    assert a["bad_messages"] == 15 and a["dead_consumers"] >= 1, a
    assert a["redelivered"] >= 10, a
    assert d.control({"cmd": "ping"})["ok"] is True


def test_no_consumer_back_pressure_nothing_lost(daemon_factory):
    """No consumer for a while: the daemon holds output.hwm results, then
    stops reading its input; a consumer that comes gets everything."""
    hwm = 200
    d = daemon_factory(output_type="ack",
                       extra=ACK_ARGS + ["--set", f"output.hwm={hwm}"])
    n = scaled(5000, minimum=2000)
    arts = make_articles(n, seed=34, prefix="b")
    producer = send_all(d, arts)
    seen = []

    def stalled():
        seen.append(d.stats())
        return len(seen) > 10 and \
            seen[-1]["received"] == seen[-10]["received"]

    try:
        wait_for(stalled, interval=0.05, what="the input to stall")
        st = seen[-1]
        assert st["received"] < n
        assert st["ack"]["queued"] == hwm and st["ack"]["unacked"] == 0
        assert st["output_blocked"] > 0
        c = dealer(d, credit=100)
        got = []
        consume([c], {a["id"] for a in arts}, got, 100)
    finally:
        producer.join()
    ids = [i for _, i, _ in got]
    assert len(ids) == len(set(ids)) == n
    # Results wait in seq order: a single consumer sees them in order.
    assert [s for _, _, s in got] == list(range(n))


def tail_ack(d, out):
    return subprocess.Popen([str(CLI), "tail", "--type", "ack", "--output",
                             d.output, "--credit", "50"], stdout=out,
                            stderr=subprocess.PIPE, text=True)


def read_ids(path):
    """ids of the complete JSON lines (a kill may cut the last one)."""
    ids = []
    for line in path.read_text().splitlines():
        try:
            ids.append(json.loads(line)["id"])
        except ValueError:
            pass
    return ids


def test_tail_ack_killed_and_restarted_loses_nothing(daemon_factory,
                                                    tmp_path):
    d = daemon_factory(output_type="ack", extra=ACK_ARGS)
    n = scaled(6000, minimum=2000)
    arts = make_articles(n, seed=35, prefix="t")
    want = {a["id"] for a in arts}
    path = tmp_path / "tail.jsonl"
    producer = send_all(d, arts)
    t1 = t2 = None
    try:
        with open(path, "ab") as out:
            t1 = tail_ack(d, out)
        wait_for(lambda: len(read_ids(path)) > n // 3,
                 what="tail to print a third")
        t1.send_signal(signal.SIGKILL)
        t1.wait(10)
        first = read_ids(path)
        with open(path, "ab") as out:
            t2 = tail_ack(d, out)
        wait_for(lambda: set(read_ids(path)) >= want, timeout=WAIT * 2,
                 what="every id in the file")
        wait_for(lambda: d.stats()["ack"]["unacked"] == 0,
                 what="tail to acknowledge everything")
        t2.send_signal(signal.SIGTERM)
        err = t2.communicate(timeout=10)[1]
        for mark in SANITIZER_MARKS:
            assert mark not in err, err
    finally:
        for t in (t1, t2):
            if t is not None and t.poll() is None:
                t.kill()
                t.wait()
        producer.join()
    ids = read_ids(path)
    assert set(ids) == want
    # At least once: what tail printed and had not acked when killed (at
    # most its credit, 50) comes again.
    assert len(ids) - n <= 50, len(ids) - n
    assert len(first) < n
    print(f"tail killed after {len(first)} lines; {len(ids) - n} twice")


def test_sigterm_waits_for_acks(daemon_factory):
    """SIGTERM: the daemon waits for the acks of what it delivered, up to
    daemon.linger_ms, and exits 0 either way; results delivered and never
    acknowledged are logged."""
    d = daemon_factory(output_type="ack", extra=ACK_ARGS)
    c = dealer(d, credit=1000)
    arts = make_articles(500, seed=36, prefix="w")
    send_all(d, arts).join()
    frames = []
    while len(frames) < len(arts):
        assert c.poll(WAIT * 1000)
        frames.append(unpack(c.recv_multipart()[1]))
    d.signal(signal.SIGTERM)
    time.sleep(0.3)
    assert d.proc.poll() is None, "the daemon did not wait for the acks"
    c.send(pack({"ack": frames[-1]["seq"]}))
    assert d.stop() == 0

    d2 = daemon_factory(output_type="ack", name="noack",
                        extra=ACK_ARGS + ["--set", "daemon.linger_ms=300"])
    c2 = dealer(d2, credit=10)
    send_all(d2, arts[:5]).join()
    for _ in range(5):
        assert c2.poll(WAIT * 1000)
        c2.recv_multipart()
    d2.signal(signal.SIGTERM)
    assert d2.stop() == 0
    assert "stopping with 5 results delivered but not acknowledged " \
        "within 300 ms" in d2.stderr()


def test_sigterm_with_no_consumer_is_bounded(daemon_factory):
    """Results no consumer took are unpublished, as with a PUSH output
    nobody reads: exit 1 after the linger."""
    d = daemon_factory(output_type="ack",
                       extra=ACK_ARGS + ["--set", "daemon.linger_ms=300"])
    d.expect_rc = 1
    send_all(d, make_articles(50, seed=37)).join()
    wait_for(lambda: d.stats()["ack"]["queued"] == 50,
             what="50 results queued")
    d.signal(signal.SIGTERM)
    assert d.stop() == 1
    assert "stopping with 50 results that no consumer took and 0 " \
        "unacknowledged within 300 ms" in d.stderr()


def test_tail_ack_count_takes_no_more_than_it_prints(daemon_factory):
    """tail --type ack --count N never holds more than it still wants, so
    it leaves with nothing unacknowledged; the next one goes on from
    there."""
    d = daemon_factory(output_type="ack", extra=ACK_ARGS)
    arts = make_articles(300, seed=38, prefix="n")
    send_all(d, arts).join()
    wait_for(lambda: d.stats()["ack"]["queued"] == 300,
             what="300 results queued")
    out = []
    for count in (10, 290):
        r = run_cli("tail", "--type", "ack", "--output", d.output,
                    "--count", count, "--credit", "50", "--timeout", "10",
                    check=0)
        out += [json.loads(line) for line in r.stdout.splitlines()]
        assert len(out) == 10 or count == 290
        a = settled(d)
        assert a["delivered"] == len(out) and a["redelivered"] == 0, a
    assert sorted(m["id"] for m in out) == sorted(a["id"] for a in arts)
    assert [m["seq"] for m in out] == list(range(300))


def test_tail_ack_usage():
    r = run_cli("tail", "--credit", "5", check=2)
    assert "--credit needs --type ack" in r.stderr
    r = run_cli("tail", "--type", "dealer", check=2)
    assert "--type: expected sub, pull or ack, not 'dealer'" in r.stderr
    run_cli("tail", "--type", "ack", "--credit", "0", check=2)
