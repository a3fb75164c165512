/*
 * fuzz_msg.c - libFuzzer target for the wire codec.
 *
 * The input goes to msg_decode with the default limits and with tiny ones;
 * a decoded message is encoded as a result (with the fake classifier of
 * tests/unit/fake_classifier.h), a failure as an error map.  Both outputs
 * must convert to JSON, and a result with its text must decode again to
 * the same article.  The input also goes to msg_to_json, msg_from_json and
 * the control-request readers; JSON that msg_to_json wrote must come back
 * unchanged through msg_from_json and msg_to_json.  A crash, a sanitizer
 * report or a failed check (abort) is a finding.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Ilib tests/fuzz/fuzz_msg.c \
 *       lib/buf.c lib/err.c lib/text.c lib/xalloc.c \
 *       -lmsgpackc -ljansson -lutf8proc -lm
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../unit/fake_classifier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what, const char *detail)
{
	if (!ok) {
		fprintf(stderr, "fuzz_msg: %s: %s\n", what, detail);
		abort();
	}
}

/* JSON written by msg_to_json survives a trip through msgpack. */
static void
check_json_stable(const struct buf *json)
{
	struct msg_error e;
	struct buf mp, back;
	struct err err;

	buf_init(&mp);
	buf_init(&back);
	/* fails for keys with NUL, integers above INT64_MAX, ... */
	if (msg_from_json(json->data, json->len, &mp, &e) == 0) {
		check(msg_to_json(mp.data, mp.len, &back, &err) == 0,
		    "msg_to_json of msg_from_json output", err.msg);
		check(back.len == json->len &&
		    memcmp(back.data, json->data, json->len) == 0,
		    "json changed on a round trip", json->data);
	}
	buf_release(&mp);
	buf_release(&back);
}

/* seq and t_us are where the encoder says, as 0xcf and 8 bytes. */
static void
check_patchable(const struct buf *out, size_t at, int want, uint64_t v)
{
	const unsigned char *p = (const unsigned char *)out->data;

	if (!want) {
		check(at == MSG_NO_OFFSET, "offset for an absent key", "");
		return;
	}
	check(at != MSG_NO_OFFSET && at >= 1 && at + 8 <= out->len &&
	    p[at - 1] == 0xcf && be_read(p + at, 8) == v,
	    "patchable offset", "");
}

static void
one_decode(struct msg_decoder *d, const uint8_t *data, size_t size,
    const struct msg_limits *lim, struct msg_out_opts *o)
{
	struct msg_article art, again;
	struct msg_limits big;
	struct msg_error e;
	struct buf out, json;
	struct err err;
	int ok;

	buf_init(&out);
	buf_init(&json);
	ok = msg_decode(d, data, size, lim, &art, &e) == 0;
	if (ok) {
		msg_encode_result(d, &fake_classifier_two, fake_results, 0, o,
		    &out);
		check(msg_to_json(out.data, out.len, &json, &err) == 0,
		    "msg_to_json of a result", err.msg);
		if (o->include_text) {
			/* a result is a message too, with the same article */
			struct buf t, x;

			buf_init(&t);
			buf_init(&x);
			buf_add(&t, art.title, art.tlen);
			buf_add(&x, art.text, art.xlen);
			msg_limits_default(&big);
			big.max_bytes = SIZE_MAX;
			big.max_items = SIZE_MAX;
			check(msg_decode(d, out.data, out.len, &big, &again,
			    &e) == 0, "decode of a result", e.detail);
			check(again.tlen == t.len && again.xlen == x.len &&
			    memcmp(again.title, t.data, t.len) == 0 &&
			    memcmp(again.text, x.data, x.len) == 0,
			    "article changed", "");
			buf_release(&t);
			buf_release(&x);
		}
	} else {
		check(e.code > MSG_OK && e.code < MSG_NCODES &&
		    e.code != MSG_INTERNAL && e.code != MSG_MULTIPART &&
		    e.code != MSG_NOT_JSON, msg_code_name(e.code), e.detail);
		msg_encode_error(d, &e, o, &out);
		check(msg_to_json(out.data, out.len, &json, &err) == 0,
		    "msg_to_json of an error", err.msg);
	}
	check_patchable(&out, o->seq_at, o->with_seq, o->seq);
	check_patchable(&out, o->t_us_at, o->with_seq && ok,
	    o->t_us);
	buf_release(&out);
	buf_release(&json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct msg_limits tiny = { 256, 16, 3, 4 };
	struct msg_decoder *d = msg_decoder_new();
	struct msg_out_opts o = { 0 };
	struct msg_limits lim;
	struct msg_error e;
	struct buf json, mp;
	struct err err;
	uint64_t u;
	char s[32];

	o.include_text = size > 0 && (data[size - 1] & 1);
	o.with_seq = size > 0 && (data[size - 1] & 2);
	o.seq = size;
	o.t_us = UINT64_MAX;
	msg_limits_default(&lim);
	one_decode(d, data, size, &lim, &o);
	one_decode(d, data, size, &tiny, &o);
	msg_decoder_destroy(&d);

	buf_init(&json);
	buf_init(&mp);
	if (msg_to_json(data, size, &json, &err) == 0) {
		/* a few bytes of JSON per byte, never more */
		check(json.len <= 16 * size + 16, "json too long", "");
		check_json_stable(&json);
	}
	if (msg_from_json((const char *)data, size, &mp, &e) == 0) {
		buf_reset(&json);
		/* jansson takes 2048 levels, msgpack-c 32 */
		if (msg_to_json(mp.data, mp.len, &json, &err) == -1)
			check(strncmp(err.msg, "too deep", 8) == 0,
			    "msg_to_json of msg_from_json output", err.msg);
	}
	msg_get_str(data, size, "cmd", s, sizeof(s));
	msg_get_uint(data, size, "n", &u);
	buf_release(&json);
	buf_release(&mp);
	return 0;
}
