"""Bad input: every malformed message gives exactly one "_error" with the
right code (and the id when it can be read), and the daemon goes on."""

import struct

from .conftest import (assert_same_tags, classify, envelope_of, pack,
                       roundtrip)


def mstr(b):
    """A msgpack str holding these raw bytes (valid UTF-8 or not)."""
    n = len(b)
    if n < 32:
        return bytes([0xa0 | n]) + b
    if n < 256:
        return b"\xd9" + bytes([n]) + b
    return b"\xda" + struct.pack(">H", n) + b


def mmap(*pairs):
    """A msgpack map from already-encoded key and value items."""
    assert len(pairs) < 16
    return bytes([0x80 | len(pairs)]) + b"".join(k + v for k, v in pairs)


def field(name, value_bytes):
    return (mstr(name.encode()), value_bytes)


ID = field("id", mstr(b"x1"))
TITLE = field("title", mstr(b"Comet"))
TEXT = field("text", mstr(b"A telescope saw it."))
GOOD = pack({"id": "x1", "title": "Comet", "text": "A telescope saw it."})


def nested(depth):
    """{"id": "x1", "title": "t", "n": [[[...]]]} nested depth maps+arrays
    deep in total, the top map included."""
    inner = b"\x90"  # []
    for _ in range(depth - 2):
        inner = b"\x91" + inner
    return mmap(ID, TITLE, field("n", inner))


def many_keys(n):
    """A map32 with n entries: id, title and n - 2 filler keys."""
    body = mstr(b"id") + mstr(b"x1") + mstr(b"title") + mstr(b"t")
    body += b"".join(mstr(b"k%d" % i) + b"\x01" for i in range(n - 2))
    return b"\xdf" + struct.pack(">I", n) + body


# (name, frames, expected code, expected id or None, detail substring)
CASES = [
    ("random bytes", b"\xc1\x07\x99garbage", "not_msgpack", None, "0xc1"),
    ("truncated", GOOD[:-5], "not_msgpack", None, "truncated"),
    ("empty frame", b"", "not_msgpack", None, "empty"),
    ("array", pack([1, 2, 3]), "not_a_map", None, "array"),
    ("int", pack(42), "not_a_map", None, "integer"),
    ("no id", pack({"title": "t", "text": "x"}), "missing_id", None,
     "missing"),
    ("nil id", pack({"id": None, "text": "x"}), "missing_id", None, "nil"),
    ("empty id", pack({"id": "", "text": "x"}), "missing_id", None, "empty"),
    ("no title or text", pack({"id": "x1", "other": 1}), "missing_text",
     "x1", "title"),
    ("empty title and text", pack({"id": "x1", "title": "", "text": ""}),
     "missing_text", "x1", "title"),
    ("float id", pack({"id": 1.5, "text": "x"}), "bad_type", None,
     "field 'id' must be a string or an integer, got float"),
    ("bool id", pack({"id": True, "text": "x"}), "bad_type", None,
     "field 'id' must be a string or an integer, got boolean"),
    ("map id", pack({"id": {"a": 1}, "text": "x"}), "bad_type", None,
     "field 'id' must be a string or an integer, got map"),
    ("int title", pack({"id": "x1", "title": 7, "text": "x"}), "bad_type",
     "x1", "field 'title' must be a string, got integer"),
    ("bin text", pack({"id": "x1", "title": "t", "text": b"x"}), "bad_type",
     "x1", "field 'text' must be a string, got binary"),
    ("0xff in title", mmap(ID, field("title", mstr(b"a\xffb")), TEXT),
     "invalid_utf8", "x1", "field 'title' is not valid UTF-8 at byte 1"),
    ("overlong in text", mmap(ID, TITLE, field("text", mstr(b"ab\xc0\xaf"))),
     "invalid_utf8", "x1", "field 'text' is not valid UTF-8 at byte 2"),
    ("surrogate in title",
     mmap(ID, field("title", mstr(b"\xed\xa0\x80")), TEXT),
     "invalid_utf8", "x1", "field 'title' is not valid UTF-8 at byte 0"),
    ("0xff in id", mmap(field("id", mstr(b"\xff")), TEXT), "invalid_utf8",
     None, "field 'id'"),
    ("multipart", [GOOD, GOOD], "multipart", "x1", "2 frames"),
    ("trailing bytes", GOOD + b"\xc0", "trailing_bytes", None, "1 bytes"),
    ("duplicate id", mmap(ID, ID, TEXT), "duplicate_key", None, "'id'"),
    ("duplicate text", mmap(ID, TEXT, TEXT), "duplicate_key", "x1",
     "'text'"),
    ("40 deep", nested(40), "too_deep", None, "deeper than 32"),
    ("33 deep", nested(33), "too_deep", None, "deeper than 32"),
    ("100,000 keys", many_keys(100000), "too_many_keys", None,
     "100000 entries, limit is 10000"),
]


def check_error(env, body, code, ident, detail):
    assert env == "_error"
    keys = (["id"] if ident is not None else []) + ["seq", "error", "detail"]
    assert list(body) == keys, body
    assert body["error"] == code, body
    assert detail in body["detail"], body
    if ident is not None:
        assert body["id"] == ident


def check_good(env, body, want):
    assert "error" not in body, body
    assert_same_tags(body["tags"], want["tags"])
    assert env == envelope_of(body["tags"])


def test_each_bad_input_gives_one_error(daemon, models):
    push, pull = daemon.push_socket(), daemon.pull_socket()
    want = classify(models, [{"id": "x1", "title": "Comet",
                              "text": "A telescope saw it."}])[0]
    counts = {}
    for i, (name, frames, code, ident, detail) in enumerate(CASES):
        env, body = roundtrip(push, pull, frames)
        assert body["seq"] == 2 * i, name
        check_error(env, body, code, ident, detail)
        counts[code] = counts.get(code, 0) + 1
        # The next good article is still scored correctly.
        env, body = roundtrip(push, pull, GOOD)
        check_good(env, body, want)
    assert not pull.poll(50), "more than one output for a message"
    st = daemon.stats()
    assert st["errors_by_code"] == counts
    assert st["received"] == 2 * len(CASES)
    assert st["published"] == len(CASES)
    assert st["errors"] == len(CASES)


def test_limits_too_large_and_text_too_long(daemon_factory):
    d = daemon_factory(extra=["--set", "limits.max_message_bytes=1000",
                              "--set", "limits.max_text_bytes=100"])
    push, pull = d.push_socket(), d.pull_socket()
    big = pack({"id": "big", "title": "t", "text": "x" * 2000})
    env, body = roundtrip(push, pull, big)
    check_error(env, body, "too_large", None,
                f"message is {len(big)} bytes, limit is 1000")
    env, body = roundtrip(push, pull, pack({"id": "long", "title": "t",
                                            "text": "y" * 200}))
    check_error(env, body, "text_too_long", "long",
                "title and text are 201 bytes, limit is 100")
    env, body = roundtrip(push, pull, GOOD)
    assert "tags" in body
    assert d.stats()["errors_by_code"] == {"too_large": 1,
                                           "text_too_long": 1}


def test_odd_but_legal_text_is_scored(daemon, models):
    arts = [
        {"id": "marks", "title": "\u0301\u0302\u0303\u0308",
         "text": "The yacht crew\u0000 sailed \u200b\u200d past the"
                 " \u202eharbour\u202c anchor."},
        {"id": "nul", "title": "Co\u0000met\u200b \u2067over\u2069",
         "text": "A telescope saw the comet."},
        {"id": "ctrl", "title": "\u0000", "text": "\u0000\u0001\u001f"},
    ]
    want = classify(models, arts)
    push, pull = daemon.push_socket(), daemon.pull_socket()
    for a, w in zip(arts, want):
        env, body = roundtrip(push, pull, pack(a))
        assert body["id"] == a["id"]
        assert body["title"] == a["title"] and body["text"] == a["text"]
        check_good(env, body, w)


def test_nesting_at_the_limit_is_scored(daemon):
    push, pull = daemon.push_socket(), daemon.pull_socket()
    env, body = roundtrip(push, pull, nested(32))
    assert "tags" in body, body
    inner, depth = body["n"], 2
    while inner:
        inner, depth = inner[0], depth + 1
    assert depth == 32
