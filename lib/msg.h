/*
 * msg.h - the wire codec: msgpack articles in, msgpack results out.  The only
 * module that includes msgpack.h.
 *
 * Input: one msgpack map.  "id" (string or integer) is required; "title" and
 * "text" are UTF-8 strings (nil counts as absent), at least one non-empty;
 * "explain" (optional, nil counts as absent) is an integer in
 * 0..CLASSIFIER_WHY_MAX; every other key is passed through, "explain" too.
 * Output: the input map (minus any "tags", "models", "seq", "t_us" keys it
 * had, and minus title/text when include_text is off) followed by "tags",
 * "models" and, for the daemon, "seq" and "t_us".  Each task's tag is
 * {"label", "p", "scores", "top", "uncertain"} plus "why" when asked for
 * (tags.h).  Errors: a map {"id"?, "seq"?, "error", "detail"}.
 *
 * The offline classifier reuses this exact path: a JSON line is converted to
 * msgpack (msg_from_json), decoded, scored and encoded like a wire message,
 * and the result converted back to JSON (msg_to_json).
 *
 * A decoder holds the parsed message; it is per thread and reused, so that
 * decoding makes no heap allocation once its buffers have grown.
 */
#ifndef NC_MSG_H
#define NC_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "classifier.h"
#include "err.h"
#include "tags.h"

enum msg_code {
	MSG_OK = 0,
	MSG_NOT_JSON,		/* offline input line is not JSON */
	MSG_NOT_MSGPACK,	/* not msgpack, or truncated */
	MSG_NOT_A_MAP,
	MSG_MISSING_ID,
	MSG_MISSING_TEXT,	/* neither a non-empty title nor text */
	MSG_BAD_TYPE,		/* detail names the field */
	MSG_INVALID_UTF8,
	MSG_TOO_LARGE,		/* message above max_bytes */
	MSG_TEXT_TOO_LONG,	/* title + text above max_text */
	MSG_TOO_DEEP,		/* nesting above max_depth */
	MSG_TOO_MANY_KEYS,	/* a map or array above max_items */
	MSG_DUPLICATE_KEY,	/* "id", "title" or "text" given twice */
	MSG_MULTIPART,
	MSG_TRAILING_BYTES,
	MSG_BAD_EXPLAIN,	/* "explain" not an integer in 0..32 */
	MSG_INTERNAL,
	MSG_NCODES
};

/* Wire name of a code ("not_msgpack", ...). */
const char *msg_code_name(enum msg_code code);

struct msg_error {
	enum msg_code code;
	char detail[256];
};

struct msg_limits {
	size_t max_bytes;	/* whole message */
	size_t max_text;	/* title + text bytes */
	size_t max_depth;	/* nesting, the top map being 1; at most 32 */
	size_t max_items;	/* entries (pairs for maps) of any container */
};

/* 16 MiB message, 4 MiB text, depth 32, 10,000 items. */
void msg_limits_default(struct msg_limits *l);

struct msg_article {
	const char *title;	/* points into the decoder; "" if absent */
	size_t tlen;
	const char *text;
	size_t xlen;
	int explain;		/* "why" terms asked for; -1 if not said */
};

struct msg_decoder;

/*
 * Buffers that grew beyond this for a large message are given back once
 * smaller messages follow, so a rare huge article does not pin its size
 * in every thread for good.
 */
#define MSG_KEEP_BYTES ((size_t)1 << 20)

struct msg_decoder *msg_decoder_new(void);
void msg_decoder_destroy(struct msg_decoder **dp);

/*
 * Decode and check one message.  On success fills art (valid until the next
 * decode) and returns 0.  On failure returns -1 and fills e; the decoder
 * still remembers the id if one could be read, for msg_encode_error.
 */
int msg_decode(struct msg_decoder *d, const void *data, size_t len,
    const struct msg_limits *lim, struct msg_article *art,
    struct msg_error *e);

struct msg_out_opts {
	int include_text;	/* keep title/text in the output */
	/* top, uncertain and explain settings; NULL: the defaults */
	const struct tags_conf *tags;
	int with_seq;		/* add "seq" (and "t_us") */
	uint64_t seq;
	uint64_t t_us;
	/*
	 * Set by the encoders: where in out the 8 big-endian value bytes of
	 * "seq" and "t_us" went (they are always written as uint64, 0xcf and
	 * 8 bytes, so that the daemon can patch them when it publishes), or
	 * MSG_NO_OFFSET if that key was not written.
	 */
	size_t seq_at;
	size_t t_us_at;
};

#define MSG_NO_OFFSET ((size_t)-1)

/*
 * Append to out the result map for the message last decoded by d, with the
 * "tags" of every task of c from res (top and uncertain from o->tags; "why"
 * for every task if explain > 0: the terms of res[i].why, or nil where
 * res[i].explained is 0) and the "models" versions.
 */
void msg_encode_result(const struct msg_decoder *d, const struct classifier *c,
    const struct classifier_out *res, size_t explain, struct msg_out_opts *o,
    struct buf *out);

/*
 * Append to out the error map for e (with the id d remembered, if any).  d
 * may be NULL for errors found before decoding (MSG_MULTIPART): no id.
 */
void msg_encode_error(const struct msg_decoder *d, const struct msg_error *e,
    struct msg_out_opts *o, struct buf *out);

/*
 * Append the envelope: the labels of tasks order[0..n) joined by ".".
 */
void msg_envelope(const struct classifier *c, const struct classifier_out *res,
    const size_t *order, size_t n, struct buf *out);

/*
 * Convert one JSON text (a line of JSON Lines) to msgpack, appended to out.
 * Any JSON value is converted (a non-object then fails msg_decode with
 * MSG_NOT_A_MAP); object keys keep their order.  -1 with MSG_NOT_JSON,
 * MSG_INVALID_UTF8, or MSG_DUPLICATE_KEY (an object repeats a key) if it
 * does not parse; out is then unchanged.
 */
int msg_from_json(const char *json, size_t len, struct buf *out,
    struct msg_error *e);

/*
 * Convert one msgpack object to compact JSON text appended to out (no
 * newline).  Floats print in the shortest form that reads back exactly;
 * bin and ext become base64 strings; non-string map keys are printed as
 * JSON and quoted; invalid UTF-8 in strings becomes U+FFFD.  -1 if data is
 * not exactly one msgpack object.
 */
int msg_to_json(const void *data, size_t len, struct buf *out,
    struct err *err);

/*
 * Writer: append one msgpack item to b, for the daemon's own small maps
 * (stats, heartbeats, control replies).  A map of n entries is followed by
 * 2n items (key, value, ...), an array by n.  msg_w_raw appends bytes that
 * already are one encoded item.  None of them can fail.
 */
void msg_w_map(struct buf *b, uint32_t n);
void msg_w_array(struct buf *b, uint32_t n);
void msg_w_str(struct buf *b, const char *s);
void msg_w_strn(struct buf *b, const char *s, size_t len);
void msg_w_uint(struct buf *b, uint64_t v);
void msg_w_int(struct buf *b, int64_t v);
void msg_w_double(struct buf *b, double v);
void msg_w_bool(struct buf *b, int v);
void msg_w_nil(struct buf *b);
void msg_w_raw(struct buf *b, const void *data, size_t len);

/*
 * Reader for control requests.  If data is exactly one msgpack map (nested
 * at most 32 deep) whose first entry with the string key has a string
 * value without NUL bytes, copy it NUL-terminated into out and return 0.
 * -1 otherwise: not such a map, key absent, another type, or the value does
 * not fit in outsz bytes with its NUL (out is then "" if outsz > 0).
 */
int msg_get_str(const void *data, size_t len, const char *key, char *out,
    size_t outsz);

/*
 * The same for a non-negative integer value (any msgpack integer format
 * holding a value >= 0): 0 with *out set, or -1.
 */
int msg_get_uint(const void *data, size_t len, const char *key,
    uint64_t *out);

#endif
