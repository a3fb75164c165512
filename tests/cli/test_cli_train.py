"""newsclass-train train / eval / export on the synthetic corpora."""

import filecmp
import json
import shutil
import subprocess

import pytest

from . import corpus
from .conftest import (BUNDLE_FILES, SVM_PREDICT, TRAIN, meta, read_jsonl,
                       run, svm_predict_agreement, train)


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


# ---- labels ----
#
# Small fixtures of our own: a few articles per label, each label with its
# own words, so that the good part of a file trains in milliseconds.

WORDS = ["goal match league coach striker penalty",
         "shares market bank rates budget inflation",
         "vote parliament minister election senate party"]


def small_items(labels=("economy", "sport"), n=6):
    out = []
    for i in range(n):
        for j, lab in enumerate(labels):
            w = WORDS[j % len(WORDS)].split()
            out.append({"id": f"{j}-{i}", "title": "",
                        "text": " ".join(w[i % len(w):] + w[:i % len(w)]),
                        "label": lab})
    return out


def jsonl_bytes(items):
    return b"".join(json.dumps(it, ensure_ascii=False).encode() + b"\n"
                    for it in items)


def line_with(label_json):
    """One article line whose label is label_json (raw bytes of JSON)."""
    return b'{"id": "bad", "text": "goal match", "label": ' + label_json + b"}"


def bad_utf8(line, byte):
    """The reason for the first occurrence of byte in line."""
    return f"invalid UTF-8 at byte {line.index(byte) + 1} (0x{byte[0]:02x})"


DUP = b'{"id": "bad", "text": "t", "label": "sport", "label": "economy"}'
DUP_COLUMN = DUP.rindex(b'"label"') + len('"label"')   # just after it
LATIN1 = b'{"id": "bad", "text": "caf\xe9", "label": "economy"}'
BADLABEL = line_with(b'"sp\xffort"')
OVERLONG = line_with(b'"sport\xc0\xaeuk"')
BAD_LABELS = {
    "duplicate-key": (DUP, f'duplicate key "label" (column {DUP_COLUMN})'),
    "dot": (line_with(b'"sport.uk"'),
            "label 'sport.uk' contains '.' (the envelope separator)"),
    "space": (line_with(b'"sport uk"'),
              "label 'sport uk' contains white space (U+0020)"),
    "nbsp": (line_with(b'"sport\xc2\xa0uk"'),
             "label 'sport\\u00a0uk' contains white space (U+00A0)"),
    "nbsp-escaped": (line_with(b'"sport\\u00a0uk"'),
                     "label 'sport\\u00a0uk' contains white space "
                     "(U+00A0)"),
    "tab": (line_with(b'"sport\\tuk"'),
            "label 'sport\\tuk' contains white space (U+0009)"),
    "newline": (line_with(b'"sport\\n"'),
                "label 'sport\\n' contains white space (U+000A)"),
    "control": (line_with(b'"\\u001b[31msport"'),
                "label '\\x1b[31msport' contains a control character "
                "(U+001B)"),
    "zero-width": (line_with(b'"sp\\u200bort"'),
                   "label 'sp\\u200bort' contains an invisible format "
                   "character (U+200B)"),
    "underscore": (line_with(b'"_error"'),
                   "label '_error' starts with '_' (reserved for the "
                   "daemon's envelopes)"),
    "too-long": (line_with(b'"' + b"x" * 65 + b'"'),
                 f"label '{'x' * 65}' is longer than 64 bytes (65)"),
    "not-utf8-text": (LATIN1, bad_utf8(LATIN1, b"\xe9")),
    "not-utf8-label": (BADLABEL, bad_utf8(BADLABEL, b"\xff")),
    "overlong-dot": (OVERLONG, bad_utf8(OVERLONG, b"\xc0")),
}


def assert_printable(text):
    """stderr holds whole lines of valid UTF-8 without control bytes."""
    assert "\ufffd" not in text, text
    assert all(c == "\n" or ord(c) >= 0x20 and c != "\x7f" for c in text), \
        repr(text)


@pytest.mark.parametrize("kind", sorted(BAD_LABELS))
def test_train_bad_label(tmp_path, kind):
    line, reason = BAD_LABELS[kind]
    items = small_items()
    f = tmp_path / "bad.jsonl"
    f.write_bytes(jsonl_bytes(items[:4]) + line + b"\n" +
                  jsonl_bytes(items[4:]))
    r = train(f, tmp_path / "out", "--folds", "2", ok=False)
    assert r.returncode == 2, r.stderr
    assert f"error: {f}:5: {reason}\n" in r.stderr
    assert_printable(r.stderr)
    assert not (tmp_path / "out").exists()
    # Just as fatal in --test.
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl_bytes(items))
    r = train(good, tmp_path / "out", "--folds", "2", test=f, ok=False)
    assert r.returncode == 2, r.stderr
    assert f"error: {f}:5: {reason}\n" in r.stderr
    assert not (tmp_path / "out").exists()
    # --skip-bad: a warning naming the line, and the rest trains.
    r = train(f, tmp_path / "out", "--folds", "2", "--skip-bad")
    assert f"{f}:5: skipped: {reason}\n" in r.stderr
    assert f"{f}: skipped 1 bad lines" in r.stderr
    assert_printable(r.stderr)
    m = meta(tmp_path / "out")
    assert m["labels"] == ["economy", "sport"]
    assert m["training"]["n_train"] == len(items)


def test_train_latin1_file(tmp_path):
    """A file saved as Latin-1: the first line with a non-ASCII byte."""
    items = small_items(("economy", "sport"))
    items[3]["text"] = "Café prices fell"
    f = tmp_path / "latin1.jsonl"
    f.write_bytes("".join(json.dumps(it, ensure_ascii=False) + "\n"
                          for it in items).encode("latin-1"))
    line = json.dumps(items[3], ensure_ascii=False).encode("latin-1")
    r = train(f, tmp_path / "out", "--folds", "2", ok=False)
    assert r.returncode == 2
    reason = bad_utf8(line, b"\xe9")
    assert f"error: {f}:4: {reason}\n" in r.stderr


def test_train_one_label(tmp_path):
    f = tmp_path / "one.jsonl"
    f.write_bytes(jsonl_bytes(small_items(("sport",))))
    r = train(f, tmp_path / "out", ok=False)
    assert r.returncode == 2
    assert (f"error: {f}: only one label ('sport'); a classifier needs at "
            "least two\n") in r.stderr
    assert not (tmp_path / "out").exists()
    # Several files with one label between them.
    r = run([TRAIN, "train", "--data", f, "--data", f, "--out",
             tmp_path / "out"])
    assert r.returncode == 2
    assert (f"error: {f} and the other --data files: only one label "
            "('sport')") in r.stderr


def test_train_good_labels(tmp_path):
    """Non-ASCII letters, hyphens and '_' inside are fine labels, and the
    bundle with them loads."""
    labels = ["centre-left", "w_europe", "\u00e9conomie", "\u653f\u6cbb"]
    f = tmp_path / "good.jsonl"
    f.write_bytes(jsonl_bytes(small_items(labels)))
    out = tmp_path / "out"
    train(f, out, "--folds", "2")
    assert meta(out)["labels"] == sorted(labels)
    r = run([TRAIN, "eval", "--model", out, "--data", f, "--json"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["labels"] == sorted(labels)



@pytest.mark.parametrize("name,reason", [
    ("Topic", "task name 'Topic' contains 'T' (use a-z, 0-9, '_' and '-')"),
    ("my.topic", "task name 'my.topic' contains '.'"),
    ("my topic", "task name 'my topic' contains ' '"),
    ("_error", "task name '_error' starts with '_'"),
    ("-topic", "task name '-topic' starts with '-'"),
])
def test_eval_bad_task_name(tmp_path, name, reason):
    """A bundle's directory name is its task: it must be a valid one."""
    f = tmp_path / "good.jsonl"
    f.write_bytes(jsonl_bytes(small_items()))
    good = tmp_path / "topic"
    train(f, good, "--folds", "2")
    bad = tmp_path / name
    shutil.copytree(good, bad)
    r = run([TRAIN, "eval", "--model", bad, "--data", f])
    assert r.returncode == 2
    assert f"error: cannot load bundle '{bad}': {reason}" in r.stderr


@pytest.mark.parametrize("label,reason", [
    ("eco.nomy", "label 'eco.nomy' contains '.' (the envelope separator)"),
    ("eco\tnomy", "label 'eco\\tnomy' contains white space (U+0009)"),
    ("_heartbeat", "label '_heartbeat' starts with '_'"),
])
def test_eval_bad_label_in_bundle(tmp_path, label, reason):
    f = tmp_path / "good.jsonl"
    f.write_bytes(jsonl_bytes(small_items()))
    out = tmp_path / "topic"
    train(f, out, "--folds", "2")
    m = meta(out)
    m["labels"][0] = label
    (out / "meta.json").write_text(json.dumps(m, indent=2) + "\n")
    r = run([TRAIN, "eval", "--model", out, "--data", f])
    assert r.returncode == 2
    assert f"error: cannot load bundle '{out}': meta.json: {reason}" in \
        r.stderr
    assert_printable(r.stderr)

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
