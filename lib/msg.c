/*
 * msg.c - the wire codec: msgpack articles in, msgpack results out, and the
 * JSON <-> msgpack conversions of the offline path.
 *
 * Every msgpack input first goes through walk(), a small iterative header
 * walker that touches no heap.  It checks that the bytes hold one complete
 * object, that no container nests deeper than the limit or has more entries
 * than allowed, finds where the object ends (trailing bytes) and adds up
 * how much msgpack-c will take from its zone.  Only then does msgpack-c
 * unpack, so hostile headers ("a map of 4 billion entries" in ten bytes)
 * never reach its allocator, and input deeper than its fixed parse stack
 * (MSGPACK_EMBED_STACK_SIZE, 32) is reported as too deep rather than as a
 * parse error.  Depth counts the top map as 1 and is capped at 32, empty
 * containers included; msgpack-c itself lets an empty 33rd level through,
 * we do not.  Any disagreement between walker and msgpack-c is MSG_INTERNAL
 * (the fuzzer checks for it).
 *
 * The decoder copies the message into its own buffer (objects and the
 * article point into the copy, so the caller may drop its frame at once)
 * and unpacks with msgpack_unpack() into a zone it keeps: msgpack_unpack_next
 * would free and re-create a zone per message.  The zone's first chunk is
 * sized from the walker's figure and grows, doubling, up to ZONE_KEEP;
 * msgpack_zone_clear keeps that chunk, so in steady state a decode makes
 * no heap allocation.  Larger messages get extra chunks, freed at the next
 * decode.  The zone needs at most 48 bytes (one key/value pair) per entry,
 * so it is bounded by 48 times the message size.
 *
 * Output is written with msgpack_packer into a struct buf.  msg_to_json
 * recurses once per nesting level, which the walker bounds at 32.
 */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <msgpack.h>
#include <msgpack/unpack_define.h>

#include "msg.h"
#include "text.h"
#include "xalloc.h"

#define DEPTH_CAP 32			/* MSGPACK_EMBED_STACK_SIZE */
#define ZONE_MIN 8192			/* MSGPACK_ZONE_CHUNK_SIZE */
#define ZONE_KEEP (1024 * 1024)		/* largest zone chunk kept */

_Static_assert(MSGPACK_EMBED_STACK_SIZE >= DEPTH_CAP,
    "msgpack-c must unpack everything walk() lets through");

struct msg_decoder {
	struct buf bytes;	/* copy of the message; objects point into it */
	msgpack_zone zone;	/* valid if zone_size > 0 */
	size_t zone_size;
	msgpack_object root;	/* valid if decoded */
	msgpack_object id;	/* valid if have_id */
	int decoded;
	int have_id;
};

/* What walk() found out about one object. */
struct walk {
	size_t end;		/* offset just past it */
	uint64_t zone;		/* bytes msgpack_unpack takes from the zone */
};

/* One msgpack header. */
struct head {
	msgpack_object_type type;
	size_t hlen;		/* tag, length field, ext type, scalar value */
	uint64_t plen;		/* str, bin or ext data after hlen */
	uint32_t n;		/* entries of an array or map */
	uint64_t u;		/* value of a POSITIVE_INTEGER */
};

static const char *const code_names[MSG_NCODES] = {
	[MSG_OK] = "ok",
	[MSG_NOT_JSON] = "not_json",
	[MSG_NOT_MSGPACK] = "not_msgpack",
	[MSG_NOT_A_MAP] = "not_a_map",
	[MSG_MISSING_ID] = "missing_id",
	[MSG_MISSING_TEXT] = "missing_text",
	[MSG_BAD_TYPE] = "bad_type",
	[MSG_INVALID_UTF8] = "invalid_utf8",
	[MSG_TOO_LARGE] = "too_large",
	[MSG_TEXT_TOO_LONG] = "text_too_long",
	[MSG_TOO_DEEP] = "too_deep",
	[MSG_TOO_MANY_KEYS] = "too_many_keys",
	[MSG_DUPLICATE_KEY] = "duplicate_key",
	[MSG_MULTIPART] = "multipart",
	[MSG_TRAILING_BYTES] = "trailing_bytes",
	[MSG_BAD_EXPLAIN] = "bad_explain",
	[MSG_INTERNAL] = "internal",
};

const char *
msg_code_name(enum msg_code code)
{
	if ((unsigned)code >= MSG_NCODES)
		return "internal";
	return code_names[code];
}

void
msg_limits_default(struct msg_limits *l)
{
	l->max_bytes = 16 * 1024 * 1024;
	l->max_text = 4 * 1024 * 1024;
	l->max_depth = 32;
	l->max_items = 10000;
}

static int
msg_fail(struct msg_error *e, enum msg_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
msg_fail(struct msg_error *e, enum msg_code code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
type_name(msgpack_object_type t)
{
	switch (t) {
	case MSGPACK_OBJECT_NIL: return "nil";
	case MSGPACK_OBJECT_BOOLEAN: return "boolean";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "integer";
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return "float";
	case MSGPACK_OBJECT_STR: return "string";
	case MSGPACK_OBJECT_ARRAY: return "array";
	case MSGPACK_OBJECT_MAP: return "map";
	case MSGPACK_OBJECT_BIN: return "binary";
	case MSGPACK_OBJECT_EXT: return "extension";
	}
	return "unknown";
}

/* ---- walker ---------------------------------------------------------- */

static uint64_t
be_read(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Parse the header at p[0..avail).  0, -1 if it is cut short, -2 for the
 * byte 0xc1 that msgpack never uses.
 */
static int
head_read(const unsigned char *p, size_t avail, struct head *h)
{
	/* 0xc0..0xdf: type, header bytes, size of the length field in them */
	static const struct {
		unsigned char type, hlen, lenlen, plen;
	} tab[32] = {
		{ MSGPACK_OBJECT_NIL, 1, 0, 0 },		/* c0 */
		{ 0, 0, 0, 0 },					/* c1 */
		{ MSGPACK_OBJECT_BOOLEAN, 1, 0, 0 },
		{ MSGPACK_OBJECT_BOOLEAN, 1, 0, 0 },
		{ MSGPACK_OBJECT_BIN, 2, 1, 0 },		/* c4 */
		{ MSGPACK_OBJECT_BIN, 3, 2, 0 },
		{ MSGPACK_OBJECT_BIN, 5, 4, 0 },
		{ MSGPACK_OBJECT_EXT, 3, 1, 0 },		/* c7 */
		{ MSGPACK_OBJECT_EXT, 4, 2, 0 },
		{ MSGPACK_OBJECT_EXT, 6, 4, 0 },
		{ MSGPACK_OBJECT_FLOAT32, 5, 0, 0 },		/* ca */
		{ MSGPACK_OBJECT_FLOAT64, 9, 0, 0 },
		{ MSGPACK_OBJECT_POSITIVE_INTEGER, 2, 0, 0 },	/* cc */
		{ MSGPACK_OBJECT_POSITIVE_INTEGER, 3, 0, 0 },
		{ MSGPACK_OBJECT_POSITIVE_INTEGER, 5, 0, 0 },
		{ MSGPACK_OBJECT_POSITIVE_INTEGER, 9, 0, 0 },
		{ MSGPACK_OBJECT_NEGATIVE_INTEGER, 2, 0, 0 },	/* d0 */
		{ MSGPACK_OBJECT_NEGATIVE_INTEGER, 3, 0, 0 },
		{ MSGPACK_OBJECT_NEGATIVE_INTEGER, 5, 0, 0 },
		{ MSGPACK_OBJECT_NEGATIVE_INTEGER, 9, 0, 0 },
		{ MSGPACK_OBJECT_EXT, 2, 0, 1 },		/* d4 */
		{ MSGPACK_OBJECT_EXT, 2, 0, 2 },
		{ MSGPACK_OBJECT_EXT, 2, 0, 4 },
		{ MSGPACK_OBJECT_EXT, 2, 0, 8 },
		{ MSGPACK_OBJECT_EXT, 2, 0, 16 },
		{ MSGPACK_OBJECT_STR, 2, 1, 0 },		/* d9 */
		{ MSGPACK_OBJECT_STR, 3, 2, 0 },
		{ MSGPACK_OBJECT_STR, 5, 4, 0 },
		{ MSGPACK_OBJECT_ARRAY, 3, 2, 0 },		/* dc */
		{ MSGPACK_OBJECT_ARRAY, 5, 4, 0 },
		{ MSGPACK_OBJECT_MAP, 3, 2, 0 },		/* de */
		{ MSGPACK_OBJECT_MAP, 5, 4, 0 },
	};
	unsigned c;
	uint64_t v;

	if (avail == 0)
		return -1;
	c = p[0];
	h->hlen = 1;
	h->plen = 0;
	h->n = 0;
	h->u = 0;
	if (c <= 0x7f) {
		h->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
		h->u = c;
	} else if (c <= 0x8f) {
		h->type = MSGPACK_OBJECT_MAP;
		h->n = c & 0x0f;
	} else if (c <= 0x9f) {
		h->type = MSGPACK_OBJECT_ARRAY;
		h->n = c & 0x0f;
	} else if (c <= 0xbf) {
		h->type = MSGPACK_OBJECT_STR;
		h->plen = c & 0x1f;
	} else if (c >= 0xe0) {
		h->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
	} else if (c == 0xc1) {
		return -2;
	} else {
		h->type = (msgpack_object_type)tab[c - 0xc0].type;
		h->hlen = tab[c - 0xc0].hlen;
		h->plen = tab[c - 0xc0].plen;
		if (avail < h->hlen)
			return -1;
		v = be_read(p + 1, tab[c - 0xc0].lenlen);
		if (h->type == MSGPACK_OBJECT_ARRAY ||
		    h->type == MSGPACK_OBJECT_MAP)
			h->n = (uint32_t)v;
		else if (tab[c - 0xc0].lenlen)
			h->plen = v;
		if (c >= 0xcc && c <= 0xcf) {
			h->u = be_read(p + 1, h->hlen - 1);
		} else if (c >= 0xd0 && c <= 0xd3) {
			/* msgpack-c calls a signed value >= 0 positive too */
			v = be_read(p + 1, h->hlen - 1);
			if ((v >> (8 * (h->hlen - 1) - 1) & 1) == 0) {
				h->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
				h->u = v;
			}
		}
	}
	return 0;
}

/*
 * Walk the one object starting at p[off] within p[0..len), with at most
 * max_depth levels of containers (capped at DEPTH_CAP) and max_items
 * entries in each.  0 with w filled, or -1 with e set.
 */
static int
walk(const unsigned char *p, size_t len, size_t off, size_t max_depth,
    size_t max_items, struct walk *w, struct msg_error *e)
{
	uint64_t left[DEPTH_CAP];	/* children still to come, per level */
	uint64_t kids, zone = 0;
	size_t depth = 0, at, size;
	struct head h;
	int r;

	if (max_depth > DEPTH_CAP)
		max_depth = DEPTH_CAP;
	for (;;) {
		at = off;
		r = off < len ? head_read(p + off, len - off, &h) : -1;
		if (r == -2)
			return msg_fail(e, MSG_NOT_MSGPACK,
			    "invalid byte 0xc1 at byte %zu", off);
		if (r == -1 && len == 0)
			return msg_fail(e, MSG_NOT_MSGPACK, "message is empty");
		if (r == -1 || h.hlen > len - off ||
		    h.plen > len - off - h.hlen)
			goto truncated;
		off += h.hlen + (size_t)h.plen;
		if (h.type == MSGPACK_OBJECT_ARRAY ||
		    h.type == MSGPACK_OBJECT_MAP) {
			if (depth >= max_depth)
				return msg_fail(e, MSG_TOO_DEEP,
				    "nesting deeper than %zu levels at byte "
				    "%zu", max_depth, at);
			if (h.n > max_items)
				return msg_fail(e, MSG_TOO_MANY_KEYS,
				    "%s at byte %zu has %" PRIu32 " entries, "
				    "limit is %zu", type_name(h.type), at, h.n,
				    max_items);
			kids = h.n;
			size = sizeof(msgpack_object);
			if (h.type == MSGPACK_OBJECT_MAP) {
				kids *= 2;
				size = sizeof(msgpack_object_kv);
			}
			/* each child takes a byte at least */
			if (kids > len - off)
				goto truncated;
			zone += h.n * size + MSGPACK_ZONE_ALIGN - 1;
			if (kids > 0) {
				left[depth++] = kids;
				continue;
			}
		}
		while (depth > 0 && --left[depth - 1] == 0)
			depth--;
		if (depth == 0)
			break;
	}
	w->end = off;
	w->zone = zone;
	return 0;
truncated:
	return msg_fail(e, MSG_NOT_MSGPACK, "message is truncated at byte %zu",
	    len);
}

/* ---- decoder --------------------------------------------------------- */

struct msg_decoder *
msg_decoder_new(void)
{
	struct msg_decoder *d = xcalloc(1, sizeof(*d));

	buf_init(&d->bytes);
	return d;
}

void
msg_decoder_destroy(struct msg_decoder **dp)
{
	struct msg_decoder *d = *dp;

	if (d == NULL)
		return;
	if (d->zone_size)
		msgpack_zone_destroy(&d->zone);
	buf_release(&d->bytes);
	free(d);
	*dp = NULL;
}

/* Empty the zone, first growing its kept chunk towards need bytes. */
static int
decoder_zone(struct msg_decoder *d, uint64_t need)
{
	msgpack_zone z;
	size_t want;

	want = d->zone_size ? d->zone_size : ZONE_MIN;
	while (want < need && want < ZONE_KEEP)
		want *= 2;
	if (want == d->zone_size) {
		msgpack_zone_clear(&d->zone);
		return 0;
	}
	if (!msgpack_zone_init(&z, want)) {
		if (d->zone_size == 0)
			return -1;
		msgpack_zone_clear(&d->zone);
		return 0;	/* msgpack-c will find memory, or fail */
	}
	if (d->zone_size)
		msgpack_zone_destroy(&d->zone);
	d->zone = z;
	d->zone_size = want;
	return 0;
}

static int
key_is(const msgpack_object *k, const char *s)
{
	size_t n = strlen(s);

	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
	    memcmp(k->via.str.ptr, s, n) == 0;
}

/* title or text: nil or absent is "", else a string. */
static int
text_field(const msgpack_object *v, const char *name, const char **p,
    size_t *n, struct msg_error *e)
{
	*p = "";
	*n = 0;
	if (v == NULL || v->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (v->type != MSGPACK_OBJECT_STR)
		return msg_fail(e, MSG_BAD_TYPE,
		    "field '%s' must be a string, got %s", name,
		    type_name(v->type));
	if (v->via.str.size > 0) {
		*p = v->via.str.ptr;
		*n = v->via.str.size;
	}
	return 0;
}

static int
utf8_field(const char *p, size_t n, const char *name, struct msg_error *e)
{
	size_t bad;

	if (text_check_utf8(p, n, &bad) == -1)
		return msg_fail(e, MSG_INVALID_UTF8,
		    "field '%s' is not valid UTF-8 at byte %zu", name, bad);
	return 0;
}

enum { F_ID, F_TITLE, F_TEXT, F_EXPLAIN, F_N };

/* "explain": nil or absent is -1, else an integer in 0..WHY_MAX. */
static int
explain_field(const msgpack_object *v, int *out, struct msg_error *e)
{
	*out = -1;
	if (v == NULL || v->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    v->via.u64 <= CLASSIFIER_WHY_MAX) {
		*out = (int)v->via.u64;
		return 0;
	}
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return msg_fail(e, MSG_BAD_EXPLAIN, "field 'explain' is "
		    "%" PRIu64 ", expected an integer in 0..%d", v->via.u64,
		    CLASSIFIER_WHY_MAX);
	if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return msg_fail(e, MSG_BAD_EXPLAIN, "field 'explain' is "
		    "%" PRId64 ", expected an integer in 0..%d", v->via.i64,
		    CLASSIFIER_WHY_MAX);
	return msg_fail(e, MSG_BAD_EXPLAIN, "field 'explain' must be an "
	    "integer in 0..%d, got %s", CLASSIFIER_WHY_MAX,
	    type_name(v->type));
}

static int
decode_fields(struct msg_decoder *d, const struct msg_limits *lim,
    struct msg_article *art, struct msg_error *e)
{
	static const char *const names[F_N] = {
		"id", "title", "text", "explain"
	};
	const msgpack_object_map *m = &d->root.via.map;
	const msgpack_object *f[F_N] = { NULL, NULL, NULL, NULL };
	const msgpack_object *id;
	int dup[F_N] = { 0, 0, 0, 0 };
	const char *tp, *xp;
	size_t tn, xn;
	uint32_t i;
	int j;

	for (i = 0; i < m->size; i++) {
		for (j = 0; j < F_N; j++) {
			if (!key_is(&m->ptr[i].key, names[j]))
				continue;
			if (f[j])
				dup[j] = 1;
			else
				f[j] = &m->ptr[i].val;
		}
	}
	if (dup[F_ID])
		return msg_fail(e, MSG_DUPLICATE_KEY,
		    "key 'id' appears more than once");
	id = f[F_ID];
	if (id == NULL)
		return msg_fail(e, MSG_MISSING_ID, "field 'id' is missing");
	if (id->type == MSGPACK_OBJECT_NIL ||
	    (id->type == MSGPACK_OBJECT_STR && id->via.str.size == 0))
		return msg_fail(e, MSG_MISSING_ID, "field 'id' is %s",
		    id->type == MSGPACK_OBJECT_NIL ? "nil" : "empty");
	if (id->type != MSGPACK_OBJECT_STR &&
	    id->type != MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    id->type != MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return msg_fail(e, MSG_BAD_TYPE,
		    "field 'id' must be a string or an integer, got %s",
		    type_name(id->type));
	if (id->type == MSGPACK_OBJECT_STR &&
	    utf8_field(id->via.str.ptr, id->via.str.size, "id", e) == -1)
		return -1;
	d->id = *id;
	d->have_id = 1;

	for (j = F_TITLE; j <= F_TEXT; j++)
		if (dup[j])
			return msg_fail(e, MSG_DUPLICATE_KEY,
			    "key '%s' appears more than once", names[j]);
	if (text_field(f[F_TITLE], "title", &tp, &tn, e) == -1 ||
	    text_field(f[F_TEXT], "text", &xp, &xn, e) == -1)
		return -1;
	if (tn == 0 && xn == 0)
		return msg_fail(e, MSG_MISSING_TEXT,
		    "message has no non-empty 'title' or 'text'");
	if (tn + xn > lim->max_text)
		return msg_fail(e, MSG_TEXT_TOO_LONG,
		    "title and text are %zu bytes, limit is %zu", tn + xn,
		    lim->max_text);
	if (utf8_field(tp, tn, "title", e) == -1 ||
	    utf8_field(xp, xn, "text", e) == -1)
		return -1;
	if (dup[F_EXPLAIN])
		return msg_fail(e, MSG_DUPLICATE_KEY,
		    "key 'explain' appears more than once");
	if (explain_field(f[F_EXPLAIN], &art->explain, e) == -1)
		return -1;
	art->title = tp;
	art->tlen = tn;
	art->text = xp;
	art->xlen = xn;
	return 0;
}

int
msg_decode(struct msg_decoder *d, const void *data, size_t len,
    const struct msg_limits *lim, struct msg_article *art,
    struct msg_error *e)
{
	struct walk w;
	msgpack_unpack_return r;
	size_t off = 0;

	d->decoded = 0;
	d->have_id = 0;
	if (len > lim->max_bytes)
		return msg_fail(e, MSG_TOO_LARGE,
		    "message is %zu bytes, limit is %zu", len, lim->max_bytes);
	if (walk(data, len, 0, lim->max_depth, lim->max_items, &w, e) == -1)
		return -1;
	if (w.end < len)
		return msg_fail(e, MSG_TRAILING_BYTES,
		    "%zu bytes follow the message", len - w.end);
	/* Keep the copy buffer only up to MSG_KEEP_BYTES between messages. */
	if (d->bytes.cap > MSG_KEEP_BYTES && len <= MSG_KEEP_BYTES)
		buf_release(&d->bytes);
	buf_reset(&d->bytes);
	buf_add(&d->bytes, data, len);
	if (decoder_zone(d, w.zone) == -1)
		return msg_fail(e, MSG_INTERNAL, "out of memory");
	r = msgpack_unpack(d->bytes.data, len, &off, &d->zone, &d->root);
	if (r != MSGPACK_UNPACK_SUCCESS || off != len)
		return msg_fail(e, MSG_INTERNAL,
		    "msgpack-c cannot unpack a checked message (%d)", (int)r);
	if (d->root.type != MSGPACK_OBJECT_MAP)
		return msg_fail(e, MSG_NOT_A_MAP,
		    "message must be a map, got %s", type_name(d->root.type));
	if (decode_fields(d, lim, art, e) == -1)
		return -1;
	d->decoded = 1;
	return 0;
}

/* ---- encoder --------------------------------------------------------- */

static int
buf_write(void *data, const char *p, size_t len)
{
	buf_add(data, p, len);
	return 0;
}

static void
pack_cstr(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

/* Keys of the input that the output does not pass through. */
static int
key_dropped(const msgpack_object *k, int include_text)
{
	return key_is(k, "tags") || key_is(k, "models") || key_is(k, "seq") ||
	    key_is(k, "t_us") ||
	    (!include_text && (key_is(k, "title") || key_is(k, "text")));
}

/* Pack key: uint64 at fixed width, returning where its 8 bytes are. */
static size_t
pack_patchable(msgpack_packer *pk, struct buf *out, const char *key,
    uint64_t v)
{
	pack_cstr(pk, key);
	msgpack_pack_fix_uint64(pk, v);
	return out->len - 8;
}

/* The "top" array of one task: labels with p >= threshold, best first. */
static void
pack_top(msgpack_packer *pk, const struct bundle *b,
    const struct classifier_out *r, double threshold)
{
	size_t nl = bundle_nlabels(b);
	int i = -1;

	msgpack_pack_array(pk, tags_top_count(r->prob, nl, r->label,
	    threshold));
	while ((i = tags_top_next(r->prob, nl, r->label, threshold, i)) >= 0)
		pack_cstr(pk, bundle_label(b, (size_t)i));
}

/* The "why" array: [term, contribution] pairs, or nil if unexplained. */
static void
pack_why(msgpack_packer *pk, const struct bundle *b,
    const struct classifier_out *r)
{
	const struct feat_vocab *v = bundle_vocab(b);
	size_t i;

	if (!r->explained) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_array(pk, r->nwhy);
	for (i = 0; i < r->nwhy; i++) {
		msgpack_pack_array(pk, 2);
		pack_cstr(pk, feat_vocab_term(v, (size_t)r->why[i].feature));
		msgpack_pack_double(pk, r->why[i].contrib);
	}
}

void
msg_encode_result(const struct msg_decoder *d, const struct classifier *c,
    const struct classifier_out *res, size_t explain, struct msg_out_opts *o,
    struct buf *out)
{
	const msgpack_object_map *m = &d->root.via.map;
	const struct bundle *b;
	msgpack_packer pk;
	size_t i, j, nt, nl, n = 2;

	assert(d->decoded);
	msgpack_packer_init(&pk, out, buf_write);
	for (i = 0; i < m->size; i++)
		if (!key_dropped(&m->ptr[i].key, o->include_text))
			n++;
	if (o->with_seq)
		n += 2;
	assert(n <= UINT32_MAX);
	msgpack_pack_map(&pk, n);
	for (i = 0; i < m->size; i++) {
		if (key_dropped(&m->ptr[i].key, o->include_text))
			continue;
		msgpack_pack_object(&pk, m->ptr[i].key);
		msgpack_pack_object(&pk, m->ptr[i].val);
	}

	nt = classifier_ntasks(c);
	pack_cstr(&pk, "tags");
	msgpack_pack_map(&pk, nt);
	for (i = 0; i < nt; i++) {
		b = classifier_bundle(c, i);
		nl = bundle_nlabels(b);
		assert(res[i].label >= 0 && (size_t)res[i].label < nl);
		pack_cstr(&pk, bundle_task(b));
		msgpack_pack_map(&pk, explain > 0 ? 6 : 5);
		pack_cstr(&pk, "label");
		pack_cstr(&pk, bundle_label(b, (size_t)res[i].label));
		pack_cstr(&pk, "p");
		msgpack_pack_double(&pk, res[i].prob[res[i].label]);
		pack_cstr(&pk, "scores");
		msgpack_pack_map(&pk, nl);
		for (j = 0; j < nl; j++) {
			pack_cstr(&pk, bundle_label(b, j));
			msgpack_pack_double(&pk, res[i].prob[j]);
		}
		pack_cstr(&pk, "top");
		pack_top(&pk, b, &res[i], tags_top_threshold(o->tags,
		    bundle_task(b)));
		pack_cstr(&pk, "uncertain");
		if (res[i].prob[res[i].label] < tags_uncertain_below(o->tags,
		    bundle_task(b)))
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		if (explain > 0) {
			pack_cstr(&pk, "why");
			pack_why(&pk, b, &res[i]);
		}
	}
	pack_cstr(&pk, "models");
	msgpack_pack_map(&pk, nt);
	for (i = 0; i < nt; i++) {
		b = classifier_bundle(c, i);
		pack_cstr(&pk, bundle_task(b));
		pack_cstr(&pk, bundle_version(b));
	}
	o->seq_at = MSG_NO_OFFSET;
	o->t_us_at = MSG_NO_OFFSET;
	if (o->with_seq) {
		o->seq_at = pack_patchable(&pk, out, "seq", o->seq);
		o->t_us_at = pack_patchable(&pk, out, "t_us", o->t_us);
	}
}

void
msg_encode_error(const struct msg_decoder *d, const struct msg_error *e,
    struct msg_out_opts *o, struct buf *out)
{
	int have_id = d != NULL && d->have_id;
	msgpack_packer pk;

	msgpack_packer_init(&pk, out, buf_write);
	msgpack_pack_map(&pk, 2 + (have_id ? 1 : 0) + (o->with_seq ? 1 : 0));
	if (have_id) {
		pack_cstr(&pk, "id");
		msgpack_pack_object(&pk, d->id);
	}
	o->seq_at = MSG_NO_OFFSET;
	o->t_us_at = MSG_NO_OFFSET;
	if (o->with_seq)
		o->seq_at = pack_patchable(&pk, out, "seq", o->seq);
	pack_cstr(&pk, "error");
	pack_cstr(&pk, msg_code_name(e->code));
	pack_cstr(&pk, "detail");
	msgpack_pack_str(&pk, strnlen(e->detail, sizeof(e->detail)));
	msgpack_pack_str_body(&pk, e->detail,
	    strnlen(e->detail, sizeof(e->detail)));
}

void
msg_envelope(const struct classifier *c, const struct classifier_out *res,
    const size_t *order, size_t n, struct buf *out)
{
	const struct bundle *b;
	size_t i;

	for (i = 0; i < n; i++) {
		b = classifier_bundle(c, order[i]);
		if (i > 0)
			buf_addch(out, '.');
		buf_addstr(out, bundle_label(b, (size_t)res[order[i]].label));
	}
}

/* ---- writer ---------------------------------------------------------- */

void
msg_w_map(struct buf *b, uint32_t n)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_map(&pk, n);
}

void
msg_w_array(struct buf *b, uint32_t n)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_array(&pk, n);
}

void
msg_w_str(struct buf *b, const char *s)
{
	msg_w_strn(b, s, strlen(s));
}

void
msg_w_strn(struct buf *b, const char *s, size_t len)
{
	msgpack_packer pk;

	assert(len <= UINT32_MAX);
	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_str(&pk, len);
	msgpack_pack_str_body(&pk, s, len);
}

void
msg_w_uint(struct buf *b, uint64_t v)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_uint64(&pk, v);
}

void
msg_w_int(struct buf *b, int64_t v)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_int64(&pk, v);
}

void
msg_w_double(struct buf *b, double v)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_double(&pk, v);
}

void
msg_w_bool(struct buf *b, int v)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, buf_write);
	if (v)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
}

void
msg_w_nil(struct buf *b)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, b, buf_write);
	msgpack_pack_nil(&pk);
}

void
msg_w_raw(struct buf *b, const void *data, size_t len)
{
	buf_add(b, data, len);
}

/* ---- reader ---------------------------------------------------------- */

/*
 * Find the value of the first entry with the string key in the map that
 * data holds; its offset into data and header in *h.  -1 if there is none.
 */
static int
map_find(const void *data, size_t len, const char *key, size_t *at,
    struct head *h)
{
	const unsigned char *p = data;
	size_t klen = strlen(key), off;
	struct msg_error e;
	struct walk w;
	uint32_t i, n;

	if (walk(p, len, 0, DEPTH_CAP, SIZE_MAX, &w, &e) == -1 ||
	    w.end != len || head_read(p, len, h) != 0 ||
	    h->type != MSGPACK_OBJECT_MAP)
		return -1;
	n = h->n;
	off = h->hlen;
	for (i = 0; i < n; i++) {
		/* the whole map was walked: headers and skips stay inside */
		head_read(p + off, len - off, h);
		if (h->type == MSGPACK_OBJECT_STR && h->plen == klen &&
		    memcmp(p + off + h->hlen, key, klen) == 0) {
			off += h->hlen + klen;
			head_read(p + off, len - off, h);
			*at = off;
			return 0;
		}
		walk(p, len, off, DEPTH_CAP, SIZE_MAX, &w, &e);
		walk(p, len, w.end, DEPTH_CAP, SIZE_MAX, &w, &e);
		off = w.end;
	}
	return -1;
}

int
msg_get_str(const void *data, size_t len, const char *key, char *out,
    size_t outsz)
{
	const char *s;
	struct head h;
	size_t at;

	if (outsz > 0)
		out[0] = '\0';
	if (map_find(data, len, key, &at, &h) == -1 ||
	    h.type != MSGPACK_OBJECT_STR || h.plen >= outsz)
		return -1;
	s = (const char *)data + at + h.hlen;
	if (memchr(s, '\0', h.plen) != NULL)
		return -1;
	memcpy(out, s, h.plen);
	out[h.plen] = '\0';
	return 0;
}

int
msg_get_uint(const void *data, size_t len, const char *key, uint64_t *out)
{
	struct head h;
	size_t at;

	if (map_find(data, len, key, &at, &h) == -1 ||
	    h.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*out = h.u;
	return 0;
}

/* ---- msgpack to JSON ------------------------------------------------- */

/*
 * Length of the valid UTF-8 sequence at s[0..n) (lead byte >= 0x80), or 0
 * with *bad set to the length of its maximal invalid prefix (at least 1),
 * which becomes one U+FFFD as Unicode recommends.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*bad = 1;
		return 0;
	}
	for (k = 1; k <= need; k++) {
		if (k >= n || s[k] < lo || s[k] > hi) {
			*bad = k;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

static void
jw_string(struct buf *out, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, k, bad;
	char esc[7];

	buf_addch(out, '"');
	while (i < n) {
		if (s[i] >= 0x80) {
			k = utf8_seq(s + i, n - i, &bad);
			if (k > 0) {
				i += k;
				continue;
			}
			buf_add(out, s + run, i - run);
			buf_add(out, "\xef\xbf\xbd", 3);
			i += bad;
			run = i;
			continue;
		}
		if (s[i] >= 0x20 && s[i] != '"' && s[i] != '\\') {
			i++;
			continue;
		}
		buf_add(out, s + run, i - run);
		esc[0] = '\\';
		esc[2] = '\0';
		switch (s[i]) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 15];
			esc[6] = '\0';
			break;
		}
		buf_addstr(out, esc);
		run = ++i;
	}
	if (run < n)	/* an empty string may have no pointer */
		buf_add(out, s + run, n - run);
	buf_addch(out, '"');
}

static void
jw_base64(struct buf *out, const char *data, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)data;
	uint32_t v;
	size_t i;
	char q[4];

	buf_grow(out, n / 3 * 4 + 6);
	buf_addch(out, '"');
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = b64[v >> 18];
		q[1] = b64[v >> 12 & 63];
		q[2] = b64[v >> 6 & 63];
		q[3] = b64[v & 63];
		buf_add(out, q, 4);
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		q[0] = b64[v >> 18];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = '=';
		buf_add(out, q, 4);
	}
	buf_addch(out, '"');
}

/*
 * The shortest %g form that reads back as the same value (as a float for
 * float32), with ".0" added to integral forms so that JSON readers keep it
 * a float.  NaN and infinities have no JSON form: null.
 */
static void
jw_number(struct buf *out, double v, int single)
{
	char s[40];
	int prec;

	if (!isfinite(v)) {
		buf_addstr(out, "null");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, v);
		if (single ? strtof(s, NULL) == (float)v : strtod(s, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(s, sizeof(s), "%.17g", v);
	buf_addstr(out, s);
	if (s[strspn(s, "-0123456789")] == '\0')
		buf_addstr(out, ".0");
}

static void jw_value(struct buf *out, const msgpack_object *o, int in_key);

/*
 * A key that is not a string becomes its JSON text, quoted.  Inside that
 * text, keys that are not strings stay unquoted: quoting them again at every
 * level would double the backslashes per level, and 30 levels of maps used
 * as keys of maps would print gigabytes.
 */
static void
jw_key(struct buf *out, const msgpack_object *k, int in_key)
{
	struct buf tmp;

	switch (k->type) {
	case MSGPACK_OBJECT_STR:
		jw_string(out, k->via.str.ptr, k->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
	case MSGPACK_OBJECT_EXT:
		jw_value(out, k, in_key);
		break;
	default:
		if (in_key) {
			jw_value(out, k, in_key);
			break;
		}
		buf_init(&tmp);
		jw_value(&tmp, k, 1);
		jw_string(out, tmp.data, tmp.len);
		buf_release(&tmp);
		break;
	}
}

static void
jw_value(struct buf *out, const msgpack_object *o, int in_key)
{
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		buf_addstr(out, "null");
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		buf_addstr(out, o->via.boolean ? "true" : "false");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		buf_addf(out, "%" PRIu64, o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		buf_addf(out, "%" PRId64, o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
		jw_number(out, o->via.f64, 1);
		break;
	case MSGPACK_OBJECT_FLOAT64:
		jw_number(out, o->via.f64, 0);
		break;
	case MSGPACK_OBJECT_STR:
		jw_string(out, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		jw_base64(out, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_EXT:
		jw_base64(out, o->via.ext.ptr, o->via.ext.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		buf_addch(out, '[');
		for (i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				buf_addch(out, ',');
			jw_value(out, &o->via.array.ptr[i], in_key);
		}
		buf_addch(out, ']');
		break;
	case MSGPACK_OBJECT_MAP:
		buf_addch(out, '{');
		for (i = 0; i < o->via.map.size; i++) {
			if (i > 0)
				buf_addch(out, ',');
			jw_key(out, &o->via.map.ptr[i].key, in_key);
			buf_addch(out, ':');
			jw_value(out, &o->via.map.ptr[i].val, in_key);
		}
		buf_addch(out, '}');
		break;
	}
}

int
msg_to_json(const void *data, size_t len, struct buf *out, struct err *err)
{
	struct msg_error e;
	msgpack_zone zone;
	msgpack_object o;
	msgpack_unpack_return r;
	struct walk w;
	size_t off = 0;

	if (walk(data, len, 0, DEPTH_CAP, SIZE_MAX, &w, &e) == -1)
		return err_set(err, "%s: %s", e.code == MSG_TOO_DEEP ?
		    "too deep" : "not msgpack", e.detail);
	if (w.end < len)
		return err_set(err, "trailing bytes: %zu follow the object",
		    len - w.end);
	if (!msgpack_zone_init(&zone, w.zone < ZONE_MIN ? ZONE_MIN :
	    (size_t)w.zone))
		return err_set(err, "out of memory");
	r = msgpack_unpack(data, len, &off, &zone, &o);
	if (r != MSGPACK_UNPACK_SUCCESS) {
		msgpack_zone_destroy(&zone);
		return err_set(err, "not msgpack: msgpack-c error %d", (int)r);
	}
	jw_value(out, &o, 0);
	msgpack_zone_destroy(&zone);
	return 0;
}

/* ---- JSON to msgpack ------------------------------------------------- */

/* An open JSON container: an object with its iterator or an array. */
struct jframe {
	json_t *v;
	void *iter;
	size_t i;
};

/* Pack one JSON scalar, or the header of a container. */
static void
pack_json_head(msgpack_packer *pk, json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(v));
		break;
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(v));
		break;
	case JSON_STRING:
		msgpack_pack_str(pk, json_string_length(v));
		msgpack_pack_str_body(pk, json_string_value(v),
		    json_string_length(v));
		break;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(v));
		break;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(v));
		break;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		break;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		break;
	case JSON_NULL:
		msgpack_pack_nil(pk);
		break;
	}
}

/* Iterative, since jansson allows 2048 levels of nesting. */
static void
pack_json(msgpack_packer *pk, json_t *root)
{
	struct jframe *st = NULL, *f;
	size_t n = 0, cap = 0;
	json_t *v = root;
	const char *k;

	while (v != NULL) {
		pack_json_head(pk, v);
		if (json_is_object(v) || json_is_array(v)) {
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				st = xreallocarray(st, cap, sizeof(*st));
			}
			st[n].v = v;
			st[n].iter = json_object_iter(v);
			st[n].i = 0;
			n++;
		}
		v = NULL;
		while (n > 0 && v == NULL) {
			f = &st[n - 1];
			if (json_is_object(f->v) && f->iter != NULL) {
				k = json_object_iter_key(f->iter);
				msgpack_pack_str(pk,
				    json_object_iter_key_len(f->iter));
				msgpack_pack_str_body(pk, k,
				    json_object_iter_key_len(f->iter));
				v = json_object_iter_value(f->iter);
				f->iter = json_object_iter_next(f->v, f->iter);
			} else if (json_is_array(f->v) &&
			    f->i < json_array_size(f->v)) {
				v = json_array_get(f->v, f->i++);
			} else {
				n--;
			}
		}
	}
	free(st);
}

int
msg_from_json(const char *json, size_t len, struct buf *out,
    struct msg_error *e)
{
	json_error_t je;
	msgpack_packer pk;
	json_t *root;

	root = json_loadb(json, len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
	    JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		switch (json_error_code(&je)) {
		case json_error_invalid_utf8:
			return msg_fail(e, MSG_INVALID_UTF8,
			    "%s at byte %d", je.text, je.position);
		case json_error_duplicate_key:
			return msg_fail(e, MSG_DUPLICATE_KEY,
			    "%s at column %d", je.text, je.column);
		default:
			return msg_fail(e, MSG_NOT_JSON, "%s at column %d",
			    je.text, je.column);
		}
	}
	msgpack_packer_init(&pk, out, buf_write);
	pack_json(&pk, root);
	json_decref(root);
	return 0;
}
