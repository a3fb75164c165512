"""The Debian packages of make deb, on this machine: install them with
apt-get, check the files, run the installed daemon with the installed
configuration (endpoints moved to ipc:// in a temp dir) as an unprivileged
user, classify the sample articles through it with the installed
newsclass, then purge the packages and check that none of their files is
left.

Changes the machine, so it runs only as root, from make deb-test, and
skips when the packages are not built (make deb) or are installed already.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / os.environ.get("NC_BUILD", "build")
PACKAGES = ["newsclassd", "newsclassd-models"]
DEBS = sorted(p for p in (BUILD / "deb").glob("*.deb")
              if p.name.split("_")[0] in PACKAGES)
SAMPLES = REPO / "samples" / "articles.jsonl"
CONF = "/etc/newsclassd/newsclassd.conf"
MODELS = "/usr/share/newsclassd/models"
UNIT = "/lib/systemd/system/newsclassd.service"
WAIT = 20.0


def run(*cmd, check=True, timeout=300, **kw):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       timeout=timeout, env=env, **kw)
    if check:
        assert r.returncode == 0, f"{cmd}: exit {r.returncode}\n{r.stdout}" \
                                  f"\n{r.stderr}"
    return r


def package_state(pkg):
    """dpkg's state of pkg ("installed", "config-files", ...), or None."""
    r = run("dpkg-query", "-W", "-f=${db:Status-Status}", pkg, check=False)
    if r.returncode != 0:
        return None
    return r.stdout.strip() or None


def skip_reason():
    if os.geteuid() != 0:
        return "installs a Debian package: run as root"
    if not DEBS:
        return f"no newsclassd packages in {BUILD / 'deb'}: run make deb"
    if shutil.which("apt-get") is None:
        return "apt-get not found"
    for pkg in PACKAGES:
        state = package_state(pkg)
        if state not in (None, "not-installed"):
            return (f"{pkg} is already on this machine ({state}); not "
                    f"touching it (dpkg --purge {' '.join(PACKAGES)} "
                    f"to run this test)")
    return None


SKIP = skip_reason()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=str(SKIP))


@pytest.fixture(scope="module")
def installed():
    """Install the packages; {package: [paths from dpkg -L]}.  Purged at
    the end whatever happened."""
    try:
        run("apt-get", "install", "-y", "--no-install-recommends",
            *[p.resolve() for p in DEBS])
        yield {pkg: run("dpkg", "-L", pkg).stdout.split("\n")[:-1]
               for pkg in PACKAGES}
    finally:
        if any(package_state(p) not in (None, "not-installed")
               for p in PACKAGES):
            run("dpkg", "--purge", *PACKAGES, check=False)


def test_installed_files(installed):
    for pkg in PACKAGES:
        assert package_state(pkg) == "installed"
    files = set(installed["newsclassd"])
    for path in ["/usr/sbin/newsclassd", "/usr/bin/newsclass",
                 "/usr/bin/newsclass-train", CONF, UNIT,
                 "/usr/share/man/man8/newsclassd.8.gz",
                 "/usr/share/man/man5/newsclassd.conf.5.gz",
                 "/usr/share/man/man1/newsclass.1.gz",
                 "/usr/share/man/man1/newsclass-train.1.gz",
                 "/usr/share/doc/newsclassd/README.md",
                 "/usr/share/doc/newsclassd/copyright"]:
        assert path in files, path
        assert os.path.exists(path), path
    models = set(installed["newsclassd-models"])
    for task in ["topic", "sentiment"]:
        assert f"{MODELS}/{task}/meta.json" in models
        # The model file by the bundle's format: libsvm's svm.model (1)
        # or liblinear's linear.model (2).
        fmt = json.loads(Path(f"{MODELS}/{task}/meta.json").read_text())[
            "format"]
        for f in ["vocab.tsv", {1: "svm.model", 2: "linear.model"}[fmt]]:
            assert f"{MODELS}/{task}/{f}" in models
    # /etc/newsclassd/newsclassd.conf is a conffile, pointing at the
    # packaged models; the unit runs the packaged daemon.
    r = run("dpkg-query", "-W", "-f=${Conffiles}", "newsclassd")
    assert CONF in r.stdout
    assert f"dir = {MODELS}\n" in Path(CONF).read_text()
    unit = Path(UNIT).read_text()
    assert f"ExecStart=/usr/sbin/newsclassd --config {CONF}\n" in unit
    assert "DynamicUser=yes" in unit


def test_unit_installed_but_not_enabled(installed):
    """The operator enables it (systemctl enable --now newsclassd)."""
    wants = list(Path("/etc/systemd/system").glob("*/newsclassd.service"))
    assert wants == []
    if shutil.which("systemd-analyze"):
        r = run("systemd-analyze", "verify", UNIT, check=False)
        assert r.returncode == 0, r.stderr


def test_installed_config_checks(installed):
    r = run("/usr/sbin/newsclassd", "--config", CONF, "-n")
    assert r.stdout.strip() == "configuration OK"


@pytest.fixture
def workdir():
    """A temp dir that the unprivileged daemon can write its sockets to."""
    d = Path(tempfile.mkdtemp(prefix="newsclassd-deb-"))
    shutil.chown(d, "nobody", "nogroup")
    yield d
    shutil.rmtree(d)


def test_classify_through_installed_daemon(installed, workdir):
    """The installed daemon, as nobody (as under DynamicUser: the config
    and models must be readable by anyone), on the installed config with
    its endpoints on ipc://; the installed newsclass sends the samples and
    tails the results, which match offline classification."""
    ep = {n: f"ipc://{workdir}/{n}" for n in ("in", "out", "ctl")}
    stderr = open(workdir / "stderr.txt", "wb")
    daemon = subprocess.Popen(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
         "/usr/sbin/newsclassd", "--config", CONF, "-i", "@" + ep["in"],
         "-o", "@" + ep["out"], "-C", "@" + ep["ctl"], "--output-type",
         "push", "--heartbeat", "0", "-t", "1"],
        stdout=subprocess.DEVNULL, stderr=stderr, cwd=workdir)
    try:
        deadline = time.monotonic() + WAIT
        while run("/usr/bin/newsclass", "ping", "--control", ep["ctl"],
                  "--timeout", "0.5", check=False).returncode != 0:
            assert daemon.poll() is None, (workdir / "stderr.txt").read_text()
            assert time.monotonic() < deadline, "newsclassd is not ready"
        n = sum(1 for line in SAMPLES.open() if line.strip())
        tail = subprocess.Popen(
            ["/usr/bin/newsclass", "tail", "--output", ep["out"], "--type",
             "pull", "--count", str(n), "--timeout", str(WAIT)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        run("/usr/bin/newsclass", "send", "--input", ep["in"], SAMPLES)
        out, err = tail.communicate(timeout=2 * WAIT)
        assert tail.returncode == 0, err
        got = {m["id"]: m for m in map(json.loads, out.splitlines())}
        assert len(got) == n
    finally:
        daemon.send_signal(signal.SIGTERM)
        rc = daemon.wait(WAIT)
        stderr.close()
    assert rc == 0, (workdir / "stderr.txt").read_text()

    r = run("/usr/bin/newsclass", "classify", "--models", MODELS, SAMPLES)
    want = {m["id"]: m for m in map(json.loads, r.stdout.splitlines())}
    assert got.keys() == want.keys()
    for ident, m in got.items():
        for task in ("topic", "sentiment"):
            assert m["tags"][task]["label"] == \
                want[ident]["tags"][task]["label"]
        assert m["models"] == want[ident]["models"]
    assert got["sample-02"]["tags"]["topic"]["label"] == "business"
    assert got["sample-02"]["tags"]["sentiment"]["label"] == "negative"
    assert got["sample-05"]["tags"]["topic"]["label"] == "sport"


def test_purge_leaves_nothing(installed):
    """apt-get purge removes every file of the packages, the conffile, the
    empty directories and systemd's state for the unit."""
    run("apt-get", "purge", "-y", *PACKAGES)
    for pkg in PACKAGES:
        assert package_state(pkg) in (None, "not-installed")
    left = []
    for pkg, paths in installed.items():
        for path in paths:
            if path == "/." or not os.path.lexists(path):
                continue
            # A directory that another package also holds stays, and so
            # do merged-/usr links (/lib -> usr/lib).
            if os.path.isdir(path) and (
                    os.path.islink(path) or
                    run("dpkg-query", "-S", path, check=False).returncode
                    == 0):
                continue
            left.append(path)
    assert left == []
    for pattern in ["/etc/systemd/system/*/newsclassd.service",
                    "/var/lib/systemd/deb-systemd-helper-*/**/newsclassd*"]:
        assert list(Path("/").glob(pattern.lstrip("/"))) == []
    assert not os.path.exists("/etc/newsclassd")
