/*
 * curve.h - CURVE keys (ZeroMQ RFC 26) for the daemon and the CLI: key
 * files, the set of authorised client keys, key generation and the socket
 * options that turn a ZeroMQ socket into a CURVE server or client.
 *
 * Key files are text: one "name = value" per line, where name is "public"
 * or "secret" and value a 40-character Z85 key (32 bytes); blank lines and
 * lines whose first non-blank character is "#" are ignored.  Z85 uses "#"
 * and "=" too, so there are no comments after a value.
 *
 *   PREFIX.key  the secret key file: "public" and "secret"; it must not be
 *               readable by group or others (newsclass keygen makes it 0600)
 *   PREFIX.pub  the public key file: "public" only; a "secret" line there
 *               is refused, so a secret key is not handed out by mistake
 */
#ifndef NC_CURVE_H
#define NC_CURVE_H

#include <stddef.h>

#include "err.h"

#define CURVE_Z85_LEN 40	/* characters of a Z85 key */
#define CURVE_KEY_BYTES 32	/* bytes of a decoded key */

struct curve_key {
	char public_z85[CURVE_Z85_LEN + 1];
	char secret_z85[CURVE_Z85_LEN + 1];	/* "" in a public key */
	unsigned char public_key[CURVE_KEY_BYTES];
};

/*
 * Check that z85 is a 40-character Z85 key and decode it into out.
 * Returns 0, or -1 with the reason ("expected 40 characters, not 12").
 */
int curve_z85_decode(const char *z85, unsigned char out[CURVE_KEY_BYTES],
    struct err *err);

/*
 * Read the secret key file path into k: both keys, the public one matching
 * the secret one, the file regular and not accessible by group or others.
 * Returns 0, or -1 with a reason naming the file (and line).  Clear k with
 * curve_key_wipe when done with it.
 */
int curve_key_load(const char *path, struct curve_key *k, struct err *err);

/*
 * Read the public key file path into k (k->secret_z85 is left empty).
 * Returns 0, or -1 with a reason naming the file (and line).
 */
int curve_pub_load(const char *path, struct curve_key *k, struct err *err);

/* Overwrite k, its secret key included, with zeros. */
void curve_key_wipe(struct curve_key *k);

/*
 * Make a new key pair (zmq_curve_keypair) into k and write PREFIX.key
 * (mode 0600) and PREFIX.pub (0644 less the umask).  Existing files are
 * not overwritten.  Returns 0, or -1 with the reason (then neither file is
 * left behind).
 */
int curve_keygen(const char *prefix, struct curve_key *k, struct err *err);

/* The public keys of the clients allowed in, each with a name. */
struct curve_keyset;

/*
 * Read every "*.pub" file of dir (not those starting with ".") into a new
 * set; a file's name without ".pub" names its key.  An empty directory
 * gives an empty set.  Returns 0 and the set in *out (the caller frees it
 * with curve_keyset_destroy), or -1 with the reason: the directory cannot
 * be read, or a file is not a valid public key file (named).
 */
int curve_keyset_load(const char *dir, struct curve_keyset **out,
    struct err *err);

/* The name of key in set, or NULL if key is not in it. */
const char *curve_keyset_find(const struct curve_keyset *set,
    const unsigned char key[CURVE_KEY_BYTES]);

/* Number of keys in set. */
size_t curve_keyset_count(const struct curve_keyset *set);

/* Free *setp (NULL allowed) and set it to NULL. */
void curve_keyset_destroy(struct curve_keyset **setp);

/*
 * Make sock a CURVE server with the secret key of own, asking the ZAP
 * handler of its context about every client under domain.  Before bind.
 * Returns 0, or -1 with zmq's reason.
 */
int curve_server_setup(void *sock, const struct curve_key *own,
    const char *domain, struct err *err);

/*
 * Make sock a CURVE client with the key pair own that accepts only a
 * server holding the secret key of server's public key.  Before connect.
 * Returns 0, or -1 with zmq's reason.
 */
int curve_client_setup(void *sock, const struct curve_key *own,
    const struct curve_key *server, struct err *err);

#endif
