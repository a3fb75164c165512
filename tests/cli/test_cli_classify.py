"""newsclass classify: one output line per input line, in order."""

import json
import shutil
from collections import OrderedDict

from .conftest import CLI, meta, read_jsonl, run, train


def parse_ordered(line):
    return json.loads(line, object_pairs_hook=OrderedDict)


def check_tags(res, models_dir, tasks):
    assert list(res["tags"]) == sorted(tasks)
    assert list(res["models"]) == sorted(tasks)
    for task in tasks:
        m = meta(models_dir / task)
        tag = res["tags"][task]
        # The keys of today plus top and uncertain (defaults 0.2 and 0.6);
        # "why" only on request.
        assert list(tag) == ["label", "p", "scores", "top", "uncertain"]
        scores = tag["scores"]
        assert list(scores) == m["labels"]
        best = max(scores.values())
        # label is the (first) arg-max, p its score.
        assert tag["label"] == next(k for k, v in scores.items()
                                    if v == best)
        assert tag["p"] == scores[tag["label"]]
        assert abs(sum(scores.values()) - 1.0) < 1e-9
        assert all(0.0 <= v <= 1.0 for v in scores.values())
        assert res["models"][task] == m["version"]
        assert tag["top"][0] == tag["label"]
        assert tag["top"][1:] == [
            k for k, v in sorted(scores.items(), key=lambda kv: -kv[1])
            if v >= 0.2 and k != tag["label"]]
        assert tag["uncertain"] is (tag["p"] < 0.6)


def test_classify_good(models, data):
    _, te = data["topic"]
    items = read_jsonl(te)
    r = run([CLI, "classify", "--models", models, te])
    assert r.returncode == 0, r.stderr
    out = [parse_ordered(l) for l in r.stdout.splitlines()]
    assert len(out) == len(items)
    right = 0
    for it, res in zip(items, out):
        # The input keys, unchanged and in order, then tags and models.
        assert list(res)[:len(it)] == list(it)
        assert list(res)[len(it):] == ["tags", "models"]
        for k, v in it.items():
            assert res[k] == v
        check_tags(res, models, ["topic", "sentiment"])
        right += res["tags"]["topic"]["label"] == it["label"]
    assert right / len(items) > 0.85
    # stdin gives the same bytes.
    with open(te, "rb") as f:
        r2 = run([CLI, "classify", "--models", models], stdin=f.read())
    assert r2.stdout == r.stdout


def test_classify_values_kept(models, tmp_path):
    # Every JSON type passes through; key order is kept; tags/models in the
    # input are replaced; --no-text drops title and text.
    line = ('{"z": 1, "id": 12345678901, "nested": {"b": [1, 2.5, null], '
            '"a": true}, "title": "Goal for the league", "f": 0.1, '
            '"tags": "old", "text": "The striker scored", "neg": -7, '
            '"s": "caf\\u00e9 \\u2603", "models": {}}')
    f = tmp_path / "in.jsonl"
    f.write_text(line + "\n")
    r = run([CLI, "classify", "--models", models, f])
    assert r.returncode == 0, r.stderr
    [res] = [parse_ordered(l) for l in r.stdout.splitlines()]
    src = parse_ordered(line)
    kept = [k for k in src if k not in ("tags", "models")]
    assert list(res) == kept + ["tags", "models"]
    for k in kept:
        assert res[k] == src[k]
    assert list(res["nested"]) == ["b", "a"]
    assert res["id"] == 12345678901
    assert res["f"] == 0.1
    check_tags(res, models, ["topic", "sentiment"])
    r = run([CLI, "classify", "--no-text", "--models", models, f])
    [res] = [parse_ordered(l) for l in r.stdout.splitlines()]
    assert "title" not in res and "text" not in res
    assert res["s"] == src["s"]


BAD = [
    (b'{"id": "n1", "title": oops}', None, "not_json"),
    (b'["id", "n2"]', None, "not_a_map"),
    (b'"just a string"', None, "not_a_map"),
    (b'{"title": "no id here", "text": "x"}', None, "missing_id"),
    (b'{"id": "n5", "title": 42, "text": "x"}', "n5", "bad_type"),
    (b'{"id": "n6", "text": {"a": 1}}', "n6", "bad_type"),
    (b'{"id": "n7", "title": "", "text": ""}', "n7", "missing_text"),
    (b'{"id": "n8"}', "n8", "missing_text"),
    (b'{"id": 9, "title": null}', 9, "missing_text"),
    (b'{"id": "n10", "text": "caf\xe9 au lait"}', None, "invalid_utf8"),
    (b'{"id": "n11", "id": "x", "text": "t"}', None, "duplicate_key"),
    (b'{"id": ["n12"], "text": "t"}', None, "bad_type"),
    (b'', None, "not_json"),
]


def test_classify_bad_lines(models, data, tmp_path):
    _, te = data["sentiment"]
    good = open(te, "rb").read().splitlines()[:len(BAD) + 3]
    # Interleave: good, bad, good, bad, ...; a final line without "\n".
    lines, expect = [], []
    for i, g in enumerate(good):
        lines.append(g)
        expect.append(("good", json.loads(g)))
        if i < len(BAD):
            lines.append(BAD[i][0])
            expect.append(("bad", BAD[i]))
    f = tmp_path / "mixed.jsonl"
    f.write_bytes(b"\n".join(lines))
    r = run([CLI, "classify", "--models", models, f])
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert len(out) == len(lines)
    for n, (line, (kind, want)) in enumerate(zip(out, expect), 1):
        res = parse_ordered(line)
        if kind == "good":
            assert res["id"] == want["id"]
            assert "error" not in res
            check_tags(res, models, ["topic", "sentiment"])
            continue
        _, want_id, code = want
        assert res["error"] == code, (n, line)
        assert isinstance(res["detail"], str) and res["detail"]
        if want_id is None:
            assert list(res) == ["error", "detail"], (n, line)
        else:
            assert list(res) == ["id", "error", "detail"], (n, line)
            assert res["id"] == want_id
        # Each bad line is reported on stderr with its line number.
        assert f"{f}:{n}: {code}: " in r.stderr


def test_classify_crlf_and_blank(models, tmp_path):
    f = tmp_path / "crlf.jsonl"
    f.write_bytes(b'{"id": "a", "text": "The striker scored a goal"}\r\n'
                  b'\n'
                  b'{"id": "b", "text": "Shares fell on the market"}\r\n')
    r = run([CLI, "classify", "--models", models, f])
    assert r.returncode == 0
    out = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["id"] == "a" and "tags" in out[0]
    assert out[1]["error"] == "not_json"
    assert out[2]["id"] == "b" and "tags" in out[2]


def test_classify_third_bundle(models, data, tmp_path):
    # A "region" bundle beside the two: every bundle is scored.
    d = tmp_path / "models"
    shutil.copytree(models, d)
    tr, te = data["topic"]
    region = {"economy": "asia", "science": "europe", "sport": "americas"}
    items = read_jsonl(tr)
    for it in items:
        it["label"] = region[it["label"]]
    rtrain = tmp_path / "region.jsonl"
    rtrain.write_text("".join(json.dumps(it) + "\n" for it in items))
    train(rtrain, d / "region", "--folds", "2")
    # Not bundles: hidden, temporary, plain files, directories without
    # meta.json.
    (d / "README.md").write_text("models\n")
    (d / "empty").mkdir()
    shutil.copytree(d / "topic", d / ".hidden")
    shutil.copytree(d / "topic", d / "topic.tmp-abc123")
    out = [json.loads(l) for l in
           run([CLI, "classify", "--models", d, te]).stdout.splitlines()]
    assert len(out) == len(read_jsonl(te))
    for res in out:
        check_tags(res, d, ["region", "sentiment", "topic"])
        assert res["tags"]["region"]["label"] in ("asia", "europe",
                                                 "americas")


def test_classify_models_errors(models, data, tmp_path):
    _, te = data["topic"]
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run([CLI, "classify", "--models", empty, te])
    assert r.returncode == 2
    assert "no model bundles" in r.stderr
    assert r.stdout == ""
    r = run([CLI, "classify", "--models", tmp_path / "missing", te])
    assert r.returncode == 2
    assert "missing" in r.stderr
    # A broken bundle is an error naming it, not a silent skip.
    d = tmp_path / "broken"
    shutil.copytree(models, d)
    with open(d / "topic" / "vocab.tsv", "a") as f:
        f.write("zzzz\t1\n")
    r = run([CLI, "classify", "--models", d, te])
    assert r.returncode == 2
    assert "topic" in r.stderr
    # Usage.
    assert run([CLI]).returncode == 2
    assert run([CLI, "classify", "--bogus"]).returncode == 2
    assert run([CLI, "frobnicate"]).returncode == 2
    # A missing input file: exit 1, the others still classified.
    r = run([CLI, "classify", "--models", models, tmp_path / "nope.jsonl",
             te])
    assert r.returncode == 1
    assert len(r.stdout.splitlines()) == len(read_jsonl(te))
