"""newsclass-train train / eval / export on the synthetic corpora."""

import filecmp
import json
import subprocess

import pytest

from . import corpus
from .conftest import (BUNDLE_FILES, SVM_PREDICT, TRAIN, classify, meta,
                       read_jsonl, run, svm_predict_agreement, train)


def test_train_bundle(models, data, tmp_path):
    tr, te = data["topic"]
    out = tmp_path / "m" / "topic"
    out.parent.mkdir()
    r = train(tr, out, test=te)
    # CV and held-out figures on stdout.
    assert "== 5-fold cross-validation (135 articles)" in r.stdout
    assert "== held-out test\nn 45  accuracy " in r.stdout
    assert "macro-F1" in r.stdout
    assert f"== wrote bundle '{out}'" in r.stdout
    # Exactly the three files, nothing left beside the bundle.
    assert {p.name for p in out.iterdir()} == BUNDLE_FILES
    assert [p.name for p in out.parent.iterdir()] == ["topic"]
    m = meta(out)
    assert m["format"] == 1
    assert m["task"] == "topic"
    assert m["labels"] == ["economy", "science", "sport"]
    assert m["version"].startswith("b2-")
    assert m["n_features"] == sum(1 for _ in open(out / "vocab.tsv")) - 3
    t = m["training"]
    assert t["n_train"] == 135
    assert t["folds"] == 5
    assert t["data"][0]["file"] == "topic-train.jsonl"
    assert t["data"][0]["bytes"] == tr.stat().st_size
    assert 0.8 <= t["cv"]["accuracy"] <= 1.0
    assert m["test"]["file"] == "topic-test.jsonl"
    assert m["test"]["figures"]["n"] == 45
    # The shared session bundle was trained the same way: same version.
    assert m["version"] == meta(models / "topic")["version"]


def test_train_reproducible(data, tmp_path):
    tr, te = data["sentiment"]
    a, b = tmp_path / "a" / "sentiment", tmp_path / "b" / "sentiment"
    a.parent.mkdir()
    b.parent.mkdir()
    train(tr, a, "--C", "2", test=te)
    train(tr, b, "--C", "2", test=te)
    for name in BUNDLE_FILES:
        assert filecmp.cmp(a / name, b / name, shallow=False), name
    # Retraining over an existing bundle replaces it atomically with the
    # same bytes and leaves no temporary directory behind.
    before = {n: (a / n).read_bytes() for n in BUNDLE_FILES}
    train(tr, a, "--C", "2", test=te)
    assert {n: (a / n).read_bytes() for n in BUNDLE_FILES} == before
    assert [p.name for p in a.parent.iterdir()] == ["sentiment"]
    # Other settings give another version.
    train(tr, b, "--C", "0.5", test=te)
    assert meta(b)["version"] != meta(a)["version"]


def test_train_grid(data, tmp_path):
    tr, _ = data["sentiment"]
    tiny = tmp_path / "tiny.jsonl"
    corpus.write_jsonl(tiny, read_jsonl(tr)[:36])
    out = tmp_path / "grid"
    r = train(tiny, out, "--grid", "--folds", "2", "--ngram", "1")
    lines = [l for l in r.stdout.splitlines() if l.startswith("grid ")]
    assert len(lines) > 7
    m = meta(out)
    grid = m["training"]["grid"]
    assert len(grid) == len(lines)
    # The seven values of C for the base settings come first.
    assert [g["C"] for g in grid[:7]] == [0.1, 0.3, 1, 2, 4, 8, 16]
    for g in grid:
        assert 0.0 <= g["cv_accuracy"] <= 1.0
        assert 0.0 <= g["cv_macro_f1"] <= 1.0
        assert g["ngram_max"] == 1      # fixed on the command line
    best = max(g["cv_macro_f1"] for g in grid)
    assert m["training"]["cv"]["macro_f1"] == best
    params = m["training"]["params"]
    assert any(all(g[k] == params[k] for k in params) and
               g["cv_macro_f1"] == best for g in grid)
    assert m["features"]["ngram_max"] == 1
    # Without --grid the grid is recorded as empty.
    train(tiny, tmp_path / "nogrid", "--folds", "2")
    assert meta(tmp_path / "nogrid")["training"]["grid"] == []


def test_train_json(data, tmp_path):
    tr, te = data["sentiment"]
    out = tmp_path / "sentiment"
    r = train(tr, out, "--json", test=te)
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout
    o = json.loads(lines[0])
    assert isinstance(o, dict)
    assert o["training"] == meta(out)["training"]
    assert o["test"]["figures"]["n"] == 45
    assert set(o["test"]["figures"]) >= {"n", "accuracy", "macro_f1",
                                        "per_class", "confusion"}
    assert set(o["test"]["short_form"]) == {"accuracy", "macro_f1"}


@pytest.mark.parametrize("task", ["topic", "sentiment"])
def test_eval_json(models, data, task):
    _, te = data[task]
    r = run([TRAIN, "eval", "--model", models / task, "--data", te,
             "--json"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    o = json.loads(lines[0])
    assert set(o) >= {"n", "accuracy", "macro_f1", "per_class",
                      "confusion"}
    labels = meta(models / task)["labels"]
    assert o["labels"] == labels
    n = o["n"]
    assert n == len(read_jsonl(te))
    conf = o["confusion"]
    assert len(conf) == len(labels)
    assert all(len(row) == len(labels) for row in conf)
    assert sum(map(sum, conf)) == n
    trace = sum(conf[i][i] for i in range(len(labels)))
    assert o["accuracy"] == pytest.approx(trace / n, abs=1e-6)
    f1s = []
    for i, lab in enumerate(labels):
        pc = o["per_class"][lab]
        support = sum(conf[i])
        predicted = sum(row[i] for row in conf)
        assert pc["support"] == support
        prec = conf[i][i] / predicted if predicted else 0.0
        rec = conf[i][i] / support if support else 0.0
        assert pc["precision"] == pytest.approx(prec, abs=1e-6)
        assert pc["recall"] == pytest.approx(rec, abs=1e-6)
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        assert pc["f1"] == pytest.approx(f1, abs=1e-6)
        f1s.append(f1)
    assert o["macro_f1"] == pytest.approx(sum(f1s) / len(f1s), abs=1e-6)
    # The held-out figures the trainer stored are the same.
    stored = meta(models / task)["test"]["figures"]
    assert stored["confusion"] == conf
    # The human-readable form agrees.
    r = run([TRAIN, "eval", "--model", models / task, "--data", te])
    assert r.returncode == 0
    assert f"n {n}  accuracy {o['accuracy']:.4f}" in r.stdout


@pytest.mark.skipif(not SVM_PREDICT.exists(),
                    reason="libsvm's svm-predict is not installed "
                           "(libsvm-tools)")
@pytest.mark.parametrize("task", ["topic", "sentiment"])
def test_export_matches_svm_predict(models, data, task, tmp_path):
    _, te = data[task]
    n, mismatches, maxdiff = svm_predict_agreement(models / task, models,
                                                   te, tmp_path)
    assert n == len(read_jsonl(te))
    assert mismatches == 0
    assert maxdiff <= 1e-6


def test_export_format(models, data, tmp_path):
    _, te = data["sentiment"]
    out = tmp_path / "x.svm"
    r = run([TRAIN, "export", "--model", models / "sentiment", "--data", te,
             "--out", out])
    assert r.returncode == 0, r.stderr
    labels = meta(models / "sentiment")["labels"]
    items = read_jsonl(te)
    lines = out.read_text().splitlines()
    assert len(lines) == len(items)
    for it, line in zip(items, lines):
        f = line.split()
        assert labels[int(f[0])] == it["label"]
        ids = [int(x.split(":")[0]) for x in f[1:]]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert all(i >= 1 for i in ids)
        vals = [float(x.split(":")[1]) for x in f[1:]]
        assert sum(v * v for v in vals) == pytest.approx(1.0, abs=1e-9)
    # Missing --out is a usage error.
    r = run([TRAIN, "export", "--model", models / "sentiment", "--data",
             te])
    assert r.returncode == 2


# ---- bad input ----

GOOD = {"id": "g", "title": "Fine", "text": "fine text here", "label": "x"}
BAD_LINES = {
    "not-json": b'{"id": "b", "text": oops}',
    "not-object": b'["id", "b"]',
    "title-not-string": b'{"id": "b", "title": 3, "text": "t", "label": "x"}',
    "text-not-string": b'{"id": "b", "text": ["t"], "label": "x"}',
    "no-title-or-text": b'{"id": "b", "title": "", "label": "x"}',
    "missing-label": b'{"id": "b", "text": "some text"}',
    "invalid-utf8": b'{"id": "b", "text": "caf\xe9", "label": "x"}',
    "id-wrong-type": b'{"id": [1], "text": "t", "label": "x"}',
}
BAD_WORDS = {
    "not-json": "not JSON",
    "not-object": "not a JSON object",
    "title-not-string": "field 'title' must be a string",
    "text-not-string": "field 'text' must be a string",
    "no-title-or-text": "neither a non-empty 'title' nor 'text'",
    "missing-label": "missing 'label'",
    "invalid-utf8": "invalid UTF-8",
    "id-wrong-type": "field 'id' must be a string or an integer",
}


def write_with_bad(path, good_items, bad, at):
    """good_items as JSON Lines with the bad line(s) inserted at index at."""
    lines = [json.dumps(it).encode() for it in good_items]
    lines[at:at] = bad if isinstance(bad, list) else [bad]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_train_bad_line(data, tmp_path, kind):
    tr, _ = data["sentiment"]
    items = read_jsonl(tr)[:40]
    f = write_with_bad(tmp_path / "bad.jsonl", items, BAD_LINES[kind], 6)
    r = train(f, tmp_path / "out", ok=False)
    assert r.returncode == 2, r.stderr
    assert f"{f}:7: " in r.stderr
    assert BAD_WORDS[kind] in r.stderr
    assert not (tmp_path / "out").exists()
    # The same line in --test is just as fatal.
    r = train(tr, tmp_path / "out2", "--folds", "2", test=f, ok=False)
    assert r.returncode == 2
    assert f"{f}:7: " in r.stderr
    assert not (tmp_path / "out2").exists()


def test_train_skip_bad(data, tmp_path):
    tr, _ = data["sentiment"]
    items = read_jsonl(tr)[:60]
    kinds = sorted(BAD_LINES)
    f = write_with_bad(tmp_path / "bad.jsonl", items,
                       [BAD_LINES[k] for k in kinds], 10)
    out = tmp_path / "out"
    r = train(f, out, "--skip-bad", "--folds", "2")
    assert r.returncode == 0
    assert f"skipped {len(kinds)} bad lines" in r.stderr
    for i, k in enumerate(kinds):
        assert f"{f}:{11 + i}: skipped: {BAD_WORDS[k]}" in r.stderr
    assert meta(out)["training"]["n_train"] == 60
    # eval: fatal without --skip-bad, counted with it.
    r = run([TRAIN, "eval", "--model", out, "--data", f, "--json"])
    assert r.returncode == 2
    assert f"{f}:11: " in r.stderr
    r = run([TRAIN, "eval", "--model", out, "--data", f, "--json",
             "--skip-bad"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n"] == 60


def test_train_usage_errors(data, tmp_path):
    tr, _ = data["sentiment"]
    for argv in ([TRAIN], [TRAIN, "train"], [TRAIN, "frobnicate"],
                 [TRAIN, "train", "--data", tr],
                 [TRAIN, "train", "--data", tr, "--out", tmp_path / "o",
                  "--folds", "1"],
                 [TRAIN, "train", "--data", tr, "--out", tmp_path / "o",
                  "--C", "-1"],
                 [TRAIN, "eval", "--model", tmp_path / "nope", "--data",
                  tr]):
        r = run(argv)
        assert r.returncode == 2, (argv, r.stderr)
    # One label only.
    one = tmp_path / "one.jsonl"
    corpus.write_jsonl(one, [dict(GOOD, id=str(i)) for i in range(5)])
    r = train(one, tmp_path / "o", ok=False)
    assert r.returncode == 2
    assert "only one label" in r.stderr


# ---- locale ----

def _installed_locale(name):
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True,
                             text=True).stdout
    except OSError:
        return False
    norm = name.lower().replace("-", "")
    return any(l.lower().replace("-", "") == norm for l in out.split())


@pytest.fixture(scope="session")
def de_locale(tmp_path_factory):
    """Environment selecting de_DE.UTF-8 (decimal comma) for LC_NUMERIC:
    the installed locale, or one compiled with localedef into a private
    LOCPATH; skip if neither is possible."""
    name = "de_DE.UTF-8"
    if _installed_locale(name):
        return {"LC_NUMERIC": name}
    d = tmp_path_factory.mktemp("locale")
    try:
        r = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8",
                            str(d / name)], capture_output=True,
                           timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        r = None
    if r is None or not (d / name).exists():
        pytest.skip("locale de_DE.UTF-8 is not installed and localedef "
                    "cannot build it (install locales, or locale-gen "
                    "de_DE.UTF-8)")
    return {"LC_NUMERIC": name, "LOCPATH": str(d)}


def test_locale_independent(data, tmp_path, de_locale):
    tr, te = data["topic"]
    a, b = tmp_path / "c" / "topic", tmp_path / "de" / "topic"
    a.parent.mkdir()
    b.parent.mkdir()
    clear = {"LANG": "", "LC_ALL": "", "LC_NUMERIC": "", "LANGUAGE": ""}
    r = run([TRAIN, "train", "--data", tr, "--test", te, "--out", a,
             "--C", "0.7"], env=dict(clear, LC_ALL="C.UTF-8"))
    assert r.returncode == 0, r.stderr
    r = run([TRAIN, "train", "--data", tr, "--test", te, "--out", b,
             "--C", "0.7"], env=dict(clear, **de_locale))
    assert r.returncode == 0, r.stderr
    for name in BUNDLE_FILES:
        assert filecmp.cmp(a / name, b / name, shallow=False), name
    # The figures are written with a decimal point either way.
    assert '"C": 0.7' in (b / "meta.json").read_text()


def test_train_clean_stopwords(data, tmp_path):
    """--clean and --stopwords are recorded in the bundle only when on,
    and newsclass classify then cleans what it scores as training did."""
    tr, te = data["topic"]
    models = tmp_path / "models"
    models.mkdir()
    on, off = models / "topic", tmp_path / "plain" / "topic"
    off.parent.mkdir()
    train(tr, on, "--clean", "--stopwords", "--folds", "2")
    train(tr, off, "--stopwords", "--no-stopwords", "--clean", "--no-clean",
          "--folds", "2")
    f_on, f_off = meta(on)["features"], meta(off)["features"]
    assert f_on["clean_html"] is True
    assert f_on["clean_boilerplate"] is True
    assert f_on["stopwords"] == "en"
    assert not {"clean_html", "clean_boilerplate", "stopwords"} & set(f_off)
    assert meta(on)["version"] != meta(off)["version"]

    items = read_jsonl(te)[:6]
    html = []
    for it in items:
        html.append(dict(it, title=f"<h1>{it['title']}</h1>",
                         text=f"<div><p>{it['text']}</p>\n"
                              "<p>Share this</p><script>var x = "
                              "'<p>';</script>\n<p>&copy; 2024 Example"
                              "</p></div>"))
    plain_f, html_f = tmp_path / "plain.jsonl", tmp_path / "html.jsonl"
    corpus.write_jsonl(plain_f, items)
    corpus.write_jsonl(html_f, html)
    a = [r["tags"]["topic"] for r in classify(models, plain_f)]
    b = [r["tags"]["topic"] for r in classify(models, html_f)]
    assert a == b
