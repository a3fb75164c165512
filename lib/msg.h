/*
 * msg.h - the wire codec: msgpack articles in, msgpack results out.  The only
 * module that includes msgpack.h.
 *
 * Input: one msgpack map.  "id" (string or integer) is required; "title" and
 * "text" are UTF-8 strings (nil counts as absent), at least one non-empty;
 * every other key is passed through.  Output: the input map (minus any
 * "tags", "models", "seq", "t_us" keys it had, and minus title/text when
 * include_text is off) followed by "tags", "models" and, for the daemon,
 * "seq" and "t_us".  Errors: a map {"id"?, "seq"?, "error", "detail"}.
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
	size_t max_depth;	/* nesting of pass-through values */
	size_t max_items;	/* entries of any map or array */
};

/* 16 MiB message, 4 MiB text, depth 32, 10,000 items. */
void msg_limits_default(struct msg_limits *l);

struct msg_article {
	const char *title;	/* points into the decoder; "" if absent */
	size_t tlen;
	const char *text;
	size_t xlen;
};

struct msg_decoder;

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
	int with_seq;		/* add "seq" (and "t_us") */
	uint64_t seq;
	uint64_t t_us;
};

/*
 * Append to out the result map for the message last decoded by d, with the
 * "tags" of every task of c from res and the "models" versions.
 */
void msg_encode_result(const struct msg_decoder *d, const struct classifier *c,
    const struct classifier_out *res, const struct msg_out_opts *o,
    struct buf *out);

/* Append to out the error map for e (with the id d remembered, if any). */
void msg_encode_error(const struct msg_decoder *d, const struct msg_error *e,
    const struct msg_out_opts *o, struct buf *out);

/*
 * Append the envelope: the labels of tasks order[0..n) joined by ".".
 */
void msg_envelope(const struct classifier *c, const struct classifier_out *res,
    const size_t *order, size_t n, struct buf *out);

/*
 * Convert one JSON text (a line of JSON Lines) to msgpack, appended to out.
 * -1 with MSG_NOT_JSON or MSG_INVALID_UTF8 if it does not parse.
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

#endif
