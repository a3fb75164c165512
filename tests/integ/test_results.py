"""Results: the daemon agrees with `newsclass classify`, passes every other
key through untouched, and envelopes and PUB prefixes route correctly."""

import msgpack

from .conftest import (assert_same_tags, bundle_labels, bundle_version,
                       classify, envelope_of, make_articles, pack, recv_msg,
                       recv_n, scaled)

ADDED = ["tags", "models", "seq", "t_us"]


def special_articles():
    """(article for the wire, the same without msgpack-only values)."""
    json_safe = [
        {"id": 2**63 - 1, "title": "Comet crosses the lunar orbit",
         "text": "Astronomers were thrilled by the telescope images.",
         "nested": {"a": {"b": [1, 2.5, {"c": None}], "": {}}, "e": []},
         "arr": [True, False, None, "x", -1, 1.5e-300],
         "f": 0.1, "fneg": -1e300, "imin": -2**63, "imax": 2**63 - 1,
         "uni": "日本語 🚀 Ünïcødé \u202eevil\u202c \u200b",
         "ключ": "значение"},
        {"id": -5, "title": "Garlic and butter", "text": None},
        {"id": "only-text", "text": "The yacht lost its mast in a storm."},
        {"id": "dropped", "title": "Pastry recipe", "text": "Bake the dough.",
         "tags": 1, "models": "x", "seq": -1, "t_us": "y", "keep": "me"},
    ]
    binary = {"id": "binary", "title": "Regatta", "text": "The crew won.",
              "blob": b"\x00\xff\x01", "ext": msgpack.ExtType(7, b"abc"),
              "u64": 2**64 - 1, 7: "int key", "deep": {"b": [b"", 3]}}
    wire = json_safe + [binary]
    offline = json_safe + [{k: binary[k] for k in ("id", "title", "text")}]
    return wire, offline


def test_results_match_classify(daemon, models):
    plain = make_articles(40, seed=1)
    for i, a in enumerate(plain):
        a["n"] = i
    wire, offline = special_articles()
    wire, offline = plain + wire, plain + offline
    want = {repr(a["id"]): r for a, r in zip(offline,
                                             classify(models, offline))}
    versions = {t: bundle_version(models / t) for t in ("topic", "sentiment")}

    push, pull = daemon.push_socket(), daemon.pull_socket()
    for a in wire:
        push.send(pack(a))
    got = recv_n(pull, len(wire))

    assert [body["seq"] for _, body in got] == list(range(len(wire)))
    by_id = {}
    for env, body in got:
        assert "error" not in body, body
        by_id[repr(body["id"])] = (env, body)
    assert len(by_id) == len(wire)
    for a in wire:
        env, body = by_id[repr(a["id"])]
        w = want[repr(a["id"])]
        passed = {k: v for k, v in a.items() if k not in ADDED}
        assert list(body) == list(passed) + ADDED
        for k, v in passed.items():
            assert body[k] == v and type(body[k]) is type(v), k
        assert_same_tags(body["tags"], w["tags"])
        assert body["models"] == w["models"] == versions
        assert env == envelope_of(body["tags"])
        assert type(body["t_us"]) is int and body["t_us"] >= 0


def wait_subscribed(socks):
    """Wait until every SUB socket (subscribed to its prefix and then to
    "_heartbeat") gets a heartbeat: its prefix is active from then on."""
    for s in socks:
        while True:
            env, _ = recv_msg(s)
            if env == "_heartbeat":
                break


def drain_until_after(sock, seq):
    """Every article message on sock up to the first heartbeat published
    after seq: the pipe is FIFO, so nothing published earlier comes later."""
    out = []
    while True:
        env, body = recv_msg(sock)
        if env == "_heartbeat":
            if body["seq"] > seq:
                return out
            continue
        out.append((env, body))


def test_pub_prefix_subscriptions(daemon_factory, models):
    d = daemon_factory(output_type="pub", heartbeat=0.05)
    topics = bundle_labels(models / "topic")
    sentiments = bundle_labels(models / "sentiment")
    prefixes = [""] + [t + "." for t in topics] + \
        [f"{t}.{s}" for t in topics for s in sentiments] + ["nosuchlabel."]
    subs = {p: d.sub_socket(p, "_heartbeat") for p in prefixes}
    wait_subscribed(subs.values())

    arts = make_articles(scaled(300), seed=2)
    push = d.push_socket()
    for a in arts:
        push.send(pack(a))
    everything = recv_n(subs[""], len(arts))
    last = max(body["seq"] for _, body in everything)
    everything += drain_until_after(subs[""], last)
    ids = [body["id"] for _, body in everything]
    assert sorted(ids) == sorted(a["id"] for a in arts)
    env_of = {body["id"]: env for env, body in everything}
    assert len({e.split(".")[0] for e in env_of.values()}) >= 2

    for p, s in subs.items():
        if p == "":
            continue
        got = [body["id"] for _, body in drain_until_after(s, last)]
        want = [i for i in ids if env_of[i].startswith(p)]
        assert sorted(got) == sorted(want), p
        assert len(got) == len(set(got)), p
