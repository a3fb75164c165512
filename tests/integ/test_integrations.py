"""docs/INTEGRATIONS.md: every example is extracted and run against a real
daemon (conftest.py's daemon_factory, ipc:// endpoints passed through
NEWSCLASS_INPUT / NEWSCLASS_OUTPUT); and the man pages (make man, man -l,
make install layout)."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

import msgpack
import pytest
import zmq

from .conftest import BUILD, CLI, REPO, classify, envelope_of, make_articles

DOC = REPO / "docs" / "INTEGRATIONS.md"
PY = sys.executable
MAN_PAGES = ["newsclassd.8", "newsclassd.conf.5", "newsclass.1",
             "newsclass-train.1"]


def examples():
    """{name: code} of the blocks marked <!-- example: NAME -->."""
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```", text,
                       re.S)
    return dict(found)


def write_example(tmp_path, name):
    path = tmp_path / name
    path.write_text(examples()[name], encoding="utf-8")
    return path


def env_for(d, **extra):
    env = dict(os.environ)
    env["NEWSCLASS_INPUT"] = d.input
    env["NEWSCLASS_OUTPUT"] = d.output
    env["PATH"] = f"{BUILD}{os.pathsep}{env.get('PATH', '')}"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def articles_file(tmp_path, arts):
    p = tmp_path / "articles.jsonl"
    p.write_text("".join(json.dumps(a) + "\n" for a in arts),
                 encoding="utf-8")
    return p


def test_all_examples_present():
    assert set(examples()) == {"producer.py", "subscriber.py",
                               "pipeline.sh", "gaps.py"}


def test_producer_and_subscriber(tmp_path, daemon_factory, models):
    d = daemon_factory(output_type="pub")
    arts = make_articles(60, prefix="i")
    want = {a["id"]: r["tags"] for a, r in zip(arts, classify(models, arts))}
    prefix = "cooking."
    ids = sorted(i for i, t in want.items()
                 if envelope_of(t).startswith(prefix))
    assert ids
    sub = subprocess.Popen(
        [PY, str(write_example(tmp_path, "subscriber.py"))],
        env=env_for(d, NEWSCLASS_PREFIX=prefix, NEWSCLASS_COUNT=len(ids)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)     # the subscription reaches the daemon
        with open(articles_file(tmp_path, arts)) as f:
            r = subprocess.run(
                [PY, str(write_example(tmp_path, "producer.py"))], stdin=f,
                env=env_for(d), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == f"pushed {len(arts)} articles"
        out, err = sub.communicate(timeout=30)
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.communicate()
    assert sub.returncode == 0, err
    lines = [line.split() for line in out.splitlines()]
    assert sorted(f[1] for f in lines) == ids
    for env, ident, topic, p, sentiment in lines:
        t = want[ident]
        assert env == envelope_of(t)
        assert topic == t["topic"]["label"] == "cooking"
        assert abs(float(p) - t["topic"]["p"]) < 1e-3
        assert sentiment == t["sentiment"]["label"]


def test_shell_pipeline(tmp_path, daemon_factory, models):
    d = daemon_factory(output_type="pub")
    arts = make_articles(40, prefix="s")
    tags = [r["tags"] for r in classify(models, arts)]
    articles_file(tmp_path, arts)
    script = write_example(tmp_path, "pipeline.sh")
    r = subprocess.run(["sh", "-e", str(script)], cwd=tmp_path,
                       env=env_for(d), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    tagged = [json.loads(line) for line in
              (tmp_path / "tagged.jsonl").read_text().splitlines()]
    assert sorted(a["id"] for a in tagged) == sorted(a["id"] for a in arts)
    counts = {}
    for t in tags:
        counts[t["topic"]["label"]] = counts.get(t["topic"]["label"], 0) + 1
    neg = sum(t["sentiment"]["label"] == "negative" for t in tags)
    want = [f"{k} {n}" for k, n in sorted(counts.items())]
    assert r.stdout.splitlines() == want + [f"negative: {neg}"]


def test_gap_reader_on_daemon(tmp_path, daemon_factory):
    d = daemon_factory(output_type="pub", heartbeat=0.2)
    reader = subprocess.Popen(
        [PY, str(write_example(tmp_path, "gaps.py"))],
        env=env_for(d, NEWSCLASS_IDLE=2), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    arts = make_articles(50, prefix="g")
    with open(articles_file(tmp_path, arts)) as f:
        subprocess.run([str(CLI), "send", "--input", d.input], stdin=f,
                       check=True, timeout=60)
    time.sleep(1.0)
    d.stop()                # heartbeats end, the reader goes idle
    out, err = reader.communicate(timeout=30)
    assert reader.returncode == 0, err
    m = re.fullmatch(r"received (\d+), lost 0", out.strip())
    assert m, out
    assert int(m.group(1)) >= len(arts)


def test_gap_reader_reports_gaps(tmp_path, zctx):
    """A stand-in publisher that skips seq 3..4 and 8."""
    ep = f"ipc://{tmp_path}/pub"
    pub = zctx.socket(zmq.PUB)
    pub.bind(ep)
    env = dict(os.environ, NEWSCLASS_OUTPUT=ep, NEWSCLASS_IDLE="1")
    reader = subprocess.Popen(
        [PY, str(write_example(tmp_path, "gaps.py"))], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.8)
    for seq in [0, 1, 2, 5, 6, 7, 9]:
        pub.send_multipart([b"x.y", msgpack.packb({"id": seq, "seq": seq})])
    out, err = reader.communicate(timeout=30)
    pub.close(0)
    assert reader.returncode == 0, err
    assert out.splitlines() == ["gap: 2 lost after seq 2",
                                "gap: 1 lost after seq 7",
                                "received 7, lost 3"]


# ---- man pages ----

@pytest.fixture(scope="module")
def man_built():
    if shutil.which("scdoc") is None:
        pytest.skip("scdoc is not installed (scripts/install-deps)")
    r = subprocess.run(["make", "-s", "man",
                        "BUILD=" + os.path.relpath(BUILD, REPO)],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return BUILD / "man"


@pytest.mark.parametrize("page", MAN_PAGES)
def test_man_page_renders(man_built, page):
    path = man_built / page
    assert path.exists() and path.stat().st_size > 0, path
    if shutil.which("man") is None:
        pytest.skip("man is not installed")
    r = subprocess.run(["man", "-l", str(path)], capture_output=True,
                       text=True, timeout=60,
                       env=dict(os.environ, MANPAGER="cat", PAGER="cat",
                                MANWIDTH="80"))
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr
    name = page.rsplit(".", 1)[0]
    assert "NAME" in r.stdout and name in r.stdout
    for section in ["SYNOPSIS", "SEE ALSO"]:
        assert section in r.stdout, (page, section)


def test_man_documents_every_option(man_built):
    """Every long option in the --help texts appears in the man pages."""
    text = "".join((REPO / "man" / (p + ".scd"))
                   .read_text() for p in MAN_PAGES)
    for prog in ["newsclassd", "newsclass", "newsclass-train"]:
        r = subprocess.run([str(BUILD / prog), "--help"],
                           capture_output=True, text=True, timeout=30)
        for opt in set(re.findall(r"--[a-z][a-z-]+", r.stdout)):
            assert f"*{opt}*" in text, (prog, opt)


def test_install_puts_man_pages(man_built, tmp_path):
    r = subprocess.run(["make", "-s", "install",
                        "BUILD=" + os.path.relpath(BUILD, REPO),
                        "DESTDIR=" + str(tmp_path), "PREFIX=/usr/local"],
                       cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for page in MAN_PAGES:
        section = page.rsplit(".", 1)[1]
        assert (tmp_path / f"usr/local/share/man/man{section}" / page
                ).exists(), page
