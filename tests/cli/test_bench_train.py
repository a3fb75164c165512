"""scripts/bench-train: its measuring, its data generator and one small
run end to end, on made-up corpora (written here) and a stand-in trainer,
so that the harness is checked without the real corpora or a long run."""

import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from .conftest import REPO, read_jsonl

SCRIPT = REPO / "scripts" / "bench-train"


def load_script():
    loader = importlib.machinery.SourceFileLoader("bench_train", str(SCRIPT))
    spec = importlib.util.spec_from_loader("bench_train", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


bt = load_script()

# corpus -> its own labels, chosen to cover every common label.
FAKE_LABELS = {
    "bbc-topic": ["business", "entertainment", "politics", "sport", "tech"],
    "sib200-topic": ["crime", "health", "science", "travel", "religion"],
    "huffpost-sample": ["world-news", "money", "comedy"],
}


def fake_corpora(root):
    """Corpora shaped like the shared ones: every sentence names its split
    and its source label, so the tests can tell where a word came from."""
    for corpus, labels in FAKE_LABELS.items():
        d = root / "corpora" / corpus
        d.mkdir(parents=True)
        for split in ("train", "test"):
            with open(d / f"{split}.jsonl", "w", encoding="utf-8") as f:
                for lab in labels:
                    for i in range(3):
                        text = " ".join(
                            f"Word{split} {lab}x alpha beta number{i}{j}."
                            for j in range(4))
                        title = ("" if corpus == "sib200-topic" else
                                 f"Head{split} {lab}x item {i}")
                        f.write(json.dumps({"id": f"{corpus}-{lab}-{i}",
                                            "title": title, "text": text,
                                            "label": lab}) + "\n")
    return root


def source_label(word):
    return word[:-1]


def common(label):
    for mapping in bt.GEN_SOURCES.values():
        if label in mapping:
            return mapping[label]
    return None


def test_generate_is_seeded_and_stays_in_its_split(tmp_path):
    shared = fake_corpora(tmp_path / "shared")
    corpora = shared / "corpora"
    a, b, c = (tmp_path / f"{x}.jsonl" for x in "abc")
    bt.generate(corpora, "train", 300, 7, a)
    bt.generate(corpora, "train", 300, 7, b)
    bt.generate(corpora, "train", 300, 8, c)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    items = read_jsonl(a)
    assert len(items) == 300
    assert len({x["id"] for x in items}) == 300
    # The first items name every label once, in order.
    assert [x["label"] for x in items[:10]] == list(bt.GEN_LABELS)
    assert {x["label"] for x in items} == set(bt.GEN_LABELS)
    for x in items:
        words = x["text"].split()
        # 1 or 2 sentences, all from the train split and from source
        # labels that map to the item's label.
        assert 1 <= x["text"].count("Wordtrain") <= 2
        assert "test" not in x["text"] + x["title"]
        for w in words:
            if w.endswith("x"):
                assert common(source_label(w)) == x["label"]
        assert x["title"]
    # Labels that map to nothing are left out.
    assert not any("religionx" in x["text"] or "comedyx" in x["text"]
                   for x in items)
    test = tmp_path / "test.jsonl"
    bt.generate(corpora, "test", 50, 7, test)
    assert all("train" not in x["text"] + x["title"]
               for x in read_jsonl(test))


def test_measure_rss_and_timeout(tmp_path):
    out, err = tmp_path / "out", tmp_path / "err"
    m = bt.measure([sys.executable, "-c",
                    "b = bytearray(200 << 20)\n"
                    "for i in range(0, len(b), 4096): b[i] = 1"],
                   out, err, 0)
    assert m["rc"] == 0 and not m["timed_out"]
    assert 200 <= m["rss_mb"] < 300
    assert m["cpu_s"] > 0 and m["wall_s"] > 0

    t0 = time.monotonic()
    m = bt.measure(["/bin/sh", "-c", "sleep 60 & sleep 60; wait"], out,
                   err, 0.5)
    assert m["timed_out"] and m["rc"] != 0
    assert time.monotonic() - t0 < 30
    assert "timeout" in bt.failure(m, err, "sh")

    m = bt.measure(["/bin/sh", "-c", "echo 'bad thing' >&2; echo usage: x "
                    ">&2; exit 3"], out, err, 0)
    assert m["rc"] == 3
    assert bt.failure(m, err, "sh") == "sh exited 3: bad thing"


FAKE_JSON = json.dumps({"training": {"cv": {"accuracy": 0.25}},
                        "test": {"figures": {"accuracy": 0.5}}})
FAKE_TRAIN = f"""#!/bin/sh
# Stands in for newsclass-train: records its arguments, answers in JSON.
printf '%s\\n' "$@" > "$(dirname "$0")/args.txt"
echo 'training...' >&2
echo '{FAKE_JSON}'
"""


def run_bench(tmp_path, shared, env):
    build = tmp_path / "build"
    build.mkdir(exist_ok=True)
    fake = build / "newsclass-train"
    fake.write_text(FAKE_TRAIN)
    fake.chmod(0o755)
    full = dict(os.environ)
    full.pop("NC_TRAIN_ARGS", None)
    full.update({"BENCH_TRAIN_SIZES": "60", "BENCH_TRAIN_TEST_N": "30",
                 "BENCH_TRAIN_SETS": "recomb"})
    full.update(env)
    r = subprocess.run([sys.executable, str(SCRIPT), str(build),
                        str(shared)], capture_output=True, text=True,
                       env=full, timeout=300)
    assert r.returncode == 0, r.stderr
    return build, r


def test_end_to_end_with_a_stand_in_trainer(tmp_path):
    shared = fake_corpora(tmp_path / "shared")
    tools = ["ours"]
    if shutil.which("fasttext"):
        tools.append("fasttext")
    if importlib.util.find_spec("sklearn"):
        tools.append("sklearn")
    build, r = run_bench(tmp_path, shared,
                         {"BENCH_TRAIN_TOOLS": ",".join(tools)})
    assert "recomb 60 " in r.stdout or "| recomb 60" in r.stdout
    assert "not a real-world figure" in r.stdout
    assert "[recomb 60] ours:" in r.stderr
    args = (build / "args.txt").read_text().split("\n")
    assert args[0] == "train"
    assert args[args.index("--json") + 1:-1] == bt.OURS_ARGS
    res = json.loads((build / "bench-train" / "results.json").read_text())
    (row,) = res["sets"]
    assert row["n_train"] == 60 and row["n_test"] == 30
    ours = row["tools"]["ours"]
    assert ours["accuracy"] == 0.5 and ours["cv_accuracy"] == 0.25
    assert ours["rss_mb"] > 0 and ours["wall_s"] > 0
    for t in tools[1:]:
        assert 0 <= row["tools"][t]["accuracy"] <= 1, row["tools"][t]
    assert list(tmp_path.glob("build/bench-train/models/*/fasttext.bin")) \
        == []

    # The data is reused, and NC_TRAIN_ARGS replaces the extra arguments.
    _, r = run_bench(tmp_path, shared, {"BENCH_TRAIN_TOOLS": "ours",
                                        "NC_TRAIN_ARGS": "--C 1"})
    assert "reusing" in r.stderr and "generating" not in r.stderr
    args = (build / "args.txt").read_text().split("\n")
    assert args[args.index("--json") + 1:-1] == ["--C", "1"]


def test_without_corpora(tmp_path):
    _, r = run_bench(tmp_path, tmp_path / "nowhere",
                     {"BENCH_TRAIN_SETS": "recomb,sib200"})
    assert "recomb sets skipped" in r.stdout
    assert "sib200 set skipped" in r.stdout
    assert "nothing measured" in r.stdout


@pytest.mark.parametrize("var,value", [("BENCH_TRAIN_SIZES", "5"),
                                       ("BENCH_TRAIN_TOOLS", "svmlight")])
def test_bad_settings(tmp_path, var, value):
    r = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path),
                        str(tmp_path)], capture_output=True, text=True,
                       env=dict(os.environ, **{var: value}))
    assert r.returncode != 0
    assert var in r.stderr or "at least" in r.stderr
