"""make install into a staging directory, the systemd unit, and -n on the
installed configuration."""
import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("NC_BUILD", "build"))


def shipped_model_file(task):
    """The model file of the repository's models/<task>, by the format its
    meta.json gives: svm.model (1, libsvm) or linear.model (2,
    liblinear)."""
    with open(os.path.join(ROOT, "models", task, "meta.json")) as f:
        return {1: "svm.model", 2: "linear.model"}[json.load(f)["format"]]


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    dest = tmp_path_factory.mktemp("dest")
    r = run(["make", "-s", "install", "BUILD=" + os.path.relpath(BUILD, ROOT),
             "DESTDIR=" + str(dest), "PREFIX=/usr/local"])
    assert r.returncode == 0, r.stderr
    return dest


def test_layout(staged):
    for path in ["usr/local/sbin/newsclassd", "usr/local/bin/newsclass",
                 "usr/local/bin/newsclass-train",
                 "usr/local/share/newsclassd/models/README.md",
                 "etc/newsclassd/newsclassd.conf",
                 "lib/systemd/system/newsclassd.service",
                 "usr/local/share/doc/newsclassd/PROTOCOL.md"]:
        assert (staged / path).exists(), path
    for task in ["topic", "sentiment"]:
        for f in ["meta.json", "vocab.tsv", shipped_model_file(task)]:
            assert (staged / "usr/local/share/newsclassd/models" / task / f).exists()
    unit = (staged / "lib/systemd/system/newsclassd.service").read_text()
    assert "@PREFIX@" not in unit
    assert "ExecStart=/usr/local/sbin/newsclassd" in unit
    conf = (staged / "etc/newsclassd/newsclassd.conf").read_text()
    assert "dir = /usr/local/share/newsclassd/models" in conf


def test_installed_config_checks(staged):
    """The shipped configuration and models pass newsclassd -n."""
    r = run([str(staged / "usr/local/sbin/newsclassd"), "--config",
             str(staged / "etc/newsclassd/newsclassd.conf"), "--models",
             str(staged / "usr/local/share/newsclassd/models"), "-n"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "configuration OK"


def test_install_keeps_existing_config(staged):
    conf = staged / "etc/newsclassd/newsclassd.conf"
    conf.write_text("# edited by the operator\n")
    r = run(["make", "-s", "install", "BUILD=" + os.path.relpath(BUILD, ROOT),
             "DESTDIR=" + str(staged), "PREFIX=/usr/local"])
    assert r.returncode == 0, r.stderr
    assert conf.read_text() == "# edited by the operator\n"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not installed")
def test_unit_verifies(staged, tmp_path):
    """systemd-analyze verify on the unit, its paths pointing into the stage."""
    prefix = staged / "usr/local"
    unit = (staged / "lib/systemd/system/newsclassd.service").read_text()
    unit = unit.replace("/usr/local", str(prefix))
    path = tmp_path / "newsclassd.service"
    path.write_text(unit)
    r = subprocess.run(["systemd-analyze", "verify", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Type=notify" in unit and "ExecReload=" in unit
    assert "DynamicUser=yes" in unit and "Restart=on-failure" in unit
    assert "\nWatchdogSec=30s\n" in unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not installed")
def test_unit_exposure_is_ok(staged):
    """systemd-analyze security rates the installed unit 2.0 or lower."""
    unit = staged / "lib/systemd/system/newsclassd.service"
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes",
                        "--no-pager", str(unit)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    last = [ln for ln in r.stdout.splitlines() if "Overall exposure" in ln]
    assert last, r.stdout
    score = float(last[-1].split(":")[1].split()[0])
    assert score <= 2.0, last[-1]
