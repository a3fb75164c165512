"""The model report page (training/report.c) rendered by a real browser.

The page is written from fixture JSON (a fake meta.json and evaluation,
made here) by build/tests/report_driver, a small program around
report_write, then loaded in Debian's headless Chromium: once for a
screenshot, whose pixels must not be blank and must contain the heat map's
colours, and once with --dump-dom, whose sections and headings must all be
there.  Skips when /usr/bin/chromium is absent.

test_report_command runs `newsclass-train report --model DIR --data FILE
--out FILE` on a bundle trained from the synthetic corpus; it skips while
newsclass-train does not know the command, and runs by itself once the
command is wired to report_write.
"""

import html
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from .conftest import BUILD, TRAIN, run

DRIVER = BUILD / "tests" / "report_driver"
CHROMIUM = Path("/usr/bin/chromium")
SECTIONS = {
    "summary": "Model summary",
    "confusion": "Confusion matrix",
    "per-class": "Per-class figures",
    "reliability": "Reliability diagram",
    "length": "Accuracy by text length",
    "grid": "Cross-validation grid",
    "label-counts": "Training label counts",
}
HOSTILE = "<b>x</b> & \"q\" 'a'"
# The heat map's darkest blue (ColorBrewer Blues 9), reached by a diagonal
# cell whose row is all correct.
HEAT_DARK = (0x08, 0x30, 0x6B)


def fixture_labels(k):
    base = ["business", "entertainment", "politics", "sport", "tech",
            "science", "health", "travel"]
    if k <= len(base):
        return base[:k]
    return [f"category {i:02d}" for i in range(k)]


def fake_meta(labels, new_keys=True, grid=True):
    k = len(labels)
    counts = {l: 40 + 13 * i for i, l in enumerate(labels)}
    rows = []
    if grid:
        for ngram in (1, 2):
            for tw in (1, 3):
                for c in (0.1, 0.3, 1, 2, 4, 8, 16):
                    f1 = 0.9 + 0.02 * ngram - 0.004 * abs(c - 2) / 2 \
                        + 0.005 * (tw == 3)
                    rows.append({"C": c, "balanced": False,
                                 "ngram_max": ngram, "title_weight": tw,
                                 "cv_accuracy": round(f1 + 0.003, 6),
                                 "cv_macro_f1": round(f1, 6)})
    conf = [[(30 + 5 * i if i == j else 0 if i == 0 else (i + j) % 3)
             for j in range(k)] for i in range(k)]
    meta = {
        "format": 1, "task": "topic", "version": "b2-0123456789abcdef",
        "labels": labels,
        "features": {"ngram_max": 2, "title_weight": 3, "negation": False,
                     "stem": False, "sublinear_tf": True, "min_df": 2},
        "n_features": 71623,
        "training": {
            "data": [{"file": "train.jsonl", "blake2b_128": "00" * 16,
                      "bytes": 3826263}],
            "n_train": sum(counts.values()),
            "params": {"C": 2.0, "balanced": False, "ngram_max": 2},
            "folds": 5, "seed": 1,
            "cv": {"accuracy": 0.9836, "macro_f1": 0.9829},
            "grid": rows,
        },
        "test": {"file": "test.jsonl",
                 "figures": figures(labels, conf, extras=False),
                 "short_form": {"accuracy": 0.88, "macro_f1": 0.87}},
    }
    if new_keys:
        meta["training"].update({
            "label_counts": counts, "solver": "liblinear", "scheme": "ovr",
            "calibration": {"method": "sigmoid", "ece": 0.021}})
    return meta


def figures(labels, conf, extras=True):
    k = len(labels)
    n = sum(map(sum, conf))
    correct = sum(conf[i][i] for i in range(k))
    per = {}
    f1s = []
    for i, l in enumerate(labels):
        sup = sum(conf[i])
        pred = sum(conf[r][i] for r in range(k))
        p = conf[i][i] / pred if pred else 0.0
        r = conf[i][i] / sup if sup else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        f1s.append(f)
        per[l] = {"precision": round(p, 6), "recall": round(r, 6),
                  "f1": round(f, 6), "support": sup}
    out = {"n": n, "accuracy": round(correct / n, 6),
           "macro_f1": round(sum(f1s) / k, 6), "labels": labels,
           "per_class": per, "confusion": conf}
    if extras:
        out["ece"] = 0.0312
        out["reliability"] = [
            {"lo": b / 10, "hi": (b + 1) / 10, "n": 0 if b < 2 else 5 * b,
             "mean_p": round(b / 10 + 0.05, 3) if b >= 2 else None,
             "accuracy": round(min(1.0, b / 10 + 0.02), 3)
             if b >= 2 else None} for b in range(10)]
        out["by_length"] = [
            {"lo": 0, "hi": 49, "n": 40, "accuracy": 0.9},
            {"lo": 50, "hi": 199, "n": 120, "accuracy": 0.95},
            {"lo": 200, "hi": 499, "n": 180, "accuracy": 0.975},
            {"lo": 500, "hi": None, "n": 70, "accuracy": 0.99}]
    return out


def fake_eval(labels):
    k = len(labels)
    # Row 0 all correct: its diagonal cell takes the scale's darkest blue.
    conf = [[(50 if i == j else 0 if i == 0 else (2 * i + j) % 4)
             for j in range(k)] for i in range(k)]
    return figures(labels, conf)


def write_report(tmp, meta, ev=None, title=None):
    """The page for meta (and evaluation ev) by the driver; its path."""
    assert DRIVER.exists(), f"{DRIVER} is not built (make {DRIVER})"
    out = tmp / "report.html"
    mp = tmp / "meta.json"
    mp.write_text(json.dumps(meta))
    argv = [DRIVER, mp, "-", out]
    if ev is not None:
        ep = tmp / "eval.json"
        ep.write_text(json.dumps(ev))
        argv[2] = ep
    if title is not None:
        argv.append(title)
    r = run(argv)
    assert r.returncode == 0, r.stderr
    return out


def chromium(tmp, *args):
    """Run headless Chromium with a throwaway profile; returns stdout."""
    argv = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--user-data-dir={tmp / 'profile'}", *args]
    r = subprocess.run(argv, capture_output=True, timeout=180)
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")[-2000:]
    return r.stdout.decode("utf-8", "replace")


def png_pixels(path):
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium
    writes): (width, height, rows of bytes, bytes per pixel)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    assert len(raw) == h * (stride + 1), "truncated image data"
    # "Up" rows, the most common, add bytewise without carries in one
    # big-integer operation; the other filters go byte by byte.
    low7 = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    rows, prev = [], bytes(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if f == 2:
            x, p = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = (((x & low7) + (p & low7)) ^ ((x ^ p) & high)).to_bytes(
                stride, "big")
        elif f != 0:
            line = bytearray(line)
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                if f == 1:
                    line[i] = (line[i] + a) & 0xFF
                elif f == 3:
                    line[i] = (line[i] + (a + b) // 2) & 0xFF
                else:
                    c = prev[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pr = a if pa <= pb and pa <= pc else \
                        b if pb <= pc else c
                    line[i] = (line[i] + pr) & 0xFF
            line = bytes(line)
        rows.append(line)
        prev = line
    return w, h, rows, bpp


def colours(rows, bpp, step=2):
    """Count of each RGB colour over every step-th pixel and row."""
    seen = {}
    for line in rows[::step]:
        for i in range(0, len(line), bpp * step):
            px = tuple(line[i:i + 3])
            seen[px] = seen.get(px, 0) + 1
    return seen


def near(c, want, tol=6):
    return all(abs(a - b) <= tol for a, b in zip(c, want))


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent (Debian package chromium, "
    "scripts/install-deps)")


@needs_chromium
@pytest.mark.parametrize("k", [5, 40])
def test_screenshot_is_not_blank(tmp_path, k):
    labels = fixture_labels(k)
    page = write_report(tmp_path, fake_meta(labels), fake_eval(labels))
    png = tmp_path / "shot.png"
    chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,3000",
             page.as_uri())
    assert png.stat().st_size > 20000, "suspiciously small screenshot"
    w, h, rows, bpp = png_pixels(png)
    assert (w, h) == (1200, 3000)
    seen = colours(rows, bpp)
    total = sum(seen.values())
    # Many colours (text antialiasing, the scale, the charts), and no single
    # colour (the background) covering nearly everything.
    assert len(seen) > 200, f"only {len(seen)} colours"
    assert max(seen.values()) < 0.9 * total
    # The heat map: its darkest blue and a light blue of the scale.
    assert sum(n for c, n in seen.items() if near(c, HEAT_DARK)) > 50, \
        "the heat map's dark blue is missing"
    assert sum(n for c, n in seen.items()
               if near(c, (0xde, 0xeb, 0xf7), 3)) > 20, \
        "the heat map's light blues are missing"
    # Something is drawn in every third of the page's top 2400 pixels, not
    # just a header above blank space.
    for y0 in (0, 800, 1600):
        band = colours(rows[y0:y0 + 800], bpp, 4)
        assert len(band) > 20, f"rows {y0}..{y0 + 800} look blank"


@needs_chromium
def test_dom_has_every_section(tmp_path):
    labels = fixture_labels(5)
    page = write_report(tmp_path, fake_meta(labels), fake_eval(labels),
                        title="Topic model <report>")
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    for sid, heading in SECTIONS.items():
        m = re.search(rf'<section id="{sid}">\s*<h2>([^<]*)</h2>', dom)
        assert m, f"section {sid} is missing from the DOM"
        assert m.group(1) == heading
    assert "<script" not in dom
    assert "<h1>Topic model &lt;report&gt;</h1>" in dom
    assert dom.count("<svg") == 5, "expected five charts"


@needs_chromium
def test_hostile_label_stays_text(tmp_path):
    labels = ["plain", HOSTILE]
    page = write_report(tmp_path, fake_meta(labels), fake_eval(labels))
    src = page.read_text(encoding="utf-8")
    assert "<b>x</b>" not in src
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    # The browser parsed no <b> element out of the label: it is text,
    # shown in the per-class table's first column.
    rows = re.findall(r'<td class="l">([^<]*)</td>', dom)
    assert html.unescape(rows[1]) == HOSTILE
    assert "<b>x</b>" not in dom


@needs_chromium
def test_meta_only_old_bundle(tmp_path):
    labels = fixture_labels(3)
    page = write_report(tmp_path, fake_meta(labels, new_keys=False,
                                            grid=False))
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in dom
    assert "not recorded" in dom
    assert "not available" in dom
    assert "trained with fixed settings" in dom


def test_driver_rejects_malformed_meta(tmp_path):
    assert DRIVER.exists(), f"{DRIVER} is not built (make {DRIVER})"
    mp = tmp_path / "meta.json"
    mp.write_text('{"task": "topic", "version": "v", "labels": "nope"}')
    r = run([DRIVER, mp, "-", tmp_path / "out.html"])
    assert r.returncode == 1
    assert "labels" in r.stderr
    assert (tmp_path / "out.html").read_text() == ""


def report_command_known():
    """False while newsclass-train has no "report" command."""
    r = run([TRAIN, "report"])
    return "unknown command 'report'" not in r.stderr


@needs_chromium
def test_report_command(tmp_path, request):
    if not report_command_known():
        pytest.skip("newsclass-train has no 'report' command yet "
                    "(report_write is tested through report_driver)")
    models, data = request.getfixturevalue("models"), \
        request.getfixturevalue("data")
    out = tmp_path / "report.html"
    r = run([TRAIN, "report", "--model", models / "topic", "--data",
             data["topic"][1], "--out", out])
    assert r.returncode == 0, r.stderr
    dom = chromium(tmp_path, "--dump-dom", out.as_uri())
    for sid, heading in SECTIONS.items():
        assert f'<section id="{sid}">' in dom
        assert f"<h2>{heading}</h2>" in dom
    assert "On the evaluation data given" in dom
    png = tmp_path / "shot.png"
    chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,3000",
             out.as_uri())
    w, h, rows, bpp = png_pixels(png)
    seen = colours(rows, bpp)
    assert len(seen) > 200, f"only {len(seen)} colours"
