"""newsclassd -n (check the configuration and models), --help, bad usage."""

import json
import shutil
import subprocess

import pytest

from .conftest import DAEMON, SANITIZER_MARKS, model_file, train

GOOD = """\
; a complete configuration
[input]
endpoint = @ipc://{d}/in
type = pull
hwm = 1000

[output]
endpoint = @ipc://{d}/out
type = push
include_text = false
envelope = sentiment,topic

[control]
endpoint = @ipc://{d}/ctl

[models]
dir = {models}

[daemon]
threads = 2
log_level = warn
heartbeat = 0.5
linger_ms = 1000

[limits]
max_message_bytes = 100000
max_depth = 8
"""


def run_daemon(*args):
    r = subprocess.run([str(DAEMON), *map(str, args)], capture_output=True,
                       text=True, timeout=60)
    for mark in SANITIZER_MARKS:
        assert mark not in r.stderr, r.stderr
    return r


def write_conf(tmp_path, models, text=GOOD, name="newsclassd.conf"):
    path = tmp_path / name
    path.write_text(text.format(d=tmp_path, models=models))
    return path


def test_good_config(tmp_path, models):
    conf = write_conf(tmp_path, models)
    r = run_daemon("-n", "-c", conf)
    assert (r.returncode, r.stdout, r.stderr) == (0, "configuration OK\n", "")
    # Command-line options override the file, and are checked too.
    r = run_daemon("-c", conf, "-n", "--set", "daemon.threads=4",
                   "--heartbeat", "0")
    assert (r.returncode, r.stdout) == (0, "configuration OK\n")


def test_ack_output_config(tmp_path, models):
    """output.type = ack with its timeout passes -n; with output.hwm = 0
    (no bound) it does not."""
    text = GOOD.replace("type = push", "type = ack\nack_timeout_ms = 2500")
    conf = write_conf(tmp_path, models, text)
    r = run_daemon("-n", "-c", conf)
    assert (r.returncode, r.stdout, r.stderr) == (0, "configuration OK\n", "")
    r = run_daemon("-n", "-c", conf, "--set", "output.hwm=0")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "newsclassd: configuration error: output.hwm: with " \
        "output.type = ack it bounds the results held and must be at " \
        "least 1\n"


def line_of(text, marker):
    """Number of the first line of text that contains marker."""
    return text[:text.index(marker)].count("\n") + 1


@pytest.mark.parametrize("change, marker, message", [
    (("[daemon]\n", "[daemon]\ncolour = blue\n"), "colour",
     "unknown key 'daemon.colour'"),
    (("threads = 2", "threads = lots"), "lots",
     "daemon.threads: expected an integer in 0..256, not 'lots'"),
    (("heartbeat = 0.5", "heartbeat = -1"), "-1",
     "daemon.heartbeat: expected seconds in 0..86400, not '-1'"),
    (("type = push", "type = req"), "req",
     "output.type: expected pub, push or ack, not 'req'"),
    (("type = push", "type = ack\nack_timeout_ms = 5"), "ack_timeout_ms",
     "output.ack_timeout_ms: expected an integer in 100..86400000, not '5'"),
    (("include_text = false", "include_text = maybe"), "maybe",
     "output.include_text: expected true or false, not 'maybe'"),
    (("endpoint = @ipc://{d}/in", "endpoint = udp://{d}/in"), "udp",
     "input.endpoint: endpoint 'udp://{d}/in' must be tcp://, ipc:// or "
     "inproc://"),
    (("endpoint = @ipc://{d}/ctl", "endpoint = @ipc://"), "@ipc://\n",
     "control.endpoint: endpoint '@ipc://' has no address"),
    (("[limits]\n", "[limits\n"), "[limits\n", "syntax error"),
    (("max_depth = 8", "max_depth = 0"), "max_depth",
     "limits.max_depth: expected an integer in 1..1000, not '0'"),
])
def test_bad_config_file(tmp_path, models, change, marker, message):
    text = GOOD.replace(*change)
    line = line_of(text, marker)
    conf = write_conf(tmp_path, models, text)
    r = run_daemon("-n", "-c", conf)
    assert r.returncode == 2
    assert r.stdout == ""
    want = f"newsclassd: configuration error: {conf}:{line}: " + \
        message.format(d=tmp_path)
    assert r.stderr.startswith(want), r.stderr


def test_bad_models(tmp_path, models, corpus):
    missing = tmp_path / "nothing"
    conf = write_conf(tmp_path, missing)
    r = run_daemon("-n", "-c", conf)
    assert r.returncode == 2
    assert f"cannot read models directory '{missing}'" in r.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_daemon("-n", "-m", empty)
    assert r.returncode == 2 and str(empty) in r.stderr

    # A libsvm bundle beside the liblinear ones, for its model file.
    (tmp_path / "libsvm").mkdir()
    train(corpus["topic"], tmp_path / "libsvm" / "topic", solver="libsvm")
    assert model_file(models / "topic").name == "linear.model"
    mixed = tmp_path / "mixed"
    shutil.copytree(models, mixed)
    shutil.rmtree(mixed / "topic")
    shutil.copytree(tmp_path / "libsvm" / "topic", mixed / "topic")
    r = run_daemon("-n", "-m", mixed)
    assert r.returncode == 0, r.stderr
    for part, damage in (("meta.json", "{not json"),
                         ("vocab.tsv", "garbage\n"),
                         ("linear.model", "solver_type L2R_L2LOSS_SVC_DUAL\n"
                          "nr_class\n"),
                         ("svm.model", "svm_type c_svc\nkernel_type\n")):
        bad = tmp_path / f"bad-{part}"
        shutil.copytree(models, bad)
        if part == "svm.model":
            shutil.rmtree(bad / "topic")
            shutil.copytree(tmp_path / "libsvm" / "topic", bad / "topic")
            assert model_file(bad / "topic").name == part
        (bad / "topic" / part).write_text(damage)
        r = run_daemon("-n", "-m", bad)
        assert r.returncode == 2, part
        assert r.stdout == ""
        assert "topic" in r.stderr and part in r.stderr, r.stderr


def test_bad_labels_and_task_names(tmp_path, models):
    """Labels and task names make the envelopes "<task>.<label>": a bundle
    whose directory is not a valid task name, or whose labels break the
    rules (label.h), is refused."""
    cases = []
    for name, want in (("Topic", "task name 'Topic' contains 'T'"),
                       ("topic.v2", "task name 'topic.v2' contains '.'"),
                       ("_error", "task name '_error' starts with '_'")):
        bad = tmp_path / f"dir-{len(cases)}"
        shutil.copytree(models, bad)
        (bad / "topic").rename(bad / name)
        cases.append((bad, want))
    for label, want in (("a.b", "meta.json: label 'a.b' contains '.'"),
                        ("a\u00a0b", "meta.json: label 'a\\u00a0b' "
                                     "contains white space (U+00A0)"),
                        ("_heartbeat", "meta.json: label '_heartbeat' "
                                       "starts with '_'")):
        bad = tmp_path / f"label-{len(cases)}"
        shutil.copytree(models, bad)
        meta = bad / "topic" / "meta.json"
        m = json.loads(meta.read_text())
        m["labels"][0] = label
        meta.write_text(json.dumps(m, indent=2) + "\n")
        cases.append((bad, want))
    for bad, want in cases:
        r = run_daemon("-n", "-m", bad)
        assert r.returncode == 2, bad
        assert r.stdout == ""
        assert want in r.stderr, r.stderr

def test_usage(tmp_path):
    r = run_daemon("--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: newsclassd")
    assert r.stderr == ""
    for args in (["--no-such-option"], ["-n", "stray"], ["-x"],
                 ["-n", "--set", "nodot"], ["-n", "--set", "a.b=1"],
                 ["-n", "--threads", "many"], ["-n", "--input", "tcp:/x"],
                 ["-n", "-c", tmp_path / "absent.conf"]):
        r = run_daemon(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stdout == ""
        assert r.stderr, args
