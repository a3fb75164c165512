"""The SHIPPED models (models/ in the repository) on the shared corpora:
accuracy floors, and agreement with the solver's own tool: libsvm's
svm-predict for format-1 bundles (svm.model), liblinear's
liblinear-predict for format-2 bundles (linear.model).

These need $NC_SHARED/corpora (../shared by default), which a clone of the
repository may not have: then they skip, saying so.
"""

import json

import pytest

from .conftest import (CORPORA, LIBLINEAR_PREDICT, REPO, SVM_PREDICT, TRAIN,
                       liblinear_predict_agreement, meta, read_jsonl, run,
                       svm_predict_agreement)

SHIPPED = REPO / "models"

# task -> (corpus directory, accuracy floor, macro-F1 floor)
FLOORS = {
    "topic": ("bbc-topic", 0.975, 0.975),
    "sentiment": ("news-sentiment", 0.895, 0.85),
}

pytestmark = [
    pytest.mark.skipif(not CORPORA.is_dir(),
                       reason=f"shared corpora not found at {CORPORA} "
                              "(set NC_SHARED to the directory holding "
                              "corpora/)"),
]


def corpus_test(task):
    path = CORPORA / FLOORS[task][0] / "test.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    if not (SHIPPED / task / "meta.json").exists():
        pytest.fail(f"the shipped bundle {SHIPPED / task} is missing")
    return path


@pytest.mark.parametrize("task", sorted(FLOORS))
def test_shipped_accuracy(task):
    path = corpus_test(task)
    _, acc_floor, f1_floor = FLOORS[task]
    r = run([TRAIN, "eval", "--model", SHIPPED / task, "--data", path,
             "--json"])
    assert r.returncode == 0, r.stderr
    o = json.loads(r.stdout)
    assert o["n"] == len(read_jsonl(path))
    assert o["accuracy"] >= acc_floor, \
        f"{task}: accuracy {o['accuracy']} below {acc_floor}"
    assert o["macro_f1"] >= f1_floor, \
        f"{task}: macro-F1 {o['macro_f1']} below {f1_floor}"


@pytest.mark.parametrize("task", sorted(FLOORS))
def test_shipped_matches_solver_tool(task, tmp_path):
    path = corpus_test(task)
    if meta(SHIPPED / task)["format"] == 1:
        tool, agreement, pmax = SVM_PREDICT, svm_predict_agreement, 1e-6
    else:
        tool, agreement, pmax = (LIBLINEAR_PREDICT,
                                 liblinear_predict_agreement, 1e-9)
    if not tool.exists():
        pytest.skip(f"{tool} is not installed (libsvm-tools, "
                    "liblinear-tools)")
    n, mismatches, maxdiff = agreement(SHIPPED / task, SHIPPED, path,
                                       tmp_path)
    assert n == len(read_jsonl(path))
    if meta(SHIPPED / task)["format"] == 2 and \
            meta(SHIPPED / task)["model"]["calibration"]["method"] != \
            "temperature":
        # Platt's normalised sigmoids may re-order a close call.
        assert mismatches <= n // 1000, f"{mismatches} of {n} labels differ"
    else:
        assert mismatches == 0, f"{mismatches} of {n} labels differ"
    assert maxdiff <= pmax, f"probabilities differ by up to {maxdiff}"
