"""Load: a slow PUB subscriber loses messages and can count what it lost
from seq while a fast one loses nothing; a long PUSH -> daemon -> PUSH
stream with a consumer that stops now and then comes out complete, in
bounded memory, its pauses slowing the producer down.

NC_LOAD_N sets the number of articles of the long stream (default 200,000,
scaled down for sanitizer builds by NC_INTEG_SCALE); e.g. NC_LOAD_N=1000000
for a manual run."""

import os
import threading
import time

import msgpack
import zmq

from .conftest import (BUILD, DAEMON_WRAPPER, make_articles, pack,
                       scaled, unpack, wait_for)

MiB = 1 << 20


def vmrss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def sub(ctx, endpoint, rcvhwm):
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVHWM, rcvhwm)
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.connect(endpoint)
    return s


def recv_seq_id(sock, timeout_ms):
    """(seq, id) of the next message, or None if none comes in time."""
    if not sock.poll(timeout_ms):
        return None
    _, body = sock.recv_multipart()
    m = unpack(body)
    return m["seq"], m["id"]


def test_pub_slow_subscriber_sees_and_counts_gaps(daemon_factory):
    """output.hwm=100: a subscriber that does not read during a burst
    loses most of it (ZeroMQ drops on its full queue); seq tells it how
    many it lost.  A subscriber that keeps up loses nothing.

    Keeping up means more than reading all the time: PUB drops as soon as
    output.hwm results wait for a subscriber, and on a busy machine the
    daemon's own I/O thread, descheduled for a few milliseconds, lets that
    many pile up even for a reader with an unlimited RCVHWM (measured on 2
    cores: hwm 100 lost ~60% of an unpaced 5,000-message burst, hwm 1000
    a few hundred).  So the producer here never runs more than WINDOW
    messages ahead of the fast subscriber."""
    window = 10
    d = daemon_factory(output_type="pub",
                       extra=["--set", "output.hwm=100"])
    n = scaled(5000, minimum=3000)
    slow = sub(d.ctx, d.output, rcvhwm=10)
    fast = sub(d.ctx, d.output, rcvhwm=0)
    push = d.push_socket()

    # Both subscriptions are in place once both see a probe.
    seen = {"slow": [], "fast": []}
    probes = 0
    while not (seen["slow"] and seen["fast"]):
        assert probes < 200, "subscribers never connected"
        push.send(pack({"id": f"probe{probes}", "text": "telescope"}))
        probes += 1
        for name, s in (("slow", slow), ("fast", fast)):
            m = recv_seq_id(s, 50)
            if m:
                seen[name].append(m)

    fast_got = [0]

    def read_fast():
        while True:
            m = recv_seq_id(fast, 30000)
            if m is None:
                return
            seen["fast"].append(m)
            fast_got[0] += 1
            if m[1] == "end":
                return

    reader = threading.Thread(target=read_fast)
    reader.start()
    arts = make_articles(n, seed=31, prefix="b")
    base = len(seen["fast"])
    for i, a in enumerate(arts):
        deadline = time.monotonic() + 30
        while i - (fast_got[0] - base) >= window:
            assert time.monotonic() < deadline, "the fast one stalled"
            time.sleep(0.0005)
        push.send(pack(a))
    # The slow one sleeps through the burst, then reads what it kept.
    wait_for(lambda: d.stats()["published"] == probes + n,
             what="the burst published")
    while True:
        m = recv_seq_id(slow, 300)
        if m is None:
            break
        seen["slow"].append(m)
    push.send(pack({"id": "end", "text": "telescope"}))
    while seen["slow"][-1][1] != "end":
        m = recv_seq_id(slow, 20000)
        assert m is not None, "the end marker did not come"
        seen["slow"].append(m)
    reader.join()
    st = d.stats()
    assert st["published"] == probes + n + 1 and st["errors"] == 0
    last = st["seq"] - 1                # the end marker's seq

    # The fast one: everything from its first message on, in order.
    fseq = [s for s, _ in seen["fast"]]
    assert fseq == list(range(fseq[0], last + 1)), \
        [(a, b) for a, b in zip(fseq, fseq[1:]) if b != a + 1][:10]
    assert {i for _, i in seen["fast"]} >= {a["id"] for a in arts}

    # The slow one: in order, with gaps that add up to what it missed.
    sseq = [s for s, _ in seen["slow"]]
    assert sseq[-1] == last
    assert all(b > a for a, b in zip(sseq, sseq[1:])), "seq went back"
    gaps = [b - a - 1 for a, b in zip(sseq, sseq[1:]) if b - a > 1]
    published = last - sseq[0] + 1      # counting from its first seq
    assert len(gaps) >= 1, "the slow subscriber lost nothing"
    assert sum(gaps) == published - len(sseq)
    assert len(sseq) < published / 2, (len(sseq), published)


def load_n():
    n = os.environ.get("NC_LOAD_N")
    return int(n) if n else scaled(200000, minimum=20000)


# Between producer and consumer, at most: the producer's SNDHWM (1,000),
# input.hwm (1,000), 256 jobs + 2 x 32 in the workers + 256 results, the
# output.hwm (1,000), the consumer's RCVHWM (1,000), two held messages and
# what the two ipc socket pairs buffer (~1,000 each way).
LAG_BOUND = 15000
PAUSE_EVERY, PAUSE_S = 20000, 0.2
# VmRSS of the daemon, sampled through the run.  A sanitizer's allocator
# keeps what is freed in quarantine, so its builds get more room.
RSS_BOUND = (512 if "san" in BUILD.name else 150) * MiB


def test_long_stream_with_pausing_consumer(daemon):
    n = load_n()
    pool = [{k: v for k, v in a.items() if k != "id"}
            for a in make_articles(1000, seed=41)]
    sent = [0]
    times = {}

    def produce():
        s = daemon.ctx.socket(zmq.PUSH)
        s.setsockopt(zmq.SNDHWM, 1000)
        # What is queued at close must reach even a slow (sanitizer)
        # daemon: a linger that runs out drops it.
        s.setsockopt(zmq.LINGER, 60000)
        s.connect(daemon.input)
        times["start"] = time.monotonic()
        for i in range(n):
            s.send(pack({"id": i, **pool[i % len(pool)]}))   # blocks
            sent[0] = i + 1
        times["end"] = time.monotonic()
        s.close()

    rss = []
    stop = threading.Event()

    def sample():
        while not stop.wait(0.05):
            rss.append(vmrss(daemon.proc.pid))

    pull = daemon.ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.RCVHWM, 1000)
    pull.setsockopt(zmq.LINGER, 0)
    pull.connect(daemon.output)
    producer = threading.Thread(target=produce)
    sampler = threading.Thread(target=sample)
    seen = bytearray(n)
    dups, errors, max_lag, paused, got = 0, 0, 0, 0.0, 0
    sampler.start()
    producer.start()
    try:
        while got < n:
            assert pull.poll(30000), f"stalled after {got} of {n}"
            env, body = pull.recv_multipart()
            m = msgpack.unpackb(body)
            if env == b"_error":
                errors += 1
            i = m["id"]
            dups += seen[i]
            seen[i] = 1
            got += 1
            if got % PAUSE_EVERY == 0 and got < n:
                max_lag = max(max_lag, sent[0] - got)
                time.sleep(PAUSE_S)
                paused += PAUSE_S
                max_lag = max(max_lag, sent[0] - got)
    finally:
        producer.join()
        stop.set()
        sampler.join()
    assert not pull.poll(200), "more outputs than inputs"
    assert errors == 0 and dups == 0 and all(seen)
    st = daemon.stats()
    assert st["received"] == st["published"] == n
    # Back-pressure: the producer could not run ahead of the consumer.
    took = times["end"] - times["start"]
    assert took >= paused, (took, paused)
    assert max_lag <= LAG_BOUND, max_lag
    if not DAEMON_WRAPPER:
        assert rss and max(rss) < RSS_BOUND, \
            f"daemon VmRSS peaked at {max(rss) / MiB:.1f} MiB"
    print(f"load: {n} articles in {took:.1f} s, producer at most "
          f"{max_lag} ahead, {paused:.1f} s paused, VmRSS peak "
          f"{max(rss) / MiB:.1f} MiB")
