"""top, uncertain and why through the real daemon: the [tags] settings,
the per-message "explain" key, one bad_explain error per bad value with
the daemon going on, agreement with `newsclass classify` given the same
settings, and `newsclassd -n` on the tags.* keys."""

import json
import subprocess

from .conftest import (DAEMON, assert_same_tags, make_articles, pack,
                       recv_n, roundtrip, run_cli)

TAGS_SET = ["--set", "tags.top_threshold.topic=0.05",
            "--set", "tags.uncertain_below=0.9", "--set", "tags.explain=2"]
TAGS_OPTS = ["--top-threshold", "topic=0.05", "--uncertain-below", "0.9",
             "--explain", "2"]


def classify_with(models, arts, *opts):
    lines = "".join(json.dumps(a) + "\n" for a in arts)
    r = run_cli("classify", "--models", models, *opts, input=lines, check=0)
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_defaults(daemon):
    push, pull = daemon.push_socket(), daemon.pull_socket()
    arts = make_articles(20, seed=7)
    for a in arts:
        push.send(pack(a))
    for env, body in recv_n(pull, len(arts)):
        for task, tag in body["tags"].items():
            assert list(tag) == ["label", "p", "scores", "top", "uncertain"]
            assert tag["top"][0] == tag["label"]
            assert all(tag["scores"][k] >= 0.2 for k in tag["top"][1:])
            assert tag["uncertain"] is (tag["p"] < 0.6)


def test_settings_and_explain_match_classify(daemon_factory, models):
    d = daemon_factory(extra=TAGS_SET)
    arts = make_articles(30, seed=8)
    for i, a in enumerate(arts):
        if i % 3 == 1:
            a["explain"] = 0
        elif i % 3 == 2:
            a["explain"] = 5
    want = {a["id"]: r for a, r in zip(arts, classify_with(models, arts,
                                                           *TAGS_OPTS))}
    push, pull = d.push_socket(), d.pull_socket()
    for a in arts:
        push.send(pack(a))
    got = recv_n(pull, len(arts))
    for env, body in got:
        assert "error" not in body, body
        w = want[body["id"]]
        assert_same_tags(body["tags"], w["tags"])
        n = int(body["id"][1:])
        for task, tag in body["tags"].items():
            if n % 3 == 1:
                assert "why" not in tag
            else:
                k = 5 if n % 3 == 2 else 2
                assert 1 <= len(tag["why"]) <= k
                assert all(isinstance(t, str) and c > 0
                           for t, c in tag["why"])
                assert [c for _, c in tag["why"]] == \
                    sorted((c for _, c in tag["why"]), reverse=True)
            assert tag["uncertain"] is (tag["p"] < 0.9)
        top = body["tags"]["topic"]
        assert top["top"][1:] == [k for k, p in sorted(
            top["scores"].items(), key=lambda kv: -kv[1])
            if k != top["label"] and p >= 0.05]


def test_bad_explain_one_error_each(daemon):
    push, pull = daemon.push_socket(), daemon.pull_socket()
    base = {"title": "Comet over the observatory",
            "text": "The telescope tracked the comet in orbit."}
    bad = [33, -1, 2.5, "4", True, None, [1], {"k": 1}, 2**40]
    want = {}
    for i, v in enumerate(bad):
        push.send(pack(dict(base, id=f"b{i}", explain=v)))
        want[f"b{i}"] = v
        push.send(pack(dict(base, id=f"g{i}", explain=i % 4)))
    got = recv_n(pull, 2 * len(bad))
    by_id = {}
    for env, body in got:
        assert body["id"] not in by_id
        by_id[body["id"]] = (env, body)
    assert len(by_id) == 2 * len(bad)
    for i, v in enumerate(bad):
        env, body = by_id[f"b{i}"]
        if v is None:       # nil is absent: a result without "why"
            assert env != "_error" and "why" not in body["tags"]["topic"]
            continue
        assert env == "_error", body
        assert body["error"] == "bad_explain"
        assert "'explain'" in body["detail"] and "0..32" in body["detail"]
        env, body = by_id[f"g{i}"]
        assert env != "_error"
        k = i % 4
        assert ("why" in body["tags"]["topic"]) is (k > 0)
    stats = daemon.stats()
    assert stats["errors_by_code"] == {"bad_explain": len(bad) - 1}
    # And the daemon goes on.
    env, body = roundtrip(push, pull, pack(dict(base, id="after",
                                                explain=1)))
    assert body["id"] == "after" and len(body["tags"]["topic"]["why"]) == 1


def run_check(*args):
    return subprocess.run([str(DAEMON), "-n", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_config_check(tmp_path, models):
    conf = tmp_path / "tags.conf"
    conf.write_text(f"[models]\ndir = {models}\n[tags]\n"
                    "top_threshold = 0.3\ntop_threshold.sentiment = 0.4\n"
                    "uncertain_below.topic = 0.7\nexplain = 3\n")
    r = run_check("-c", conf)
    assert (r.returncode, r.stdout, r.stderr) == \
        (0, "configuration OK\n", "")
    for text, line, msg in (
            ("top_threshold = 1.2\n", 4,
             "tags.top_threshold: expected a probability in 0..1, "
             "not '1.2'"),
            ("explain = 64\n", 4,
             "tags.explain: expected an integer in 0..32, not '64'"),
            ("top_thresold = 0.3\n", 4, "unknown key 'tags.top_thresold'")):
        conf.write_text(f"[models]\ndir = {models}\n[tags]\n{text}")
        r = run_check("-c", conf)
        assert r.returncode == 2
        assert r.stderr == \
            f"newsclassd: configuration error: {conf}:{line}: {msg}\n"
    # A task that is not loaded: caught when the models are.
    r = run_check("-m", models, "--set", "tags.uncertain_below.topik=0.5")
    assert r.returncode == 2
    assert "tags.uncertain_below.topik: no task 'topik' is loaded " \
        "(tasks: 'sentiment', 'topic')" in r.stderr
