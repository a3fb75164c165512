"""newsclass classify: "top", "uncertain" and "why", their options
(--top-threshold, --uncertain-below, --explain, --config) and the
per-message "explain" key, on the synthetic models of conftest.py.

The explanations are checked against an independent computation in
Python, for bundles of both solvers: for liblinear, the label's weight row
read from the bundle's linear.model; for libsvm, the weight vector of each
one-vs-one pair summed from the support vectors of its svm.model (libsvm's
own file); either applied to the article's feature vector as
`newsclass-train export` writes it, terms named by the bundle's vocab.tsv.
"""

import json
from collections import defaultdict

import pytest

from .conftest import (CLI, TRAIN, meta, read_jsonl, read_linear_model,
                       run)


def classify_lines(models, lines, *opts, ok=True):
    """classify these JSON lines (dicts or str) with options; the parsed
    output lines, and the CompletedProcess."""
    text = "".join((l if isinstance(l, str) else json.dumps(l)) + "\n"
                   for l in lines)
    r = run([CLI, "classify", "--models", models, *opts],
            stdin=text.encode())
    if ok:
        assert r.returncode == 0, r.stderr
    return [json.loads(l) for l in r.stdout.splitlines()], r


def ranked(scores):
    return sorted(scores, key=lambda k: (-scores[k], list(scores).index(k)))


def articles(data, task, n=40):
    _, te = data[task]
    return [{k: v for k, v in a.items() if k != "label"}
            for a in read_jsonl(te)[:n]]


def test_top_threshold(models, data):
    arts = articles(data, "topic")
    for opts, want_t in ((["--top-threshold", "0"], {"topic": 0.0,
                                                      "sentiment": 0.0}),
                         (["--top-threshold", "1"], {"topic": 1.0,
                                                      "sentiment": 1.0}),
                         (["--top-threshold", "0.05",
                           "--top-threshold", "sentiment=0.5"],
                          {"topic": 0.05, "sentiment": 0.5}),
                         ([], {"topic": 0.2, "sentiment": 0.2})):
        out, _ = classify_lines(models, arts, *opts)
        multi = 0
        for res in out:
            for task, t in want_t.items():
                tag = res["tags"][task]
                want = [tag["label"]] + [k for k in ranked(tag["scores"])
                                         if k != tag["label"]
                                         and tag["scores"][k] >= t]
                assert tag["top"] == want, (opts, task, tag)
                multi += len(tag["top"]) > 1
        if want_t["topic"] == 0.0:
            assert all(len(res["tags"]["topic"]["top"]) == 3 for res in out)
        if want_t["topic"] == 1.0:
            assert multi == 0


def test_uncertain(models, data):
    arts = articles(data, "sentiment")
    for opts, floor in ((["--uncertain-below", "0"], {"topic": 0.0,
                                                       "sentiment": 0.0}),
                        (["--uncertain-below", "1"], {"topic": 1.0,
                                                       "sentiment": 1.0}),
                        (["--uncertain-below", "0.9",
                          "--uncertain-below", "topic=0.5"],
                         {"topic": 0.5, "sentiment": 0.9}),
                        ([], {"topic": 0.6, "sentiment": 0.6})):
        out, _ = classify_lines(models, arts, *opts)
        for res in out:
            for task, f in floor.items():
                tag = res["tags"][task]
                assert tag["uncertain"] is (tag["p"] < f), (opts, task)
    # 0 never flags, 1 flags everything below certainty.
    out, _ = classify_lines(models, arts, "--uncertain-below", "1")
    assert all(r["tags"]["topic"]["uncertain"] for r in out)


def load_vocab(bundle):
    with open(bundle / "vocab.tsv", encoding="utf-8") as f:
        lines = f.read().splitlines()
    assert lines[0].startswith("# newsclass vocabulary")
    body = [l for l in lines[1:] if not l.startswith(("docs\t", "terms\t"))]
    return [l.rsplit("\t", 1)[0] for l in body]


def pair_weights(bundle):
    """(libsvm class order, {(a, b): {feature id (1-based): weight}}) from
    svm.model: pair (a, b) sums coef * sv over both classes' SVs."""
    with open(bundle / "svm.model") as f:
        lines = f.read().splitlines()
    head = {}
    i = 0
    while lines[i] != "SV":
        k, _, v = lines[i].partition(" ")
        head[k] = v.split()
        i += 1
    assert head["kernel_type"] == ["linear"]
    k = int(head["nr_class"][0])
    order = [int(x) for x in head["label"]]
    nsv = [int(x) for x in head["nr_sv"]]
    svs = lines[i + 1:]
    start = [sum(nsv[:c]) for c in range(k)]
    w = defaultdict(lambda: defaultdict(float))
    for a in range(k):
        for b in range(a + 1, k):
            for cls, coef_col in ((a, b - 1), (b, a)):
                for line in svs[start[cls]:start[cls] + nsv[cls]]:
                    f = line.split()
                    coef = float(f[coef_col])
                    for item in f[k - 1:]:
                        idx, val = item.split(":")
                        w[(a, b)][int(idx)] += coef * float(val)
    return order, w


def contributions(bundle, vector, label_index):
    """{feature id (1-based): contribution to the label} of a vector."""
    if meta(bundle)["format"] == 2:
        # liblinear: the feature's value times the label's weight.
        lm = read_linear_model(bundle / "linear.model")
        w = lm["w"][label_index]
        return {idx: val * w[idx - 1] for idx, val in vector.items()
                if idx <= lm["nr_feature"]}
    order, w = pair_weights(bundle)
    me = order.index(label_index)
    out = {}
    for idx, val in vector.items():
        c = 0.0
        for (a, b), wp in w.items():
            if a == me:
                c += wp.get(idx, 0.0)
            elif b == me:
                c -= wp.get(idx, 0.0)
        out[idx] = c * val
    return out


def expected_why(bundle, vector, label_index, k):
    """The k terms with the largest positive contribution to the label."""
    terms = load_vocab(bundle)
    out = [(terms[idx - 1], c, idx) for idx, c in
           contributions(bundle, vector, label_index).items() if c > 0]
    out.sort(key=lambda t: (-t[1], t[2]))
    return [(t, c) for t, c, _ in out[:k]]


@pytest.mark.parametrize("solver", ["liblinear", "libsvm"])
def test_explain_matches_model(request, data, tmp_path, solver):
    models = request.getfixturevalue(
        "models" if solver == "liblinear" else "libsvm_models")
    explained = 0
    for task in ("topic", "sentiment"):
        bundle = models / task
        labels = meta(bundle)["labels"]
        arts = articles(data, task, 15)
        src = tmp_path / f"{task}.jsonl"
        src.write_text("".join(json.dumps({**a, "label": labels[0]}) + "\n"
                               for a in arts))
        svm = tmp_path / f"{task}.svm"
        r = run([TRAIN, "export", "--model", bundle, "--data", src,
                 "--out", svm])
        assert r.returncode == 0, r.stderr
        vectors = []
        for line in svm.read_text().splitlines():
            vectors.append({int(i): float(v) for i, v in
                            (x.split(":") for x in line.split()[1:])})
        for k in (1, 4, 32):
            out, _ = classify_lines(models, arts, "--explain", str(k))
            assert len(out) == len(vectors)
            for res, vec in zip(out, vectors):
                tag = res["tags"][task]
                want = expected_why(bundle, vec,
                                    labels.index(tag["label"]), k)
                got = tag["why"]
                assert [t for t, _ in got] == [t for t, _ in want], \
                    (task, k, got, want)
                for (_, g), (_, e) in zip(got, want):
                    assert abs(g - e) <= 1e-9 * max(1.0, abs(e))
                assert len(got) <= k
                assert all(c > 0 for _, c in got)
                explained += len(got)
    assert explained > 0


def test_explain_key_and_default(models, data):
    arts = articles(data, "topic", 3)
    lines = [dict(arts[0], explain=2), dict(arts[1], explain=0), arts[2],
             dict(arts[0], explain=None)]
    # No default: only messages that ask get "why".
    out, _ = classify_lines(models, lines)
    assert [("why" in r["tags"]["topic"]) for r in out] == \
        [True, False, False, False]
    assert len(out[0]["tags"]["topic"]["why"]) == 2
    assert out[0]["explain"] == 2      # passed through
    # --explain 3 is the default for messages that do not say.
    out, _ = classify_lines(models, lines, "--explain", "3")
    assert [len(r["tags"]["topic"].get("why", [])) for r in out] == \
        [2, 0, 3, 3]
    assert all(("why" in r["tags"]["sentiment"]) ==
               ("why" in r["tags"]["topic"]) for r in out)
    # Without "why" the output is what it was without the option.
    plain, _ = classify_lines(models, [arts[1]])
    assert plain[0]["tags"] == out[1]["tags"]


def test_explain_bad_values(models, data):
    art = articles(data, "topic", 1)[0]
    bad = [33, -1, 1.5, "3", True, [1], {"k": 1}, 10**12]
    lines = []
    for i, v in enumerate(bad):
        lines.append(dict(art, id=f"bad{i}", explain=v))
        lines.append(dict(art, id=f"ok{i}", explain=1))
    out, r = classify_lines(models, lines)
    assert len(out) == len(lines)
    for i, v in enumerate(bad):
        e, ok = out[2 * i], out[2 * i + 1]
        assert e["id"] == f"bad{i}" and e["error"] == "bad_explain", e
        assert "'explain'" in e["detail"] and "0..32" in e["detail"]
        assert list(e) == ["id", "error", "detail"]
        assert ok["id"] == f"ok{i}" and len(ok["tags"]["topic"]["why"]) <= 1
    assert r.stderr.count("bad_explain") == len(bad)


def test_config_file(models, data, tmp_path):
    arts = articles(data, "topic", 20)
    conf = tmp_path / "newsclassd.conf"
    conf.write_text("[daemon]\nthreads = 2\n[tags]\ntop_threshold = 0\n"
                    "top_threshold.sentiment = 1\nuncertain_below = 1\n"
                    "explain = 2\n")
    by_conf, _ = classify_lines(models, arts, "--config", conf)
    by_opts, _ = classify_lines(models, arts, "--top-threshold", "0",
                                "--top-threshold", "sentiment=1",
                                "--uncertain-below", "1", "--explain", "2")
    assert by_conf == by_opts
    assert all(len(r["tags"]["topic"]["top"]) == 3 and
               len(r["tags"]["sentiment"]["top"]) == 1 and
               r["tags"]["topic"]["uncertain"] and
               "why" in r["tags"]["topic"] for r in by_conf)
    # Options given before or after --config override the file.
    for opts in (["--explain", "0", "--config", conf],
                 ["--config", conf, "--explain", "0"]):
        out, _ = classify_lines(models, arts, *opts)
        assert all("why" not in r["tags"]["topic"] for r in out)


@pytest.mark.parametrize("opts,msg", [
    (["--top-threshold", "1.5"], "--top-threshold: expected a probability "
     "in 0..1, not '1.5'"),
    (["--top-threshold", "topic="], "--top-threshold: expected a "
     "probability in 0..1, not ''"),
    (["--top-threshold", "=0.3"], "--top-threshold: empty task name"),
    (["--uncertain-below", "x"], "--uncertain-below: expected a "
     "probability in 0..1, not 'x'"),
    (["--explain", "33"], "--explain: expected an integer in 0..32, "
     "not '33'"),
    (["--explain", "-1"], "--explain: expected an integer in 0..32"),
    (["--top-threshold", "topik=0.3"], "tags.top_threshold.topik: no task "
     "'topik' is loaded (tasks: 'sentiment', 'topic')"),
    (["--uncertain-below", "region=0.3"], "tags.uncertain_below.region: "
     "no task 'region' is loaded"),
])
def test_bad_options(models, opts, msg):
    out, r = classify_lines(models, [], *opts, ok=False)
    assert r.returncode == 2, r.stderr
    assert msg in r.stderr
    assert out == []


def test_bad_config_file(models, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[tags]\nexplain = 2\ntop_threshold = lots\n")
    out, r = classify_lines(models, [], "--config", conf, ok=False)
    assert r.returncode == 2
    assert f"{conf}:3: tags.top_threshold: expected a probability" \
        in r.stderr
