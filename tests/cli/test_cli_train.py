"""newsclass-train train / eval / export on the synthetic corpora."""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from . import corpus
from .conftest import (BUNDLE_FILES, CLI, LIBLINEAR_PREDICT, LIBSVM_BUNDLE_FILES,
                       SVM_PREDICT, TRAIN, classify,
                       liblinear_predict_agreement, liblinear_predict_rows,
                       meta,
                       read_jsonl, run, same_bundle, svm_predict_agreement,
                       train)

# liblinear's values of C in a grid, then libsvm's.
GRID_C = {"liblinear": [0.03, 0.1, 0.3, 1, 3],
          "libsvm": [0.1, 0.3, 1, 2, 4, 8, 16]}


def test_train_bundle(models, data, tmp_path):
    tr, te = data["topic"]
    out = tmp_path / "m" / "topic"
    out.parent.mkdir()
    r = train(tr, out, test=te)
    # CV, calibration and held-out figures on stdout.
    assert "== 5-fold cross-validation (135 articles, 135 rows)\n" \
        in r.stdout
    lines = r.stdout.splitlines()
    cal = [l for l in lines if l.startswith("calibration ")]
    assert len(cal) == 1, r.stdout
    assert cal[0].startswith(("calibration platt, cross-validated ECE ",
                              "calibration temperature, cross-validated "
                              "ECE "))
    assert "== held-out test\nn 45  accuracy " in r.stdout
    figures = [l for l in lines if l.startswith("n 45  accuracy ")]
    assert len(figures) == 2     # full articles and short form
    assert all("macro-F1" in l and "  ECE " in l for l in figures)
    assert "== held-out test, short form (title + first sentence)\n" \
        in r.stdout
    assert f"== wrote bundle '{out}'" in r.stdout
    # Exactly the three files, nothing left beside the bundle.
    assert {p.name for p in out.iterdir()} == BUNDLE_FILES
    assert [p.name for p in out.parent.iterdir()] == ["topic"]
    m = meta(out)
    assert m["format"] == 2
    assert m["task"] == "topic"
    assert m["labels"] == ["economy", "science", "sport"]
    assert m["version"].startswith("b2-")
    assert m["n_features"] == sum(1 for _ in open(out / "vocab.tsv")) - 3
    model = m["model"]
    assert {k: model[k] for k in ("solver", "liblinear_solver",
                                  "scheme")} == {
        "solver": "liblinear", "liblinear_solver": "L2R_L2LOSS_SVC_DUAL",
        "scheme": "ovr"}
    assert set(model) == {"solver", "liblinear_solver", "scheme",
                          "calibration"}
    t = m["training"]
    assert t["n_train"] == 135
    assert t["n_rows"] == 135
    assert t["label_counts"] == {"economy": 45, "science": 45, "sport": 45}
    assert t["augment"] == {"short": False, "extracts": 0}
    assert t["solver"] == "liblinear"
    assert t["folds"] == 5
    assert t["data"][0]["file"] == "topic-train.jsonl"
    assert t["data"][0]["bytes"] == tr.stat().st_size
    assert 0.8 <= t["cv"]["accuracy"] <= 1.0
    # The calibrator in the model is the one training chose and reported.
    c = t["calibration"]
    assert c["method"] == model["calibration"]["method"]
    assert set(c["methods"]) == {"platt", "temperature"}
    assert c["cv_ece"] == c["methods"][c["method"]]["cv_ece"]
    assert 0.0 <= c["cv_ece"] <= 1.0
    nll = {k: v["cv_nll"] for k, v in c["methods"].items()}
    assert nll[c["method"]] == min(nll.values())
    printed = float(cal[0].rsplit(" ", 1)[1])
    assert cal[0] == f"calibration {c['method']}, cross-validated ECE " \
        f"{printed:.4f}"
    assert abs(printed - c["cv_ece"]) <= 5.1e-5
    assert m["test"]["file"] == "topic-test.jsonl"
    assert m["test"]["figures"]["n"] == 45
    assert 0.0 <= m["test"]["figures"]["ece"] <= 1.0
    assert set(m["test"]["short_form"]) == {"accuracy", "macro_f1", "ece"}
    # The shared session bundle was trained the same way: same version.
    assert m["version"] == meta(models / "topic")["version"]


def test_train_libsvm_bundle(libsvm_models, models, data, tmp_path):
    tr, te = data["topic"]
    out = tmp_path / "topic"
    r = train(tr, out, "--solver", "libsvm", test=te)
    assert "== 5-fold cross-validation (135 articles, 135 rows)\n" \
        in r.stdout
    # libsvm brings its own probability estimates: no calibration.
    assert "calibration" not in r.stdout
    assert {p.name for p in out.iterdir()} == LIBSVM_BUNDLE_FILES
    m = meta(out)
    assert m["format"] == 1
    assert "model" not in m
    assert m["training"]["solver"] == "libsvm"
    assert m["training"]["calibration"] is None
    assert m["version"] == meta(libsvm_models / "topic")["version"]
    assert m["version"] != meta(models / "topic")["version"]


@pytest.mark.parametrize("solver,files", [("liblinear", BUNDLE_FILES),
                                          ("libsvm", LIBSVM_BUNDLE_FILES)])
def test_train_reproducible(data, tmp_path, solver, files):
    tr, te = data["sentiment"]
    a, b = tmp_path / "a" / "sentiment", tmp_path / "b" / "sentiment"
    a.parent.mkdir()
    b.parent.mkdir()
    opts = ["--C", "2", "--solver", solver]
    train(tr, a, *opts, "--workers", "1", test=te)
    # However many worker processes run the folds.
    train(tr, b, *opts, "--workers", "2", test=te)
    assert {p.name for p in a.iterdir()} == files
    assert same_bundle(a, b, files)
    # Retraining over an existing bundle replaces it atomically with the
    # same bytes and leaves no temporary directory behind.
    before = {n: (a / n).read_bytes() for n in files - {"meta.json"}}
    meta_before = meta(a)
    train(tr, a, *opts, test=te)
    assert {n: (a / n).read_bytes() for n in files - {"meta.json"}} == \
        before
    assert meta(a)["version"] == meta_before["version"]
    assert [p.name for p in a.parent.iterdir()] == ["sentiment"]
    # Other settings give another version.
    train(tr, b, "--C", "0.5", "--solver", solver, test=te)
    assert meta(b)["version"] != meta(a)["version"]


@pytest.mark.parametrize("solver", ["liblinear", "libsvm"])
def test_train_grid(data, tmp_path, solver):
    tr, _ = data["sentiment"]
    tiny = tmp_path / "tiny.jsonl"
    corpus.write_jsonl(tiny, read_jsonl(tr)[:36])
    out = tmp_path / "grid"
    r = train(tiny, out, "--grid", "--folds", "2", "--ngram", "1",
              "--solver", solver)
    lines = [l for l in r.stdout.splitlines() if l.startswith("grid ")]
    Cs = GRID_C[solver]
    assert len(lines) > len(Cs)
    m = meta(out)
    grid = m["training"]["grid"]
    assert len(grid) == len(lines)
    # The values of C for the base settings come first ...
    assert [g["C"] for g in grid[:len(Cs)]] == Cs
    first = [g for g in grid[:len(Cs)]
             if g["cv_macro_f1"] == max(h["cv_macro_f1"]
                                        for h in grid[:len(Cs)])]
    # ... then each alternative value of one free setting at a time, in
    # this order, at the best C so far (the sentiment set has no titles,
    # so title_weight is not searched, and ngram is fixed).  A setting
    # still has its first value while the ones before it are searched.
    dims = ["stem", "negation", "numcmp", "clean", "stopwords", "min_df",
            "min_df", "balanced"]
    base = grid[0]
    coord = grid[len(Cs):len(Cs) + len(dims)]
    tail = grid[len(Cs) + len(dims):]
    assert len(coord) == len(dims)
    for j, (g, dim) in enumerate(zip(coord, dims)):
        assert g["C"] in [f["C"] for f in first]
        assert g["C"] == coord[0]["C"]
        assert g[dim] != base[dim], (j, g)
        for later in dims[j + 1:]:
            if later != dim:
                assert g[later] == base[later], (j, later, g)
        assert g["title_weight"] == base["title_weight"]
    assert {coord[5]["min_df"], coord[6]["min_df"], base["min_df"]} == \
        {1, 2, 3}
    # No point is cross-validated twice before the last pass over C.
    points = [tuple(sorted((k, v) for k, v in g.items()
                           if not k.startswith("cv_")))
              for g in grid[:len(Cs) + len(dims)]]
    assert len(set(points)) == len(points)
    for g in grid:
        assert 0.0 <= g["cv_accuracy"] <= 1.0
        assert 0.0 <= g["cv_macro_f1"] <= 1.0
        assert g["ngram_max"] == 1      # fixed on the command line
    best = max(g["cv_macro_f1"] for g in grid)
    assert m["training"]["cv"]["macro_f1"] == best
    params = m["training"]["params"]
    assert any(all(g[k] == params[k] for k in params) and
               g["cv_macro_f1"] == best for g in grid)
    # ... then C again, if the best settings are not the first ones.
    settings = [k for k in base if k != "C" and not k.startswith("cv_")]
    changed = any(params[k] != base[k] for k in settings)
    assert len(tail) == (len(Cs) if changed else 0)
    if tail:
        assert [g["C"] for g in tail] == Cs
        assert all({k: g[k] for k in settings} ==
                   {k: tail[0][k] for k in settings} for g in tail)
    assert m["features"]["ngram_max"] == 1
    # Without --grid the grid is recorded as empty.
    train(tiny, tmp_path / "nogrid", "--folds", "2", "--solver", solver)
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
                                        "per_class", "confusion", "ece"}
    assert set(o["test"]["short_form"]) == {"accuracy", "macro_f1", "ece"}


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
def test_export_matches_svm_predict(libsvm_models, data, task, tmp_path):
    _, te = data[task]
    n, mismatches, maxdiff = svm_predict_agreement(
        libsvm_models / task, libsvm_models, te, tmp_path)
    assert n == len(read_jsonl(te))
    assert mismatches == 0
    assert maxdiff <= 1e-6


def binary_set(path, items):
    """The positive and negative items only: a two-class set."""
    return corpus.write_jsonl(path, [it for it in items
                                     if it["label"] != "neutral"])


@pytest.mark.skipif(not LIBLINEAR_PREDICT.exists(),
                    reason="liblinear's liblinear-predict is not installed "
                           "(liblinear-tools)")
@pytest.mark.parametrize("task,scheme", [("topic", "ovr"),
                                         ("sentiment", "ovr"),
                                         ("sentiment", "cs"),
                                         ("polarity", "ovr"),
                                         ("polarity", "cs")])
def test_export_matches_liblinear_predict(data, tmp_path, task, scheme):
    """liblinear's own liblinear-predict, on our linear.model and our
    exported vectors, labels every article as newsclass classify does.
    With temperature scaling the calibrated arg-max is the decision
    values' arg-max, so the agreement must be exact.  Our probabilities
    are also recomputed in Python from the two files."""
    if task == "polarity":
        tr = binary_set(tmp_path / "polarity-train.jsonl",
                        read_jsonl(data["sentiment"][0]))
        te = binary_set(tmp_path / "polarity-test.jsonl",
                        read_jsonl(data["sentiment"][1]))
    else:
        tr, te = data[task]
    models = tmp_path / "models"
    models.mkdir()
    train(tr, models / task, "--calibration", "temperature", "--scheme",
          scheme, "--folds", "3")
    m = meta(models / task)
    assert m["model"]["liblinear_solver"] == \
        {"ovr": "L2R_L2LOSS_SVC_DUAL", "cs": "MCSVM_CS"}[scheme]
    assert m["model"]["calibration"]["method"] == "temperature"
    # Test and training articles: the latter are far from the boundary,
    # the former not always.
    for name, path in (("test", te), ("train", tr)):
        out = tmp_path / name
        out.mkdir()
        n, mismatches, maxdiff = liblinear_predict_agreement(
            models / task, models, path, out)
        assert n == len(read_jsonl(path))
        assert mismatches == 0, f"{mismatches} of {n} labels differ"
        assert maxdiff <= 1e-9


@pytest.mark.skipif(not LIBLINEAR_PREDICT.exists(),
                    reason="liblinear's liblinear-predict is not installed "
                           "(liblinear-tools)")
def test_export_platt_probabilities(data, tmp_path):
    """With Platt's sigmoids the probabilities recomputed in Python from
    linear.model and meta.json are ours too, and so are the labels."""
    tr, te = data["topic"]
    models = tmp_path / "models"
    models.mkdir()
    train(tr, models / "topic", "--calibration", "platt", "--folds", "3")
    cal = meta(models / "topic")["model"]["calibration"]
    assert cal["method"] == "platt"
    assert len(cal["A"]) == len(cal["B"]) == 3
    for name, path in (("test", te), ("train", tr)):
        out = tmp_path / name
        out.mkdir()
        rows, _ = liblinear_predict_rows(models / "topic", models, path,
                                         out)
        assert len(rows) == len(read_jsonl(path))
        for r in rows:
            assert max(abs(p - q) for p, q in zip(r["scores"],
                                                  r["probs"])) <= 1e-9
            # Our label is the arg-max of the probabilities we publish,
            # liblinear's that of the decision values: they differ only
            # when the normalised sigmoids re-order a close call.
            assert r["label"] == argmax(r["probs"])
            assert r["liblinear"] == argmax(r["dec"])
        agree = sum(r["label"] == r["liblinear"] for r in rows)
        assert agree >= 0.95 * len(rows)


def argmax(v):
    return max(range(len(v)), key=lambda i: (v[i], -i))


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


# ---- options of train, eval --errors, report ----

def test_train_augment(data, tmp_path):
    tr, te = data["topic"]
    out = tmp_path / "topic"
    r = train(tr, out, "--augment", "short", "--augment", "extracts", "3",
              "--folds", "3", test=te)
    m = meta(out)
    t = m["training"]
    assert t["augment"] == {"short": True, "extracts": 3}
    # Figures count the articles; training uses every row.
    assert t["n_train"] == 135
    assert sum(t["label_counts"].values()) == 135
    items = read_jsonl(tr)
    # A short form for each article longer than its first sentence, and
    # three extracts for each of three sentences or more.
    n_sentences = [it["text"].count(".") for it in items]
    assert t["n_rows"] == 135 + sum(n > 1 for n in n_sentences) + \
        3 * sum(n >= 3 for n in n_sentences)
    assert f"== 3-fold cross-validation (135 articles, {t['n_rows']} " \
        f"rows)\n" in r.stdout
    assert m["test"]["figures"]["n"] == 45
    # The same options again: the same bundle; the other spelling of
    # both options too.
    again = tmp_path / "again" / "topic"
    again.parent.mkdir()
    train(tr, again, "--augment-short", "--augment", "extracts=3",
          "--folds", "3", test=te)
    assert same_bundle(out, again)
    # Without augmentation: another model.
    plain = tmp_path / "plain" / "topic"
    plain.parent.mkdir()
    train(tr, plain, "--folds", "3", test=te)
    assert meta(plain)["training"]["n_rows"] == 135
    assert meta(plain)["version"] != m["version"]


@pytest.mark.parametrize("opts,msg", [
    (["--augment", "long"], "--augment takes 'short' or 'extracts N', "
     "not 'long'"),
    (["--augment", "extracts", "0"], "--augment extracts must be an "
     "integer in 1..20, not '0'"),
    (["--augment", "extracts=21"], "--augment extracts must be an "
     "integer in 1..20"),
    (["--solver", "svm"], "--solver must be liblinear or libsvm, not "
     "'svm'"),
    (["--scheme", "ovo"], "--scheme must be ovr or cs, not 'ovo'"),
    (["--calibration", "isotonic"], "--calibration must be platt or "
     "temperature, not 'isotonic'"),
    (["--workers", "0"], "--workers must be an integer in 1..64"),
    (["--workers", "65"], "--workers must be an integer in 1..64"),
])
def test_train_bad_options(data, tmp_path, opts, msg):
    tr, _ = data["sentiment"]
    r = train(tr, tmp_path / "o", *opts, ok=False)
    assert r.returncode == 2, r.stderr
    assert msg in r.stderr
    assert r.stdout == ""
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("method", ["platt", "temperature"])
def test_train_calibration(data, tmp_path, method):
    tr, te = data["topic"]
    out = tmp_path / "topic"
    r = train(tr, out, "--calibration", method, test=te)
    m = meta(out)
    cal = m["model"]["calibration"]
    assert cal["method"] == method
    if method == "platt":
        assert set(cal) == {"method", "A", "B"}
        assert len(cal["A"]) == len(cal["B"]) == 3
        # Larger decision values, larger probabilities.
        assert all(a < 0 for a in cal["A"])
    else:
        assert set(cal) == {"method", "T"}
        assert cal["T"] > 0
    # Only that method was measured; its cross-validated ECE is reported.
    t = m["training"]["calibration"]
    assert t["method"] == method
    assert set(t["methods"]) == {method}
    assert 0.0 <= t["cv_ece"] <= 1.0
    assert t["cv_ece"] == t["methods"][method]["cv_ece"]
    assert t["methods"][method]["cv_nll"] > 0
    assert f"calibration {method}, cross-validated ECE " in r.stdout
    # The test figures carry the calibration error of the probabilities.
    assert 0.0 <= m["test"]["figures"]["ece"] <= 1.0
    rel = m["test"]["figures"]["reliability"]
    assert sum(b["n"] for b in rel) == 45


def test_train_crammer_singer(data, tmp_path):
    tr, te = data["topic"]
    out = tmp_path / "topic"
    train(tr, out, "--scheme", "cs", test=te)
    m = meta(out)
    assert m["model"]["liblinear_solver"] == "MCSVM_CS"
    assert m["model"]["scheme"] == "crammer-singer"
    assert (out / "linear.model").read_text().startswith(
        "solver_type MCSVM_CS\nnr_class 3\nlabel 0 1 2\n")
    assert m["test"]["figures"]["accuracy"] >= 0.8


def test_train_out_checked_first(data, tmp_path):
    """--out is checked before the data is read: a bad --out with missing
    data says what is wrong with --out, exit 2, and creates nothing."""
    missing = tmp_path / "no" / "such" / "dir" / "topic"
    r = train(tmp_path / "absent.jsonl", missing, ok=False)
    assert r.returncode == 2
    assert f"--out '{missing}': '{missing.parent}' is not a directory" \
        in r.stderr
    assert "absent.jsonl" not in r.stderr
    assert not (tmp_path / "no").exists()
    assert r.stdout == ""
    # A parent that is a file.
    f = tmp_path / "file"
    f.write_text("x")
    r = train(data["topic"][0], f / "topic", ok=False)
    assert r.returncode == 2
    assert f"'{f}' is not a directory" in r.stderr
    # An empty --out.
    r = train(data["topic"][0], "", ok=False)
    assert r.returncode == 2
    assert "--out must name the bundle's directory" in r.stderr
    # A relative --out without a slash is in the current directory.
    r = run([TRAIN, "train", "--data", data["sentiment"][0], "--out",
             "sentiment", "--folds", "2"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert meta(tmp_path / "sentiment")["task"] == "sentiment"


def test_eval_errors(models, data, tmp_path):
    _, te = data["topic"]
    bundle = models / "topic"
    errors = tmp_path / "errors.jsonl"
    r = run([TRAIN, "eval", "--model", bundle, "--data", te, "--errors",
             errors, "--json"])
    assert r.returncode == 0, r.stderr
    o = json.loads(r.stdout)
    wrong = o["n"] - sum(o["confusion"][i][i]
                         for i in range(len(o["labels"])))
    assert wrong > 0, "the test set is all right: nothing to check"
    lines = errors.read_text().splitlines()
    # One line per misclassified article, in the data's order.
    assert len(lines) == wrong
    gold = {it["id"]: it["label"] for it in read_jsonl(te)}
    order = [it["id"] for it in read_jsonl(te)]
    ours = {res["id"]: res["tags"]["topic"] for res in
            (json.loads(l) for l in
             run([CLI, "classify", "--models", models, "--explain", "5",
                  te]).stdout.splitlines())}
    terms = set(load_terms(bundle))
    ids = []
    for line in lines:
        e = json.loads(line)
        assert list(e) == ["id", "gold", "predicted", "p", "p_gold", "why"]
        ids.append(e["id"])
        assert e["gold"] == gold[e["id"]]
        assert e["predicted"] != e["gold"]
        tag = ours[e["id"]]
        assert e["predicted"] == tag["label"]
        assert e["p"] == pytest.approx(tag["p"], rel=1e-3)
        assert e["p_gold"] == pytest.approx(tag["scores"][e["gold"]],
                                            rel=1e-3, abs=1e-6)
        assert e["p"] >= e["p_gold"]
        # The terms that pushed the prediction: newsclass's explanation.
        assert 1 <= len(e["why"]) <= 5
        assert [t for t, _ in e["why"]] == [t for t, _ in tag["why"]]
        for (t, w), (_, want) in zip(e["why"], tag["why"]):
            assert t in terms
            assert w > 0
            assert w == pytest.approx(want, rel=1e-3)
        ws = [w for _, w in e["why"]]
        assert ws == sorted(ws, reverse=True)
    assert ids == [i for i in order if i in set(ids)]
    # A file that cannot be written: exit 1, saying so.
    bad = tmp_path / "missing" / "errors.jsonl"
    r = run([TRAIN, "eval", "--model", bundle, "--data", te, "--errors",
             bad])
    assert r.returncode == 1
    assert f"cannot write '{bad}'" in r.stderr


def load_terms(bundle):
    lines = (bundle / "vocab.tsv").read_text(encoding="utf-8").splitlines()
    return [l.rsplit("\t", 1)[0] for l in lines[1:]
            if not l.startswith(("docs\t", "terms\t"))]


class Page(HTMLParser):
    """Tags and text of an HTML page; void elements need no end tag."""
    VOID = {"meta", "br", "hr", "img", "link", "input", "col", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.text, self.errors = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append((tag, list(self.stack[-3:])))
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path):
    html = path.read_text(encoding="utf-8")
    p = Page()
    p.feed(html)
    p.close()
    assert p.errors == [] and p.stack == [], (p.errors, p.stack)
    return html, p, " ".join(" ".join(p.text).split())


def test_report(models, data, tmp_path):
    _, te = data["topic"]
    bundle = models / "topic"
    m = meta(bundle)
    page = tmp_path / "report.html"
    r = run([TRAIN, "report", "--model", bundle, "--data", te, "--out",
             page])
    assert r.returncode == 0, r.stderr
    html, p, text = parse_page(page)
    assert html.startswith("<!DOCTYPE html>")
    assert p.tags[0] == "html" and "svg" in p.tags
    # Self-contained: no script, no external resource.
    assert "script" not in p.tags and "link" not in p.tags
    assert "img" not in p.tags
    assert not re.search(r"(src|href)=\"?(https?:)?//", html)
    for want in ("Model summary", "Confusion matrix", "Per-class figures",
                 "Reliability diagram", "Accuracy by text length",
                 "Training label counts", m["version"], "liblinear",
                 *m["labels"]):
        assert want in text, want
    # The evaluation's figures are on the page.
    o = json.loads(run([TRAIN, "eval", "--model", bundle, "--data", te,
                        "--json"]).stdout)
    assert f"{o['accuracy']:.4f}" in text
    for lab in m["labels"]:
        assert f"{o['per_class'][lab]['f1']:.4f}" in text
    # The same inputs, the same page.
    again = tmp_path / "again.html"
    run([TRAIN, "report", "--model", bundle, "--data", te, "--out", again])
    assert again.read_bytes() == page.read_bytes()
    # Without --data: the held-out figures meta.json recorded.
    alone = tmp_path / "alone.html"
    r = run([TRAIN, "report", "--model", bundle, "--out", alone])
    assert r.returncode == 0, r.stderr
    _, _, text = parse_page(alone)
    assert m["version"] in text
    assert f"{m['test']['figures']['accuracy']:.4f}" in text
    assert "not available" not in text
    # A bundle trained without --test, reported without --data: what is
    # missing is said to be.
    bare = tmp_path / "sentiment"
    train(data["sentiment"][0], bare, "--folds", "2")
    r = run([TRAIN, "report", "--model", bare, "--out", alone])
    assert r.returncode == 0, r.stderr
    _, _, text = parse_page(alone)
    assert "not available" in text and "not recorded" in text
    assert meta(bare)["version"] in text
    # Errors: no --out or --model (usage, 2), a bundle that is not one
    # (2), a page that cannot be written (1).
    for argv, code in (([TRAIN, "report", "--model", bundle], 2),
                       ([TRAIN, "report", "--out", alone], 2),
                       ([TRAIN, "report", "--model", tmp_path / "nope",
                         "--out", alone], 2),
                       ([TRAIN, "report", "--model", bundle, "--out",
                         tmp_path / "missing" / "r.html"], 1)):
        r = run(argv)
        assert r.returncode == code, (argv, r.stderr)
    assert not (tmp_path / "missing").exists()


def test_report_escapes(tmp_path):
    """Labels are the data's: HTML in them is shown, not interpreted."""
    items = []
    for i in range(12):
        lab = "<i>odd</i>" if i % 2 else 'a&b"c'
        word = "alpha beta" if i % 2 else "gamma delta"
        items.append({"id": f"x{i}", "title": "",
                      "text": f"{word} {word} item {i}.", "label": lab})
    f = corpus.write_jsonl(tmp_path / "x.jsonl", items)
    bundle = tmp_path / "odd"
    train(f, bundle, "--folds", "2", "--min-df", "1")
    page = tmp_path / "odd.html"
    r = run([TRAIN, "report", "--model", bundle, "--data", f, "--out",
             page])
    assert r.returncode == 0, r.stderr
    html, p, text = parse_page(page)
    assert "<i>" not in html and "a&b" not in html
    assert "&lt;i&gt;odd&lt;/i&gt;" in html
    assert "<i>odd</i>" in text and 'a&b"c' in text
    assert "i" not in p.tags


def test_report_shows_scheme(models, tmp_path):
    page = tmp_path / "report.html"
    r = run([TRAIN, "report", "--model", models / "topic", "--out", page])
    assert r.returncode == 0, r.stderr
    _, _, text = parse_page(page)
    assert "Multi-class scheme ovr" in text


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
    assert {p.name for p in b.iterdir()} == BUNDLE_FILES
    assert same_bundle(a, b)
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
