"""Heartbeats on a PUB output: "_heartbeat" envelope, uptime, models and
counters."""

from .conftest import (bundle_version, make_articles, pack, recv_msg,
                       wait_for)


def next_heartbeat(sock):
    env, body = recv_msg(sock)
    assert env == "_heartbeat"  # the only subscription
    return body


def test_heartbeats(daemon_factory, models):
    d = daemon_factory(output_type="pub", heartbeat=0.2)
    sub = d.sub_socket("_heartbeat")
    versions = {t: bundle_version(models / t) for t in ("topic", "sentiment")}

    first = next_heartbeat(sub)
    assert list(first) == ["seq", "uptime_s", "models", "received",
                           "published", "errors", "in_flight", "pid"]
    assert first["models"] == versions
    assert first["pid"] == d.proc.pid
    assert type(first["uptime_s"]) is float and first["uptime_s"] >= 0
    assert (first["received"], first["published"], first["errors"],
            first["in_flight"]) == (0, 0, 0, 0)

    push = d.push_socket()
    arts = make_articles(5, seed=11)
    for a in arts:
        push.send(pack(a))
    push.send(b"\xc1")
    while True:
        hb = next_heartbeat(sub)
        assert hb["seq"] > first["seq"]
        assert hb["uptime_s"] > first["uptime_s"]
        if hb["received"] == len(arts) + 1 and hb["in_flight"] == 0:
            break
    assert (hb["published"], hb["errors"]) == (len(arts), 1)
    # With nothing else published, consecutive beats have consecutive seqs.
    second = next_heartbeat(sub)
    assert second["uptime_s"] - hb["uptime_s"] >= 0.15
    assert second["seq"] == hb["seq"] + 1

    st = d.stats()
    assert st["heartbeats"] >= 3
    assert st["seq"] >= second["seq"] + 1


def test_no_heartbeats_when_off(daemon_factory):
    d = daemon_factory(output_type="pub", heartbeat=0)
    sub = d.sub_socket("")
    push = d.push_socket()
    push.send(pack({"id": 1, "text": "comet telescope"}))
    # Without heartbeats a SUB cannot tell when it is subscribed: wait for
    # the result of a message re-sent until one arrives.
    def resend_until_received():
        if sub.poll(100):
            return True
        push.send(pack({"id": 1, "text": "comet telescope"}))

    wait_for(resend_until_received, what="a result on the SUB socket")
    env, body = recv_msg(sub)
    assert env != "_heartbeat" and body["id"] == 1
    assert d.stats()["heartbeats"] == 0
