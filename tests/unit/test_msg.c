/*
 * test_msg.c - the wire codec against crafted messages, a golden encoding,
 * JSON tables and a seeded random run.
 *
 * msg.c is compiled in through fake_classifier.h, against a two-task fake
 * classifier, so no trained model is needed; its statics (the zone size)
 * are visible here.  The random test prints its seed; set NC_TEST_SEED to
 * replay another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_classifier.h"

/* ---- helpers ---------------------------------------------------------- */

static void
pk_init(msgpack_packer *pk, struct buf *b)
{
	msgpack_packer_init(pk, b, buf_write);
}

/* Unpack exactly one object from b; the zone is the caller's to destroy. */
static void
unpack(const struct buf *b, msgpack_zone *z, msgpack_object *o)
{
	size_t off = 0;

	assert_true(msgpack_zone_init(z, 8192));
	assert_int_equal(msgpack_unpack(b->data, b->len, &off, z, o),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, b->len);
}

static const msgpack_object *
map_get(const msgpack_object *m, const char *key)
{
	uint32_t i;

	assert_int_equal(m->type, MSGPACK_OBJECT_MAP);
	for (i = 0; i < m->via.map.size; i++)
		if (key_is(&m->via.map.ptr[i].key, key))
			return &m->via.map.ptr[i].val;
	return NULL;
}

static void
assert_str_obj(const msgpack_object *o, const char *s)
{
	assert_non_null(o);
	assert_int_equal(o->type, MSGPACK_OBJECT_STR);
	assert_int_equal(o->via.str.size, strlen(s));
	assert_memory_equal(o->via.str.ptr, s, strlen(s));
}

static void
assert_key_at(const msgpack_object *m, uint32_t i, const char *key)
{
	assert_true(i < m->via.map.size);
	assert_str_obj(&m->via.map.ptr[i].key, key);
}

/* A map {"id": id, "title": title, "text": text} (NULL: left out). */
static void
make_article(struct buf *b, const char *id, const char *title,
    const char *text)
{
	msgpack_packer pk;

	pk_init(&pk, b);
	msgpack_pack_map(&pk, (id != NULL) + (title != NULL) + (text != NULL));
	if (id) {
		pack_cstr(&pk, "id");
		pack_cstr(&pk, id);
	}
	if (title) {
		pack_cstr(&pk, "title");
		pack_cstr(&pk, title);
	}
	if (text) {
		pack_cstr(&pk, "text");
		pack_cstr(&pk, text);
	}
}

/* Decode data and expect the code, and detail to contain want. */
static void
expect_code(const void *data, size_t len, const struct msg_limits *lim,
    enum msg_code code, const char *want)
{
	struct msg_decoder *d = msg_decoder_new();
	struct msg_article art;
	struct msg_error e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = msg_decode(d, data, len, lim, &art, &e);
	if (code == MSG_OK) {
		if (rc != 0)
			fail_msg("expected ok, got %s: %s",
			    msg_code_name(e.code), e.detail);
	} else {
		assert_int_equal(rc, -1);
		if (e.code != code)
			fail_msg("expected %s, got %s: %s",
			    msg_code_name(code), msg_code_name(e.code),
			    e.detail);
		if (want && strstr(e.detail, want) == NULL)
			fail_msg("detail '%s' lacks '%s'", e.detail, want);
	}
	msg_decoder_destroy(&d);
	assert_null(d);
}

static void
expect_buf(const struct buf *b, enum msg_code code, const char *want)
{
	struct msg_limits lim;

	msg_limits_default(&lim);
	expect_code(b->data, b->len, &lim, code, want);
}

/* A map {"id": "a", "text": "t", "x": <depth levels of arrays>}. */
static void
make_deep(struct buf *b, int levels, int empty_inside)
{
	msgpack_packer pk;
	int i;

	pk_init(&pk, b);
	msgpack_pack_map(&pk, 3);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	pack_cstr(&pk, "x");
	for (i = 0; i < levels; i++)
		msgpack_pack_array(&pk,
		    i == levels - 1 && empty_inside ? 0 : 1);
	if (!empty_inside)
		msgpack_pack_int(&pk, 1);
}

/* ---- names and limits ------------------------------------------------- */

static void
test_code_names(void **state)
{
	static const char *const want[MSG_NCODES] = {
		"ok", "not_json", "not_msgpack", "not_a_map", "missing_id",
		"missing_text", "bad_type", "invalid_utf8", "too_large",
		"text_too_long", "too_deep", "too_many_keys", "duplicate_key",
		"multipart", "trailing_bytes", "bad_explain", "internal",
	};
	int i;

	(void)state;
	for (i = 0; i < MSG_NCODES; i++)
		assert_string_equal(msg_code_name((enum msg_code)i), want[i]);
	assert_string_equal(msg_code_name(MSG_NCODES), "internal");
}

static void
test_limits_default(void **state)
{
	struct msg_limits l;

	(void)state;
	msg_limits_default(&l);
	assert_int_equal(l.max_bytes, 16 * 1024 * 1024);
	assert_int_equal(l.max_text, 4 * 1024 * 1024);
	assert_int_equal(l.max_depth, 32);
	assert_int_equal(l.max_items, 10000);
}

/* ---- decoding --------------------------------------------------------- */

static void
test_decode_ok(void **state)
{
	struct msg_decoder *d = msg_decoder_new();
	struct msg_limits lim;
	struct msg_article art;
	struct msg_error e;
	msgpack_packer pk;
	struct buf b;

	(void)state;
	msg_limits_default(&lim);
	buf_init(&b);
	make_article(&b, "a1", "Hello", "World \xc3\xa9");
	assert_int_equal(msg_decode(d, b.data, b.len, &lim, &art, &e), 0);
	/* the article lives in the decoder, not in the caller's bytes */
	memset(b.data, 'X', b.len);
	assert_int_equal(art.tlen, 5);
	assert_memory_equal(art.title, "Hello", 5);
	assert_int_equal(art.xlen, 8);
	assert_memory_equal(art.text, "World \xc3\xa9", 8);

	/* integer ids, nil title, text only */
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	pack_cstr(&pk, "title");
	msgpack_pack_nil(&pk);
	pack_cstr(&pk, "id");
	msgpack_pack_int64(&pk, -7);
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "body");
	assert_int_equal(msg_decode(d, b.data, b.len, &lim, &art, &e), 0);
	assert_string_equal(art.title, "");
	assert_int_equal(art.tlen, 0);
	assert_int_equal(art.xlen, 4);

	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	pack_cstr(&pk, "id");
	msgpack_pack_uint64(&pk, UINT64_MAX);
	pack_cstr(&pk, "title");
	pack_cstr(&pk, "only a title");
	assert_int_equal(msg_decode(d, b.data, b.len, &lim, &art, &e), 0);
	assert_int_equal(art.tlen, 12);
	assert_int_equal(art.xlen, 0);
	assert_non_null(art.text);

	/* keys that are not strings are just passed through */
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	msgpack_pack_bin(&pk, 2);
	msgpack_pack_bin_body(&pk, "id", 2);
	msgpack_pack_int(&pk, 1);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "x");
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	assert_int_equal(msg_decode(d, b.data, b.len, &lim, &art, &e), 0);

	buf_release(&b);
	msg_decoder_destroy(&d);
}

static void
test_decode_framing(void **state)
{
	/* map32 of 4 billion entries in five bytes: never allocated */
	static const unsigned char huge_map[] = { 0xdf, 0xff, 0xff, 0xff,
		0xff };
	static const unsigned char huge_arr[] = { 0x81, 0xa1, 'x', 0xdd,
		0x7f, 0xff, 0xff, 0xff, 0xc0 };
	static const unsigned char str_cut[] = { 0x81, 0xa2, 'i', 'd', 0xd9,
		200, 'a', 'b' };
	static const unsigned char bad_byte[] = { 0x81, 0xa2, 'i', 'd',
		0xc1 };
	static const unsigned char ext_cut[] = { 0xc9, 0, 0, 0, 9, 1, 2 };
	struct msg_limits lim;
	struct buf b;

	(void)state;
	msg_limits_default(&lim);
	buf_init(&b);

	make_article(&b, "a", NULL, "some text to make it longer");
	expect_buf(&b, MSG_OK, NULL);
	lim.max_bytes = b.len;
	expect_code(b.data, b.len, &lim, MSG_OK, NULL);
	lim.max_bytes = b.len - 1;
	expect_code(b.data, b.len, &lim, MSG_TOO_LARGE, "message is 39 bytes, "
	    "limit is 38");
	msg_limits_default(&lim);

	expect_code("", 0, &lim, MSG_NOT_MSGPACK, "message is empty");
	expect_code(bad_byte, sizeof(bad_byte), &lim, MSG_NOT_MSGPACK,
	    "invalid byte 0xc1 at byte 4");
	expect_code(str_cut, sizeof(str_cut), &lim, MSG_NOT_MSGPACK,
	    "truncated");
	expect_code(ext_cut, sizeof(ext_cut), &lim, MSG_NOT_MSGPACK,
	    "truncated");
	expect_code(b.data, b.len - 1, &lim, MSG_NOT_MSGPACK, "truncated");
	lim.max_items = SIZE_MAX;
	expect_code(huge_map, sizeof(huge_map), &lim, MSG_NOT_MSGPACK,
	    "truncated");
	expect_code(huge_arr, sizeof(huge_arr), &lim, MSG_NOT_MSGPACK,
	    "truncated");
	msg_limits_default(&lim);
	expect_code(huge_map, sizeof(huge_map), &lim, MSG_TOO_MANY_KEYS,
	    "map at byte 0 has 4294967295 entries, limit is 10000");

	buf_add(&b, "\xc0\xc0", 2);
	expect_buf(&b, MSG_TRAILING_BYTES, "2 bytes follow the message");

	expect_code("\x91\x01", 2, &lim, MSG_NOT_A_MAP,
	    "message must be a map, got array");
	expect_code("\xa1x", 2, &lim, MSG_NOT_A_MAP, "got string");
	expect_code("\x05", 1, &lim, MSG_NOT_A_MAP, "got integer");
	expect_code("\xc0", 1, &lim, MSG_NOT_A_MAP, "got nil");
	buf_release(&b);
}

static void
test_decode_fields(void **state)
{
	msgpack_packer pk;
	struct msg_limits lim;
	struct buf b;

	(void)state;
	buf_init(&b);
	msg_limits_default(&lim);

	make_article(&b, NULL, "t", NULL);
	expect_buf(&b, MSG_MISSING_ID, "field 'id' is missing");
	buf_reset(&b);
	make_article(&b, "", "t", NULL);
	expect_buf(&b, MSG_MISSING_ID, "field 'id' is empty");
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	pack_cstr(&pk, "id");
	msgpack_pack_nil(&pk);
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	expect_buf(&b, MSG_MISSING_ID, "field 'id' is nil");

	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	pack_cstr(&pk, "id");
	msgpack_pack_double(&pk, 1.5);
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	expect_buf(&b, MSG_BAD_TYPE,
	    "field 'id' must be a string or an integer, got float");
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	pack_cstr(&pk, "id");
	msgpack_pack_array(&pk, 0);
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	expect_buf(&b, MSG_BAD_TYPE, "got array");
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	pack_cstr(&pk, "id");
	msgpack_pack_true(&pk);
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	expect_buf(&b, MSG_BAD_TYPE, "got boolean");

	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "title");
	msgpack_pack_int(&pk, 5);
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	expect_buf(&b, MSG_BAD_TYPE,
	    "field 'title' must be a string, got integer");
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "text");
	msgpack_pack_map(&pk, 0);
	expect_buf(&b, MSG_BAD_TYPE, "field 'text' must be a string, got map");
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 2);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "text");
	msgpack_pack_bin(&pk, 1);
	msgpack_pack_bin_body(&pk, "t", 1);
	expect_buf(&b, MSG_BAD_TYPE, "got binary");

	buf_reset(&b);
	make_article(&b, "\xff", "t", NULL);
	expect_buf(&b, MSG_INVALID_UTF8, "field 'id' is not valid UTF-8");
	buf_reset(&b);
	make_article(&b, "a", "ab\xc3", NULL);
	expect_buf(&b, MSG_INVALID_UTF8,
	    "field 'title' is not valid UTF-8 at byte 2");
	buf_reset(&b);
	make_article(&b, "a", "ok", "xyz\xed\xa0\x80");
	expect_buf(&b, MSG_INVALID_UTF8,
	    "field 'text' is not valid UTF-8 at byte 3");
	buf_reset(&b);
	make_article(&b, "a", NULL, "\xc0\xaf");
	expect_buf(&b, MSG_INVALID_UTF8, "field 'text'");

	buf_reset(&b);
	make_article(&b, "a", NULL, NULL);
	expect_buf(&b, MSG_MISSING_TEXT, "no non-empty 'title' or 'text'");
	buf_reset(&b);
	make_article(&b, "a", "", "");
	expect_buf(&b, MSG_MISSING_TEXT, NULL);

	buf_reset(&b);
	make_article(&b, "a", "abc", "de");
	lim.max_text = 5;
	expect_code(b.data, b.len, &lim, MSG_OK, NULL);
	lim.max_text = 4;
	expect_code(b.data, b.len, &lim, MSG_TEXT_TOO_LONG,
	    "title and text are 5 bytes, limit is 4");
	msg_limits_default(&lim);

	/* duplicates of the three keys, not of others */
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "b");
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	expect_buf(&b, MSG_DUPLICATE_KEY, "key 'id' appears more than once");
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	pack_cstr(&pk, "title");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "b");
	pack_cstr(&pk, "title");
	msgpack_pack_nil(&pk);
	expect_buf(&b, MSG_DUPLICATE_KEY, "key 'title'");
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 4);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "b");
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "x");
	pack_cstr(&pk, "a");
	expect_buf(&b, MSG_DUPLICATE_KEY, "key 'text'");
	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 4);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "b");
	pack_cstr(&pk, "x");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "x");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "a");
	expect_buf(&b, MSG_OK, NULL);
	buf_release(&b);
}

static void
test_decode_limits(void **state)
{
	struct msg_limits lim;
	msgpack_packer pk;
	struct buf b;
	int i;

	(void)state;
	buf_init(&b);
	msg_limits_default(&lim);

	/* the map is level 1: 31 arrays inside it make 32 levels */
	make_deep(&b, 31, 0);
	expect_buf(&b, MSG_OK, NULL);
	buf_reset(&b);
	make_deep(&b, 32, 0);
	expect_buf(&b, MSG_TOO_DEEP, "nesting deeper than 32 levels");
	/* msgpack-c lets an empty 33rd level through; we do not */
	buf_reset(&b);
	make_deep(&b, 32, 1);
	expect_buf(&b, MSG_TOO_DEEP, NULL);
	/* beyond msgpack-c's own stack: still too deep, and capped */
	buf_reset(&b);
	make_deep(&b, 200, 0);
	lim.max_depth = 1000;
	expect_code(b.data, b.len, &lim, MSG_TOO_DEEP,
	    "nesting deeper than 32 levels");
	buf_reset(&b);
	make_deep(&b, 2, 0);
	lim.max_depth = 3;
	expect_code(b.data, b.len, &lim, MSG_OK, NULL);
	lim.max_depth = 2;
	expect_code(b.data, b.len, &lim, MSG_TOO_DEEP,
	    "nesting deeper than 2 levels at byte 16");
	lim.max_depth = 0;
	expect_code(b.data, b.len, &lim, MSG_TOO_DEEP, NULL);
	msg_limits_default(&lim);

	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "a");
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	pack_cstr(&pk, "list");
	msgpack_pack_array(&pk, 4);
	for (i = 0; i < 4; i++)
		msgpack_pack_int(&pk, i);
	lim.max_items = 4;
	expect_code(b.data, b.len, &lim, MSG_OK, NULL);
	lim.max_items = 3;
	expect_code(b.data, b.len, &lim, MSG_TOO_MANY_KEYS,
	    "array at byte 18 has 4 entries, limit is 3");
	lim.max_items = 2;
	expect_code(b.data, b.len, &lim, MSG_TOO_MANY_KEYS,
	    "map at byte 0 has 3 entries, limit is 2");
	buf_release(&b);
}

/* The zone keeps one chunk, grown to fit, up to ZONE_KEEP. */
static void
test_decode_zone(void **state)
{
	struct msg_decoder *d = msg_decoder_new();
	struct msg_limits lim;
	struct msg_article art;
	struct msg_error e;
	msgpack_packer pk;
	struct buf b, small;
	int i;

	(void)state;
	buf_init(&b);
	buf_init(&small);
	msg_limits_default(&lim);
	lim.max_items = 100000;
	make_article(&small, "s", NULL, "t");
	assert_int_equal(msg_decode(d, small.data, small.len, &lim, &art,
	    &e), 0);
	assert_int_equal(d->zone_size, ZONE_MIN);

	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "big");
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	pack_cstr(&pk, "list");
	msgpack_pack_array(&pk, 5000);
	for (i = 0; i < 5000; i++)
		msgpack_pack_int(&pk, i);
	assert_int_equal(msg_decode(d, b.data, b.len, &lim, &art, &e), 0);
	assert_int_equal(d->zone_size, 131072);
	assert_int_equal(msg_decode(d, small.data, small.len, &lim, &art,
	    &e), 0);
	assert_int_equal(d->zone_size, 131072);

	buf_reset(&b);
	pk_init(&pk, &b);
	msgpack_pack_map(&pk, 3);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "bigger");
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "t");
	pack_cstr(&pk, "list");
	msgpack_pack_array(&pk, 60000);
	for (i = 0; i < 60000; i++)
		msgpack_pack_int(&pk, i);
	assert_int_equal(msg_decode(d, b.data, b.len, &lim, &art, &e), 0);
	assert_int_equal(d->zone_size, ZONE_KEEP);
	assert_int_equal(map_get(&d->root, "list")->via.array.size, 60000);
	assert_int_equal(msg_decode(d, small.data, small.len, &lim, &art,
	    &e), 0);
	assert_int_equal(d->zone_size, ZONE_KEEP);
	buf_release(&b);
	buf_release(&small);
	msg_decoder_destroy(&d);
}

/* ---- encoding --------------------------------------------------------- */

static void
test_encode_golden(void **state)
{
	static const char want[] =
	    "\x84\xa2\x69\x64\x01\xa4\x74\x65\x78\x74\xa1\x61\xa4\x74\x61\x67"
	    "\x73\x82\xa9\x73\x65\x6e\x74\x69\x6d\x65\x6e\x74\x85\xa5\x6c\x61"
	    "\x62\x65\x6c\xa8\x70\x6f\x73\x69\x74\x69\x76\x65\xa1\x70\xcb\x3f"
	    "\xe4\x00\x00\x00\x00\x00\x00\xa6\x73\x63\x6f\x72\x65\x73\x83\xa8"
	    "\x6e\x65\x67\x61\x74\x69\x76\x65\xcb\x3f\xc0\x00\x00\x00\x00\x00"
	    "\x00\xa7\x6e\x65\x75\x74\x72\x61\x6c\xcb\x3f\xd0\x00\x00\x00\x00"
	    "\x00\x00\xa8\x70\x6f\x73\x69\x74\x69\x76\x65\xcb\x3f\xe4\x00\x00"
	    "\x00\x00\x00\x00\xa3\x74\x6f\x70\x92\xa8\x70\x6f\x73\x69\x74\x69"
	    "\x76\x65\xa7\x6e\x65\x75\x74\x72\x61\x6c\xa9\x75\x6e\x63\x65\x72"
	    "\x74\x61\x69\x6e\xc2\xa5\x74\x6f\x70\x69\x63\x85\xa5\x6c\x61\x62"
	    "\x65\x6c\xa8\x62\x75\x73\x69\x6e\x65\x73\x73\xa1\x70\xcb\x3f\xe8"
	    "\x00\x00\x00\x00\x00\x00\xa6\x73\x63\x6f\x72\x65\x73\x82\xa8\x62"
	    "\x75\x73\x69\x6e\x65\x73\x73\xcb\x3f\xe8\x00\x00\x00\x00\x00\x00"
	    "\xa4\x74\x65\x63\x68\xcb\x3f\xd0\x00\x00\x00\x00\x00\x00\xa3\x74"
	    "\x6f\x70\x92\xa8\x62\x75\x73\x69\x6e\x65\x73\x73\xa4\x74\x65\x63"
	    "\x68\xa9\x75\x6e\x63\x65\x72\x74\x61\x69\x6e\xc2\xa6\x6d\x6f\x64"
	    "\x65\x6c\x73\x82\xa9\x73\x65\x6e\x74\x69\x6d\x65\x6e\x74\xac\x73"
	    "\x65\x6e\x74\x69\x6d\x65\x6e\x74\x2d\x76\x31\xa5\x74\x6f\x70\x69"
	    "\x63\xa8\x74\x6f\x70\x69\x63\x2d\x76\x37";
	struct msg_decoder *d = msg_decoder_new();
	struct msg_out_opts o = { .include_text = 1 };
	struct msg_limits lim;
	struct msg_article art;
	struct msg_error e;
	struct buf b, out;

	(void)state;
	buf_init(&b);
	buf_init(&out);
	msg_limits_default(&lim);
	/* {"id": 1, "text": "a"} */
	buf_add(&b, "\x82\xa2id\x01\xa4text\xa1" "a", 12);
	assert_int_equal(msg_decode(d, b.data, b.len, &lim, &art, &e), 0);
	buf_addstr(&out, "prefix");
	msg_encode_result(d, &fake_classifier_two, fake_results, 0, &o, &out);
	assert_int_equal(out.len, 6 + sizeof(want) - 1);
	assert_memory_equal(out.data, "prefix", 6);
	assert_memory_equal(out.data + 6, want, sizeof(want) - 1);
	assert_true(o.seq_at == MSG_NO_OFFSET);
	assert_true(o.t_us_at == MSG_NO_OFFSET);
	buf_release(&b);
	buf_release(&out);
	msg_decoder_destroy(&d);
}

/* An input with every kind of value, and keys the output replaces. */
static void
make_rich(struct buf *b)
{
	msgpack_packer pk;

	pk_init(&pk, b);
	msgpack_pack_map(&pk, 17);
	pack_cstr(&pk, "id");
	pack_cstr(&pk, "n1");
	pack_cstr(&pk, "tags");
	pack_cstr(&pk, "theirs");
	pack_cstr(&pk, "title");
	pack_cstr(&pk, "T");
	pack_cstr(&pk, "nested");
	msgpack_pack_map(&pk, 1);
	pack_cstr(&pk, "a");
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, -1);
	msgpack_pack_map(&pk, 1);
	pack_cstr(&pk, "b");
	msgpack_pack_nil(&pk);
	pack_cstr(&pk, "text");
	pack_cstr(&pk, "X");
	pack_cstr(&pk, "f32");
	msgpack_pack_float(&pk, 1.5f);
	pack_cstr(&pk, "f64");
	msgpack_pack_double(&pk, 0.1);
	pack_cstr(&pk, "bin");
	msgpack_pack_bin(&pk, 3);
	msgpack_pack_bin_body(&pk, "\x00\x01\xff", 3);
	pack_cstr(&pk, "ext");
	msgpack_pack_ext(&pk, 3, 5);
	msgpack_pack_ext_body(&pk, "abc", 3);
	pack_cstr(&pk, "min");
	msgpack_pack_int64(&pk, INT64_MIN);
	pack_cstr(&pk, "max");
	msgpack_pack_int64(&pk, INT64_MAX);
	pack_cstr(&pk, "umax");
	msgpack_pack_uint64(&pk, UINT64_MAX);
	pack_cstr(&pk, "models");
	msgpack_pack_int(&pk, 1);
	pack_cstr(&pk, "seq");
	msgpack_pack_int(&pk, 99);
	msgpack_pack_int(&pk, 7);
	pack_cstr(&pk, "int key");
	pack_cstr(&pk, "t_us");
	msgpack_pack_int(&pk, 3);
	pack_cstr(&pk, "flag");
	msgpack_pack_true(&pk);
}

static void
check_tags(const msgpack_object *r)
{
	const msgpack_object *tags, *t, *sc, *models;

	tags = map_get(r, "tags");
	assert_non_null(tags);
	assert_int_equal(tags->via.map.size, 2);
	assert_key_at(tags, 0, "sentiment");
	assert_key_at(tags, 1, "topic");
	t = map_get(tags, "sentiment");
	assert_int_equal(t->via.map.size, 5);
	assert_key_at(t, 0, "label");
	assert_key_at(t, 1, "p");
	assert_key_at(t, 2, "scores");
	assert_key_at(t, 3, "top");
	assert_key_at(t, 4, "uncertain");
	/* Default threshold 0.2: positive (0.625), then neutral (0.25). */
	assert_int_equal(map_get(t, "top")->via.array.size, 2);
	assert_str_obj(&map_get(t, "top")->via.array.ptr[0], "positive");
	assert_str_obj(&map_get(t, "top")->via.array.ptr[1], "neutral");
	assert_int_equal(map_get(t, "uncertain")->type,
	    MSGPACK_OBJECT_BOOLEAN);
	assert_false(map_get(t, "uncertain")->via.boolean);
	assert_str_obj(map_get(t, "label"), "positive");
	assert_int_equal(map_get(t, "p")->type, MSGPACK_OBJECT_FLOAT64);
	assert_true(map_get(t, "p")->via.f64 == 0.625);
	sc = map_get(t, "scores");
	assert_int_equal(sc->via.map.size, 3);
	assert_key_at(sc, 0, "negative");
	assert_key_at(sc, 1, "neutral");
	assert_key_at(sc, 2, "positive");
	assert_true(map_get(sc, "negative")->via.f64 == 0.125);
	assert_true(map_get(sc, "neutral")->via.f64 == 0.25);
	t = map_get(tags, "topic");
	assert_str_obj(map_get(t, "label"), "business");
	assert_true(map_get(t, "p")->via.f64 == 0.75);
	sc = map_get(t, "scores");
	assert_int_equal(sc->via.map.size, 2);
	assert_key_at(sc, 1, "tech");
	assert_true(map_get(sc, "tech")->via.f64 == 0.25);

	models = map_get(r, "models");
	assert_int_equal(models->via.map.size, 2);
	assert_str_obj(map_get(models, "sentiment"), "sentiment-v1");
	assert_str_obj(map_get(models, "topic"), "topic-v7");
}

static void
test_encode_result(void **state)
{
	static const char *const keys[] = {
		"id", "title", "nested", "text", "f32", "f64", "bin", "ext",
		"min", "max", "umax", NULL, "flag", "tags", "models", "seq",
		"t_us"
	};
	struct msg_decoder *d = msg_decoder_new();
	struct msg_out_opts o = { .include_text = 1, .with_seq = 1,
	    .seq = 12, .t_us = 34 };
	const msgpack_object *v;
	msgpack_object in, r;
	msgpack_zone zin, zr;
	struct msg_limits lim;
	struct msg_article art;
	struct msg_error e;
	struct buf b, copy, out;
	uint32_t i, j;

	(void)state;
	buf_init(&b);
	buf_init(&copy);
	buf_init(&out);
	msg_limits_default(&lim);
	make_rich(&b);
	buf_add(&copy, b.data, b.len);
	assert_int_equal(msg_decode(d, b.data, b.len, &lim, &art, &e), 0);
	memset(b.data, 0, b.len);	/* the decoder has its own copy */
	msg_encode_result(d, &fake_classifier_two, fake_results, 0, &o, &out);

	unpack(&copy, &zin, &in);
	unpack(&out, &zr, &r);
	assert_int_equal(r.via.map.size, 17);
	for (i = 0; i < 17; i++) {
		if (keys[i] == NULL) {
			assert_int_equal(r.via.map.ptr[i].key.type,
			    MSGPACK_OBJECT_POSITIVE_INTEGER);
			assert_int_equal(r.via.map.ptr[i].key.via.u64, 7);
			assert_str_obj(&r.via.map.ptr[i].val, "int key");
			continue;
		}
		assert_key_at(&r, i, keys[i]);
		if (i >= 13)
			continue;
		/* passed through: identical to the input's value */
		for (j = 0; j < in.via.map.size; j++)
			if (key_is(&in.via.map.ptr[j].key, keys[i]))
				break;
		assert_true(msgpack_object_equal(in.via.map.ptr[j].val,
		    r.via.map.ptr[i].val));
	}
	v = map_get(&r, "f32");
	assert_int_equal(v->type, MSGPACK_OBJECT_FLOAT32);
	assert_true(v->via.f64 == 1.5);
	assert_int_equal(map_get(&r, "f64")->type, MSGPACK_OBJECT_FLOAT64);
	v = map_get(&r, "ext");
	assert_int_equal(v->type, MSGPACK_OBJECT_EXT);
	assert_int_equal(v->via.ext.type, 5);
	assert_memory_equal(v->via.ext.ptr, "abc", 3);
	v = map_get(&r, "bin");
	assert_int_equal(v->type, MSGPACK_OBJECT_BIN);
	assert_memory_equal(v->via.bin.ptr, "\x00\x01\xff", 3);
	assert_int_equal(map_get(&r, "min")->via.i64, INT64_MIN);
	assert_int_equal(map_get(&r, "umax")->via.u64, UINT64_MAX);
	check_tags(&r);
	v = map_get(&r, "seq");
	assert_int_equal(v->type, MSGPACK_OBJECT_POSITIVE_INTEGER);
	assert_int_equal(v->via.u64, 12);
	assert_int_equal(map_get(&r, "t_us")->via.u64, 34);
	msgpack_zone_destroy(&zr);

	/* seq and t_us are fixed-width, at the offsets given: patchable */
	assert_true(o.seq_at != MSG_NO_OFFSET && o.t_us_at != MSG_NO_OFFSET);
	assert_int_equal((unsigned char)out.data[o.seq_at - 1], 0xcf);
	assert_memory_equal(out.data + o.seq_at, "\0\0\0\0\0\0\0\x0c", 8);
	assert_int_equal((unsigned char)out.data[o.t_us_at - 1], 0xcf);
	assert_memory_equal(out.data + o.t_us_at, "\0\0\0\0\0\0\0\x22", 8);
	assert_int_equal(o.t_us_at + 8, out.len);
	memcpy(out.data + o.seq_at, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	memcpy(out.data + o.t_us_at, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	unpack(&out, &zr, &r);
	assert_true(map_get(&r, "seq")->via.u64 == 0x0102030405060708u);
	assert_true(map_get(&r, "t_us")->via.u64 == UINT64_MAX);
	msgpack_zone_destroy(&zr);

	/* without text and without seq */
	buf_reset(&out);
	o.include_text = 0;
	o.with_seq = 0;
	msg_encode_result(d, &fake_classifier_two, fake_results, 0, &o, &out);
	unpack(&out, &zr, &r);
	assert_int_equal(r.via.map.size, 13);
	assert_null(map_get(&r, "title"));
	assert_null(map_get(&r, "text"));
	assert_null(map_get(&r, "seq"));
	assert_null(map_get(&r, "t_us"));
	assert_true(o.seq_at == MSG_NO_OFFSET);
	assert_true(o.t_us_at == MSG_NO_OFFSET);
	assert_key_at(&r, 0, "id");
	assert_key_at(&r, 1, "nested");
	assert_key_at(&r, 11, "tags");
	assert_key_at(&r, 12, "models");
	check_tags(&r);
	msgpack_zone_destroy(&zr);
	msgpack_zone_destroy(&zin);

	buf_release(&b);
	buf_release(&copy);
	buf_release(&out);
	msg_decoder_destroy(&d);
}

/* Decode data (expecting failure), encode the error, unpack it into r. */
static void
error_map(struct msg_decoder *d, const struct buf *in,
    struct msg_out_opts *o, enum msg_code code, struct buf *out,
    msgpack_zone *z, msgpack_object *r)
{
	struct msg_limits lim;
	struct msg_article art;
	struct msg_error e;

	msg_limits_default(&lim);
	assert_int_equal(msg_decode(d, in->data, in->len, &lim, &art, &e), -1);
	assert_int_equal(e.code, code);
	buf_reset(out);
	msg_encode_error(d, &e, o, out);
	unpack(out, z, r);
	assert_str_obj(map_get(r, "error"), msg_code_name(code));
	assert_str_obj(map_get(r, "detail"), e.detail);
}

static void
test_encode_error(void **state)
{
	struct msg_decoder *d = msg_decoder_new();
	struct msg_out_opts o = { .include_text = 1, .with_seq = 1,
	    .seq = 7 };
	struct msg_out_opts noseq = { .include_text = 1 };
	struct msg_limits lim;
	struct msg_article art;
	struct msg_error e;
	msgpack_packer pk;
	msgpack_zone z;
	msgpack_object r;
	struct buf in, out;

	(void)state;
	buf_init(&in);
	buf_init(&out);
	msg_limits_default(&lim);

	/* the id read before a later failure is in the error */
	make_article(&in, "abc", NULL, NULL);
	error_map(d, &in, &o, MSG_MISSING_TEXT, &out, &z, &r);
	assert_int_equal(r.via.map.size, 4);
	assert_key_at(&r, 0, "id");
	assert_key_at(&r, 1, "seq");
	assert_key_at(&r, 2, "error");
	assert_key_at(&r, 3, "detail");
	assert_str_obj(map_get(&r, "id"), "abc");
	assert_int_equal(map_get(&r, "seq")->via.u64, 7);
	assert_int_equal((unsigned char)out.data[o.seq_at - 1], 0xcf);
	assert_memory_equal(out.data + o.seq_at, "\0\0\0\0\0\0\0\x07", 8);
	assert_true(o.t_us_at == MSG_NO_OFFSET);
	msgpack_zone_destroy(&z);

	buf_reset(&in);
	pk_init(&pk, &in);
	msgpack_pack_map(&pk, 2);
	pack_cstr(&pk, "title");
	msgpack_pack_int(&pk, 5);
	pack_cstr(&pk, "id");
	msgpack_pack_int(&pk, -42);
	error_map(d, &in, &noseq, MSG_BAD_TYPE, &out, &z, &r);
	assert_int_equal(r.via.map.size, 3);
	assert_int_equal(map_get(&r, "id")->type,
	    MSGPACK_OBJECT_NEGATIVE_INTEGER);
	assert_int_equal(map_get(&r, "id")->via.i64, -42);
	assert_null(map_get(&r, "seq"));
	assert_true(noseq.seq_at == MSG_NO_OFFSET);
	msgpack_zone_destroy(&z);

	/* a good decode, then one without an id: the old id is gone */
	buf_reset(&in);
	make_article(&in, "first", NULL, "x");
	assert_int_equal(msg_decode(d, in.data, in.len, &lim, &art, &e), 0);
	buf_reset(&in);
	buf_add(&in, "\x91\x01", 2);
	error_map(d, &in, &o, MSG_NOT_A_MAP, &out, &z, &r);
	assert_int_equal(r.via.map.size, 3);
	assert_null(map_get(&r, "id"));
	msgpack_zone_destroy(&z);

	/* an id that is not valid UTF-8 is not echoed */
	buf_reset(&in);
	make_article(&in, "\xc3", NULL, "x");
	error_map(d, &in, &noseq, MSG_INVALID_UTF8, &out, &z, &r);
	assert_null(map_get(&r, "id"));
	msgpack_zone_destroy(&z);

	/* duplicate ids: which one would it be?  None. */
	buf_reset(&in);
	pk_init(&pk, &in);
	msgpack_pack_map(&pk, 2);
	pack_cstr(&pk, "id");
	msgpack_pack_int(&pk, 1);
	pack_cstr(&pk, "id");
	msgpack_pack_int(&pk, 2);
	error_map(d, &in, &noseq, MSG_DUPLICATE_KEY, &out, &z, &r);
	assert_null(map_get(&r, "id"));
	msgpack_zone_destroy(&z);

	/* no decoder: an error found before decoding */
	e.code = MSG_MULTIPART;
	snprintf(e.detail, sizeof(e.detail), "message has 3 parts");
	buf_reset(&out);
	msg_encode_error(NULL, &e, &o, &out);
	assert_int_equal(o.seq_at, 1 + 4 + 1);	/* after {"seq": 0xcf */
	unpack(&out, &z, &r);
	assert_int_equal(r.via.map.size, 3);
	assert_str_obj(map_get(&r, "error"), "multipart");
	assert_str_obj(map_get(&r, "detail"), "message has 3 parts");
	msgpack_zone_destroy(&z);

	buf_release(&in);
	buf_release(&out);
	msg_decoder_destroy(&d);
}

static void
test_envelope(void **state)
{
	static const size_t topic_first[] = { 1, 0 };
	static const size_t one[] = { 0 };
	struct buf out;

	(void)state;
	buf_init(&out);
	msg_envelope(&fake_classifier_two, fake_results, topic_first, 2, &out);
	assert_string_equal(out.data, "business.positive");
	buf_reset(&out);
	msg_envelope(&fake_classifier_two, fake_results, one, 1, &out);
	assert_string_equal(out.data, "positive");
	buf_reset(&out);
	msg_envelope(&fake_classifier_two, fake_results, one, 0, &out);
	assert_string_equal(out.data, "");
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

/* ---- msgpack to JSON -------------------------------------------------- */

static void
expect_json(const struct buf *mp, const char *want)
{
	struct buf out;
	struct err err;

	buf_init(&out);
	buf_addstr(&out, ">");
	if (msg_to_json(mp->data, mp->len, &out, &err) == -1)
		fail_msg("msg_to_json: %s (want %s)", err.msg, want);
	if (strcmp(out.data + 1, want) != 0)
		fail_msg("got '%s', want '%s'", out.data + 1, want);
	assert_int_equal(out.len, strlen(want) + 1);
	buf_release(&out);
}

static void
json_of_double(double v, const char *want)
{
	struct buf mp;

	buf_init(&mp);
	msg_w_double(&mp, v);
	expect_json(&mp, want);
	buf_release(&mp);
}

static void
json_of_float(float v, const char *want)
{
	msgpack_packer pk;
	struct buf mp;

	buf_init(&mp);
	pk_init(&pk, &mp);
	msgpack_pack_float(&pk, v);
	expect_json(&mp, want);
	buf_release(&mp);
}

static void
json_of_str(const char *s, size_t n, const char *want)
{
	struct buf mp;

	buf_init(&mp);
	msg_w_strn(&mp, s, n);
	expect_json(&mp, want);
	buf_release(&mp);
}

static void
json_of_bin(const char *s, size_t n, const char *want)
{
	msgpack_packer pk;
	struct buf mp;

	buf_init(&mp);
	pk_init(&pk, &mp);
	msgpack_pack_bin(&pk, n);
	msgpack_pack_bin_body(&pk, s, n);
	expect_json(&mp, want);
	buf_release(&mp);
}

static void
test_to_json_scalars(void **state)
{
	struct buf mp;

	(void)state;
	buf_init(&mp);
	msg_w_nil(&mp);
	expect_json(&mp, "null");
	buf_reset(&mp);
	msg_w_bool(&mp, 1);
	expect_json(&mp, "true");
	buf_reset(&mp);
	msg_w_bool(&mp, 0);
	expect_json(&mp, "false");
	buf_reset(&mp);
	msg_w_uint(&mp, 0);
	expect_json(&mp, "0");
	buf_reset(&mp);
	msg_w_int(&mp, -1);
	expect_json(&mp, "-1");
	buf_reset(&mp);
	msg_w_int(&mp, INT64_MIN);
	expect_json(&mp, "-9223372036854775808");
	buf_reset(&mp);
	msg_w_uint(&mp, UINT64_MAX);
	expect_json(&mp, "18446744073709551615");
	buf_release(&mp);

	json_of_double(0.1, "0.1");
	json_of_double(0.1 + 0.2, "0.30000000000000004");
	json_of_double(1e300, "1e+300");
	json_of_double(-2.5e-8, "-2.5e-08");
	json_of_double(1.0, "1.0");
	json_of_double(-0.0, "-0.0");
	json_of_double(123456.0, "123456.0");
	json_of_double(1e16, "1e+16");
	json_of_double(5e-324, "5e-324");
	json_of_double(1.7976931348623157e308, "1.7976931348623157e+308");
	json_of_double(NAN, "null");
	json_of_double(INFINITY, "null");
	json_of_double(-INFINITY, "null");
	json_of_float(1.5f, "1.5");
	json_of_float(0.1f, "0.1");
	json_of_float(16777216.0f, "16777216.0");
	json_of_float(3.4028235e38f, "3.4028235e+38");
}

static void
test_to_json_strings(void **state)
{
	(void)state;
	json_of_str("", 0, "\"\"");
	json_of_str("plain", 5, "\"plain\"");
	json_of_str("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"");
	json_of_str("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
	json_of_str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
	json_of_str("nul\0!", 5, "\"nul\\u0000!\"");
	json_of_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* invalid UTF-8: each maximal invalid part becomes U+FFFD */
	json_of_str("a\xff" "b", 3, "\"a\xef\xbf\xbd" "b\"");
	json_of_str("\xe2\x82", 2, "\"\xef\xbf\xbd\"");
	json_of_str("\xe2\x82z", 3, "\"\xef\xbf\xbdz\"");
	json_of_str("\xf0\x9f\x98", 3, "\"\xef\xbf\xbd\"");
	json_of_str("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	json_of_str("\xed\xa0\x80", 3,
	    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	json_of_str("\xf4\x90\x80\x80", 4,
	    "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	json_of_str("\x80\"", 2, "\"\xef\xbf\xbd\\\"\"");

	json_of_bin("", 0, "\"\"");
	json_of_bin("f", 1, "\"Zg==\"");
	json_of_bin("fo", 2, "\"Zm8=\"");
	json_of_bin("foo", 3, "\"Zm9v\"");
	json_of_bin("foobar", 6, "\"Zm9vYmFy\"");
	json_of_bin("\x00\x01\xff", 3, "\"AAH/\"");
	json_of_bin("\xfb\xff", 2, "\"+/8=\"");
}

static void
test_to_json_containers(void **state)
{
	msgpack_packer pk;
	struct buf mp, out;
	struct err err;
	int i;

	(void)state;
	buf_init(&mp);
	buf_init(&out);
	pk_init(&pk, &mp);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 2);
	msgpack_pack_array(&pk, 0);
	msgpack_pack_map(&pk, 0);
	msgpack_pack_ext(&pk, 3, 1);
	msgpack_pack_ext_body(&pk, "foo", 3);
	expect_json(&mp, "[1,[2,[]],{},\"Zm9v\"]");

	buf_reset(&mp);
	msg_w_map(&mp, 2);
	msg_w_str(&mp, "a");
	msg_w_int(&mp, 1);
	msg_w_str(&mp, "b\n");
	msg_w_array(&mp, 2);
	msg_w_bool(&mp, 1);
	msg_w_nil(&mp);
	expect_json(&mp, "{\"a\":1,\"b\\n\":[true,null]}");

	/* keys that are not strings: their JSON text, as a string */
	buf_reset(&mp);
	msg_w_map(&mp, 9);
	msg_w_uint(&mp, 1);
	msg_w_str(&mp, "x");
	msg_w_int(&mp, -2);
	msg_w_str(&mp, "y");
	msg_w_nil(&mp);
	msg_w_int(&mp, 1);
	msg_w_bool(&mp, 1);
	msg_w_int(&mp, 2);
	msg_w_double(&mp, 1.5);
	msg_w_int(&mp, 3);
	msg_w_array(&mp, 2);
	msg_w_int(&mp, 1);
	msg_w_str(&mp, "q\"");
	msg_w_int(&mp, 4);
	pk_init(&pk, &mp);
	msgpack_pack_bin(&pk, 3);
	msgpack_pack_bin_body(&pk, "foo", 3);
	msg_w_int(&mp, 5);
	msg_w_map(&mp, 1);
	msg_w_str(&mp, "k");
	msg_w_str(&mp, "v");
	msg_w_int(&mp, 6);
	msg_w_str(&mp, "\xff");
	msg_w_int(&mp, 7);
	expect_json(&mp, "{\"1\":\"x\",\"-2\":\"y\",\"null\":1,\"true\":2,"
	    "\"1.5\":3,\"[1,\\\"q\\\\\\\"\\\"]\":4,\"Zm9v\":5,"
	    "\"{\\\"k\\\":\\\"v\\\"}\":6,\"\xef\xbf\xbd\":7}");

	/* keys inside a key's text stay unquoted: no exponential output */
	buf_reset(&mp);
	msg_w_map(&mp, 1);
	msg_w_map(&mp, 1);
	msg_w_array(&mp, 1);
	msg_w_int(&mp, 1);
	msg_w_str(&mp, "a");
	msg_w_int(&mp, 1);
	expect_json(&mp, "{\"{[1]:\\\"a\\\"}\":1}");
	buf_reset(&mp);
	for (i = 0; i < 31; i++)
		msg_w_map(&mp, 1);
	msg_w_str(&mp, "k\"");
	for (i = 0; i < 31; i++)
		msg_w_int(&mp, i);
	assert_int_equal(msg_to_json(mp.data, mp.len, &out, &err), 0);
	assert_true(out.len < 400);
	buf_reset(&out);

	/* 32 levels convert, 33 do not */
	buf_reset(&mp);
	for (i = 0; i < 32; i++)
		msg_w_array(&mp, 1);
	msg_w_int(&mp, 0);
	assert_int_equal(msg_to_json(mp.data, mp.len, &out, &err), 0);
	assert_int_equal(out.len, 32 + 1 + 32);
	buf_reset(&mp);
	buf_reset(&out);
	for (i = 0; i < 100; i++)
		msg_w_array(&mp, 1);
	msg_w_int(&mp, 0);
	assert_int_equal(msg_to_json(mp.data, mp.len, &out, &err), -1);
	assert_non_null(strstr(err.msg, "too deep"));
	assert_int_equal(out.len, 0);

	assert_int_equal(msg_to_json("", 0, &out, &err), -1);
	assert_string_equal(err.msg, "not msgpack: message is empty");
	assert_int_equal(msg_to_json("\xc1", 1, &out, &err), -1);
	assert_non_null(strstr(err.msg, "not msgpack"));
	assert_int_equal(msg_to_json("\x92\x01", 2, &out, &err), -1);
	assert_non_null(strstr(err.msg, "not msgpack: message is truncated"));
	assert_int_equal(msg_to_json("\xc0\xc0\xc0", 3, &out, &err), -1);
	assert_string_equal(err.msg, "trailing bytes: 2 follow the object");
	assert_int_equal(out.len, 0);
	buf_release(&mp);
	buf_release(&out);
}

/* ---- JSON to msgpack -------------------------------------------------- */

static void
test_from_json_roundtrip(void **state)
{
	static const char *const lines[] = {
		"{\"id\":\"a1\",\"title\":\"Hello\",\"text\":\"World\"}",
		"{\"z\":1,\"a\":2,\"m\":{\"y\":[],\"b\":{}}}",
		"{\"n\":[1,-2,3.5,true,false,null],\"f\":1.0,\"e\":1e+300,"
		    "\"g\":0.1,\"h\":-0.0,\"i\":9223372036854775807,"
		    "\"j\":-9223372036854775808}",
		"{\"s\":\"caf\xc3\xa9 \\\"q\\\" \\\\ \\n\\t\\u0001\x7f\"}",
		"{\"nul\":\"a\\u0000b\"}",
		"[1,[2,[3,[]]]]",
		"\"just a string\"",
		"42",
		"null",
		"{}",
	};
	struct buf mp, back;
	struct msg_error e;
	struct err err;
	size_t i;

	(void)state;
	buf_init(&mp);
	buf_init(&back);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		buf_reset(&mp);
		buf_reset(&back);
		if (msg_from_json(lines[i], strlen(lines[i]), &mp, &e) == -1)
			fail_msg("line %zu: %s: %s", i, msg_code_name(e.code),
			    e.detail);
		if (msg_to_json(mp.data, mp.len, &back, &err) == -1)
			fail_msg("line %zu: %s", i, err.msg);
		if (strcmp(back.data, lines[i]) != 0)
			fail_msg("line %zu: got '%s', want '%s'", i,
			    back.data, lines[i]);
	}
	/* whitespace goes, types stay */
	buf_reset(&mp);
	buf_reset(&back);
	assert_int_equal(msg_from_json(" { \"a\" : [ 1 , 2.0 ] }\n", 23, &mp,
	    &e), 0);
	assert_int_equal(msg_to_json(mp.data, mp.len, &back, &err), 0);
	assert_string_equal(back.data, "{\"a\":[1,2.0]}");
	assert_int_equal(mp.len, 1 + 2 + 1 + 1 + 9);
	assert_memory_equal(mp.data, "\x81\xa1" "a\x92\x01\xcb", 6);
	buf_release(&mp);
	buf_release(&back);
}

static void
test_from_json_errors(void **state)
{
	static const struct {
		const char *json;
		enum msg_code code;
		const char *want;
	} bad[] = {
		{ "", MSG_NOT_JSON, "column" },
		{ "{\"id\":1,}", MSG_NOT_JSON, "at column 9" },
		{ "{\"a\":1} x", MSG_NOT_JSON, "end of file expected" },
		{ "{\"a\":1}{}", MSG_NOT_JSON, NULL },
		{ "{'a':1}", MSG_NOT_JSON, NULL },
		{ "[1,2", MSG_NOT_JSON, NULL },
		{ "{\"a\":NaN}", MSG_NOT_JSON, NULL },
		{ "{\"a\":\"\xff\"}", MSG_INVALID_UTF8, "0xff" },
		{ "{\"a\":\"ok\",\"b\":\"\xed\xa0\x80\"}", MSG_INVALID_UTF8,
		    NULL },
		{ "{\"a\":1,\"a\":2}", MSG_DUPLICATE_KEY, "duplicate" },
	};
	struct msg_error e;
	struct buf mp;
	size_t i;

	(void)state;
	buf_init(&mp);
	buf_addstr(&mp, "keep");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.code = MSG_OK;
		assert_int_equal(msg_from_json(bad[i].json,
		    strlen(bad[i].json), &mp, &e), -1);
		if (e.code != bad[i].code)
			fail_msg("'%s': got %s: %s", bad[i].json,
			    msg_code_name(e.code), e.detail);
		if (bad[i].want && strstr(e.detail, bad[i].want) == NULL)
			fail_msg("'%s': detail '%s' lacks '%s'", bad[i].json,
			    e.detail, bad[i].want);
		assert_int_equal(mp.len, 4);
	}
	buf_release(&mp);
}

/* The offline path: JSON line -> msgpack -> decode -> encode -> JSON. */
static void
test_offline_path(void **state)
{
	static const char line[] =
	    "{\"id\":7,\"title\":\"T\",\"text\":\"body\",\"tags\":[\"old\"],"
	    "\"src\":{\"k\":[1.5,null]}}";
	static const char want[] =
	    "{\"id\":7,\"title\":\"T\",\"text\":\"body\","
	    "\"src\":{\"k\":[1.5,null]},\"tags\":{\"sentiment\":{\"label\":"
	    "\"positive\",\"p\":0.625,\"scores\":{\"negative\":0.125,"
	    "\"neutral\":0.25,\"positive\":0.625},\"top\":[\"positive\","
	    "\"neutral\"],\"uncertain\":false},\"topic\":{\"label\":"
	    "\"business\",\"p\":0.75,\"scores\":{\"business\":0.75,"
	    "\"tech\":0.25},\"top\":[\"business\",\"tech\"],"
	    "\"uncertain\":false}},\"models\":{\"sentiment\":\"sentiment-v1\","
	    "\"topic\":\"topic-v7\"}}";
	struct msg_decoder *d = msg_decoder_new();
	struct msg_out_opts o = { .include_text = 1 };
	struct msg_limits lim;
	struct msg_article art;
	struct msg_error e;
	struct buf mp, out, json;
	struct err err;

	(void)state;
	buf_init(&mp);
	buf_init(&out);
	buf_init(&json);
	msg_limits_default(&lim);
	assert_int_equal(msg_from_json(line, strlen(line), &mp, &e), 0);
	assert_int_equal(msg_decode(d, mp.data, mp.len, &lim, &art, &e), 0);
	msg_encode_result(d, &fake_classifier_two, fake_results, 0, &o, &out);
	assert_int_equal(msg_to_json(out.data, out.len, &json, &err), 0);
	assert_string_equal(json.data, want);

	buf_reset(&mp);
	assert_int_equal(msg_from_json("[1]", 3, &mp, &e), 0);
	assert_int_equal(msg_decode(d, mp.data, mp.len, &lim, &art, &e), -1);
	assert_int_equal(e.code, MSG_NOT_A_MAP);
	buf_release(&mp);
	buf_release(&out);
	buf_release(&json);
	msg_decoder_destroy(&d);
}

/* ---- writer and reader ------------------------------------------------ */

static void
test_writer_reader(void **state)
{
	char s[16];
	uint64_t u;
	struct buf b;

	(void)state;
	buf_init(&b);
	msg_w_map(&b, 8);
	msg_w_str(&b, "cmd");
	msg_w_str(&b, "reload");
	msg_w_str(&b, "nested");
	msg_w_map(&b, 1);
	msg_w_str(&b, "n");
	msg_w_uint(&b, 99);
	msg_w_str(&b, "n");
	msg_w_uint(&b, 5);
	msg_w_str(&b, "neg");
	msg_w_int(&b, -3);
	msg_w_strn(&b, "d\0x", 3);
	msg_w_double(&b, 2.5);
	msg_w_str(&b, "raw");
	msg_w_raw(&b, "\x92\xc3\xc2", 3);
	msg_w_str(&b, "nul");
	msg_w_strn(&b, "a\0b", 3);
	msg_w_str(&b, "cmd");
	msg_w_str(&b, "second");
	expect_json(&b, "{\"cmd\":\"reload\",\"nested\":{\"n\":99},\"n\":5,"
	    "\"neg\":-3,\"d\\u0000x\":2.5,\"raw\":[true,false],"
	    "\"nul\":\"a\\u0000b\",\"cmd\":\"second\"}");

	assert_int_equal(msg_get_str(b.data, b.len, "cmd", s, sizeof(s)), 0);
	assert_string_equal(s, "reload");
	assert_int_equal(msg_get_str(b.data, b.len, "cmd", s, 7), 0);
	assert_int_equal(msg_get_str(b.data, b.len, "cmd", s, 6), -1);
	assert_string_equal(s, "");
	assert_int_equal(msg_get_str(b.data, b.len, "n", s, sizeof(s)), -1);
	assert_int_equal(msg_get_str(b.data, b.len, "nul", s, sizeof(s)), -1);
	assert_int_equal(msg_get_str(b.data, b.len, "none", s, sizeof(s)),
	    -1);
	assert_int_equal(msg_get_str(b.data, b.len, "cmd", s, 0), -1);
	assert_int_equal(msg_get_uint(b.data, b.len, "n", &u), 0);
	assert_int_equal(u, 5);
	assert_int_equal(msg_get_uint(b.data, b.len, "neg", &u), -1);
	assert_int_equal(msg_get_uint(b.data, b.len, "cmd", &u), -1);
	assert_int_equal(msg_get_uint(b.data, b.len, "d", &u), -1);
	assert_int_equal(msg_get_uint(b.data, b.len - 1, "n", &u), -1);
	buf_addch(&b, '\xc0');
	assert_int_equal(msg_get_uint(b.data, b.len, "n", &u), -1);

	buf_reset(&b);
	buf_add(&b, "\x82\xa1u\xd0\x05\xa1v\xcf\xff\xff\xff\xff\xff\xff\xff"
	    "\xff", 16);
	assert_int_equal(msg_get_uint(b.data, b.len, "u", &u), 0);
	assert_int_equal(u, 5);
	assert_int_equal(msg_get_uint(b.data, b.len, "v", &u), 0);
	assert_true(u == UINT64_MAX);
	buf_reset(&b);
	buf_add(&b, "\x81\xa1u\xd1\xff\xfe", 6);
	assert_int_equal(msg_get_uint(b.data, b.len, "u", &u), -1);
	assert_int_equal(msg_get_uint("\x91\x01", 2, "u", &u), -1);
	assert_int_equal(msg_get_uint("", 0, "u", &u), -1);
	buf_release(&b);
}

/* ---- random input ----------------------------------------------------- */

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Every entry point on these bytes: no crash, and consistent results. */
static void
poke(struct msg_decoder *d, const unsigned char *p, size_t n,
    unsigned long seed, int iter)
{
	static const struct msg_limits tiny = { 64, 8, 2, 2 };
	struct msg_out_opts o = { .include_text = 1, .with_seq = 1,
	    .seq = 1, .t_us = 2 };
	struct msg_limits lim;
	struct msg_article art;
	struct msg_error e;
	struct buf out, json;
	struct err err;
	int pass;

	buf_init(&out);
	buf_init(&json);
	msg_limits_default(&lim);
	for (pass = 0; pass < 2; pass++) {
		buf_reset(&out);
		buf_reset(&json);
		if (msg_decode(d, p, n, pass ? &tiny : &lim, &art, &e) == 0) {
			msg_encode_result(d, &fake_classifier_two,
			    fake_results, 0, &o, &out);
		} else {
			if (e.code <= MSG_OK || e.code >= MSG_NCODES ||
			    e.code == MSG_INTERNAL)
				fail_msg("seed %lu iteration %d: %s: %s", seed,
				    iter, msg_code_name(e.code), e.detail);
			msg_encode_error(d, &e, &o, &out);
		}
		if (msg_to_json(out.data, out.len, &json, &err) == -1)
			fail_msg("seed %lu iteration %d: output: %s", seed,
			    iter, err.msg);
	}
	buf_reset(&json);
	msg_to_json(p, n, &json, &err);
	buf_reset(&out);
	msg_from_json((const char *)p, n, &out, &e);
	buf_release(&out);
	buf_release(&json);
}

static void
test_random(void **state)
{
	static const unsigned char alphabet[] = {
		0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x8f, 0x90, 0x91, 0x9f,
		0xa0, 0xa2, 0xa4, 0xa5, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4,
		0xc7, 0xca, 0xcb, 0xcc, 0xcf, 0xd0, 0xd3, 0xd4, 0xd8, 0xd9,
		0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff, 'i', 'd', 't', 'e',
		'x', 'l', '{', '"', ':', '}', '[', ']',
	};
	struct msg_decoder *d = msg_decoder_new();
	unsigned char p[96];
	const char *env = getenv("NC_TEST_SEED");
	unsigned long seed = env ? strtoul(env, NULL, 10) : 20240611;
	uint64_t s = seed ? seed : 1;
	struct buf good;
	size_t n, i;
	int iter;

	(void)state;
	print_message("random seed %lu (NC_TEST_SEED)\n", seed);
	buf_init(&good);
	make_rich(&good);
	for (iter = 0; iter < 20000; iter++) {
		if (iter % 2 == 0) {
			n = rnd(&s) % sizeof(p);
			for (i = 0; i < n; i++)
				p[i] = iter % 4 == 0 ? (unsigned char)rnd(&s) :
				    alphabet[rnd(&s) % sizeof(alphabet)];
			poke(d, p, n, seed, iter);
		} else {
			/* a valid message, a few bytes changed, maybe cut */
			unsigned char *q = xmalloc(good.len);

			memcpy(q, good.data, good.len);
			for (i = rnd(&s) % 4; i < 4; i++)
				q[rnd(&s) % good.len] = (unsigned char)rnd(&s);
			n = rnd(&s) % 4 == 0 ? rnd(&s) % good.len : good.len;
			poke(d, q, n, seed, iter);
			free(q);
		}
	}
	buf_release(&good);
	msg_decoder_destroy(&d);
}

/* ---- "explain", "top", "uncertain", "why" ----------------------------- */

/* Decode the JSON text j (converted to msgpack); the msg_decode result. */
static int
decode_json(struct msg_decoder *d, const char *j, struct msg_article *art,
    struct msg_error *e)
{
	struct msg_limits lim;
	struct buf b;
	int rc;

	buf_init(&b);
	msg_limits_default(&lim);
	assert_int_equal(msg_from_json(j, strlen(j), &b, e), 0);
	rc = msg_decode(d, b.data, b.len, &lim, art, e);
	buf_release(&b);
	return rc;
}

static void
test_decode_explain(void **state)
{
	static const struct {
		const char *json;
		int explain;	/* -2: a bad_explain error */
		const char *detail;
	} cases[] = {
		{ "{\"id\":1,\"text\":\"a\"}", -1, NULL },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":null}", -1, NULL },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":0}", 0, NULL },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":5}", 5, NULL },
		{ "{\"explain\":32,\"id\":1,\"text\":\"a\"}", 32, NULL },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":33}", -2,
		    "field 'explain' is 33, expected an integer in 0..32" },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":-1}", -2,
		    "field 'explain' is -1, expected an integer in 0..32" },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":9223372036854775807}",
		    -2, NULL },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":2.0}", -2,
		    "field 'explain' must be an integer in 0..32, got float" },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":\"3\"}", -2,
		    "field 'explain' must be an integer in 0..32, got string" },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":true}", -2,
		    "field 'explain' must be an integer in 0..32, got "
		    "boolean" },
		{ "{\"id\":1,\"text\":\"a\",\"explain\":[1]}", -2, NULL },
	};
	struct msg_decoder *d = msg_decoder_new();
	struct msg_article art;
	struct msg_error e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = decode_json(d, cases[i].json, &art, &e);

		if (cases[i].explain == -2) {
			if (rc != -1 || e.code != MSG_BAD_EXPLAIN)
				fail_msg("%s: not bad_explain", cases[i].json);
			/* The error still carries the id. */
			assert_true(d->have_id);
			if (cases[i].detail)
				assert_string_equal(e.detail, cases[i].detail);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", cases[i].json, e.detail);
		assert_int_equal(art.explain, cases[i].explain);
	}
	/* Given twice (msgpack allows it; JSON input does not). */
	{
		struct msg_limits lim;
		struct buf b;

		buf_init(&b);
		msg_limits_default(&lim);
		msg_w_map(&b, 4);
		msg_w_str(&b, "id");
		msg_w_uint(&b, 1);
		msg_w_str(&b, "explain");
		msg_w_uint(&b, 1);
		msg_w_str(&b, "text");
		msg_w_str(&b, "a");
		msg_w_str(&b, "explain");
		msg_w_uint(&b, 2);
		assert_int_equal(msg_decode(d, b.data, b.len, &lim, &art, &e),
		    -1);
		assert_int_equal(e.code, MSG_DUPLICATE_KEY);
		assert_non_null(strstr(e.detail, "'explain'"));
		buf_release(&b);
	}
	assert_string_equal(msg_code_name(MSG_BAD_EXPLAIN), "bad_explain");
	msg_decoder_destroy(&d);
}

/* Encode fake results for {"id":1,"text":"a"} as JSON text into json. */
static void
encode_json(const struct classifier_out *res, size_t explain,
    const struct tags_conf *tc, struct buf *json)
{
	struct msg_decoder *d = msg_decoder_new();
	struct msg_out_opts o = { .include_text = 0, .tags = tc };
	struct msg_article art;
	struct msg_error e;
	struct buf out;
	struct err err;

	buf_init(&out);
	assert_int_equal(decode_json(d, "{\"id\":1,\"text\":\"a\"}", &art,
	    &e), 0);
	msg_encode_result(d, &fake_classifier_two, res, explain, &o, &out);
	buf_reset(json);
	assert_int_equal(msg_to_json(out.data, out.len, json, &err), 0);
	buf_release(&out);
	msg_decoder_destroy(&d);
}

static void
test_encode_top_uncertain(void **state)
{
	struct tags_conf tc;
	struct buf json;
	struct err err;

	(void)state;
	buf_init(&json);
	/* Defaults (NULL and tags_conf_default agree). */
	tags_conf_default(&tc);
	encode_json(fake_results, 0, &tc, &json);
	assert_string_equal(json.data, "{\"id\":1,\"tags\":{\"sentiment\":"
	    "{\"label\":\"positive\",\"p\":0.625,\"scores\":{\"negative\":"
	    "0.125,\"neutral\":0.25,\"positive\":0.625},\"top\":[\"positive\","
	    "\"neutral\"],\"uncertain\":false},\"topic\":{\"label\":"
	    "\"business\",\"p\":0.75,\"scores\":{\"business\":0.75,\"tech\":"
	    "0.25},\"top\":[\"business\",\"tech\"],\"uncertain\":false}},"
	    "\"models\":{\"sentiment\":\"sentiment-v1\",\"topic\":"
	    "\"topic-v7\"}}");
	/* The threshold is inclusive; per task; 0 lists every label. */
	assert_int_equal(tags_conf_set(&tc, "top_threshold", "0.25", "t",
	    &err), 0);
	assert_int_equal(tags_conf_set(&tc, "top_threshold.topic", "0.26",
	    "t", &err), 0);
	encode_json(fake_results, 0, &tc, &json);
	assert_non_null(strstr(json.data, "\"top\":[\"positive\","
	    "\"neutral\"]"));
	assert_non_null(strstr(json.data, "\"top\":[\"business\"]"));
	assert_int_equal(tags_conf_set(&tc, "top_threshold", "0", "t", &err),
	    0);
	encode_json(fake_results, 0, &tc, &json);
	assert_non_null(strstr(json.data, "\"top\":[\"positive\","
	    "\"neutral\",\"negative\"]"));
	/* Above the arg-max: the arg-max alone, never an empty list. */
	assert_int_equal(tags_conf_set(&tc, "top_threshold", "1", "t", &err),
	    0);
	encode_json(fake_results, 0, &tc, &json);
	assert_non_null(strstr(json.data, "\"top\":[\"positive\"]"));
	/* uncertain: p < floor, so p == floor is not uncertain. */
	assert_int_equal(tags_conf_set(&tc, "uncertain_below", "0.625", "t",
	    &err), 0);
	assert_int_equal(tags_conf_set(&tc, "uncertain_below.topic", "0.8",
	    "t", &err), 0);
	encode_json(fake_results, 0, &tc, &json);
	assert_non_null(strstr(json.data, "\"positive\"],\"uncertain\":"
	    "false}"));
	assert_non_null(strstr(json.data, "\"business\"],\"uncertain\":"
	    "true}"));
	assert_null(strstr(json.data, "\"why\""));
	buf_release(&json);
}

static void
test_encode_why(void **state)
{
	struct buf json;

	(void)state;
	buf_init(&json);
	/* Terms by feature id, in the order given, contributions exact;
	   a task that cannot explain has "why": null. */
	encode_json(fake_results_why, 3, NULL, &json);
	assert_non_null(strstr(json.data, "\"uncertain\":false,\"why\":"
	    "[[\"profit rose\",0.5],[\"caf\xc3\xa9 \\\"q\\\"\",0.25],"
	    "[\"gains\",0.125]]},\"topic\":"));
	assert_non_null(strstr(json.data, "\"uncertain\":false,\"why\":"
	    "null}},\"models\""));
	/* Explained with nothing to show: an empty list. */
	{
		const struct classifier_out none[] = {
			{ 2, fake_prob_sentiment, fake_why, 0, 1 },
			{ 0, fake_prob_topic, fake_why, 0, 1 },
		};

		encode_json(none, 1, NULL, &json);
		assert_non_null(strstr(json.data, "\"why\":[]},\"topic\""));
		assert_non_null(strstr(json.data, "\"why\":[]}},"));
	}
	buf_release(&json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_names),
		cmocka_unit_test(test_limits_default),
		cmocka_unit_test(test_decode_ok),
		cmocka_unit_test(test_decode_framing),
		cmocka_unit_test(test_decode_fields),
		cmocka_unit_test(test_decode_limits),
		cmocka_unit_test(test_decode_zone),
		cmocka_unit_test(test_encode_golden),
		cmocka_unit_test(test_encode_result),
		cmocka_unit_test(test_encode_error),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_to_json_scalars),
		cmocka_unit_test(test_to_json_strings),
		cmocka_unit_test(test_to_json_containers),
		cmocka_unit_test(test_from_json_roundtrip),
		cmocka_unit_test(test_from_json_errors),
		cmocka_unit_test(test_offline_path),
		cmocka_unit_test(test_writer_reader),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_decode_explain),
		cmocka_unit_test(test_encode_top_uncertain),
		cmocka_unit_test(test_encode_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
