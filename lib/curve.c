/*
 * curve.c - CURVE key files, authorised key sets and key generation.
 *
 * Key files are a few lines (at most CURVE_FILE_MAX bytes, far more than
 * the 150 or so a key file holds); each is read whole and parsed line by
 * line, and the buffers that held a secret key are zeroed before they are
 * freed.  A key set is a sorted array of 32-byte keys searched with
 * bsearch; sets hold tens to hundreds of keys and are built once per
 * (re)load, then only read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <zmq.h>

#include "buf.h"
#include "curve.h"
#include "xalloc.h"

#define CURVE_FILE_MAX 65536
#define CURVE_NAME_MAX 256

static const char z85_chars[] = "0123456789abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int
curve_z85_decode(const char *z85, unsigned char out[CURVE_KEY_BYTES],
    struct err *err)
{
	size_t n = strlen(z85);

	if (n != CURVE_Z85_LEN)
		return err_set(err, "expected a Z85 key of %d characters, "
		    "not %zu", CURVE_Z85_LEN, n);
	if (strspn(z85, z85_chars) != n)
		return err_set(err, "'%c' is not a Z85 character",
		    z85[strspn(z85, z85_chars)]);
	/* libzmq also refuses groups of 5 worth more than 32 bits. */
	if (zmq_z85_decode(out, z85) == NULL)
		return err_set(err, "not a valid Z85 key");
	return 0;
}

void
curve_key_wipe(struct curve_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

/* Leading and trailing blanks off s[0..len), in place; the new start. */
static char *
trim(char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r'))
		len--;
	s[len] = '\0';
	return s + strspn(s, " \t");
}

/* Read the whole of path (opened as f) into b, checking what it is. */
static int
read_key_file(FILE *f, const char *path, int secret, struct buf *b,
    struct err *err)
{
	struct stat st;
	size_t n;

	if (fstat(fileno(f), &st) == -1)
		return err_set(err, "cannot stat '%s': %s", path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, "'%s' is not a regular file", path);
	if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)))
		return err_set(err, "secret key file '%s' is accessible by "
		    "group or others (mode %04o): chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
	if (st.st_size > CURVE_FILE_MAX)
		return err_set(err, "'%s' is too large for a key file (%lld "
		    "bytes)", path, (long long)st.st_size);
	buf_grow(b, (size_t)st.st_size + 1);
	n = fread(b->data, 1, (size_t)st.st_size + 1, f);
	if (ferror(f))
		return err_set(err, "cannot read '%s': %s", path,
		    strerror(errno));
	if (n > (size_t)st.st_size)
		return err_set(err, "'%s' grew while being read", path);
	b->len = n;
	b->data[n] = '\0';
	if (memchr(b->data, '\0', n) != NULL)
		return err_set(err, "'%s' is not a text file", path);
	return 0;
}

/* Parse the lines of text into k; secret: a secret key file. */
static int
parse_key_file(char *text, const char *path, int secret, struct curve_key *k,
    struct err *err)
{
	char *line = text, *next;
	int lineno = 0;

	for (; line != NULL; line = next) {
		char *eq, *name = line, *value, *dst;
		unsigned char raw[CURVE_KEY_BYTES];

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = trim(line, strlen(line));
		if (*line == '\0' || *line == '#')
			continue;
		/*
		 * Z85 has "=" and ":" too: a name that is not a word may
		 * hold part of a key, which must not end up in a log.
		 */
		eq = strchr(line, '=');
		if (eq != NULL) {
			*eq = '\0';
			name = trim(line, (size_t)(eq - line));
		}
		if (eq == NULL || *name == '\0' ||
		    name[strspn(name, "abcdefghijklmnopqrstuvwxyz_")] != '\0')
			return err_set(err, "%s:%d: expected 'public = KEY' "
			    "or 'secret = KEY'", path, lineno);
		value = trim(eq + 1, strlen(eq + 1));
		if (strcmp(name, "public") == 0)
			dst = k->public_z85;
		else if (strcmp(name, "secret") == 0 && secret)
			dst = k->secret_z85;
		else if (strcmp(name, "secret") == 0)
			return err_set(err, "%s:%d: a public key file must not "
			    "hold a secret key", path, lineno);
		else
			return err_set(err, "%s:%d: unknown name '%.32s' "
			    "(public, secret)", path, lineno, name);
		if (*dst != '\0')
			return err_set(err, "%s:%d: '%s' given twice", path,
			    lineno, name);
		if (curve_z85_decode(value, raw, err) == -1)
			return err_prefix(err, "%s:%d: %s", path, lineno,
			    name);
		memcpy(dst, value, CURVE_Z85_LEN + 1);
		if (dst == k->public_z85)
			memcpy(k->public_key, raw, sizeof(raw));
		explicit_bzero(raw, sizeof(raw));
	}
	if (k->public_z85[0] == '\0')
		return err_set(err, "%s: no 'public' key", path);
	if (secret && k->secret_z85[0] == '\0')
		return err_set(err, "%s: no 'secret' key", path);
	return 0;
}

static int
load(const char *path, int secret, struct curve_key *k, struct err *err)
{
	char derived[CURVE_Z85_LEN + 1];
	struct buf b;
	FILE *f;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	if ((f = fopen(path, "re")) == NULL)
		return err_set(err, "cannot open '%s': %s", path,
		    strerror(errno));
	buf_init(&b);
	if (read_key_file(f, path, secret, &b, err) == -1 ||
	    parse_key_file(b.data, path, secret, k, err) == -1)
		goto out;
	if (secret && (zmq_curve_public(derived, k->secret_z85) == -1 ||
	    strcmp(derived, k->public_z85) != 0)) {
		err_set(err, "%s: the public key is not the secret key's",
		    path);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		curve_key_wipe(k);
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_release(&b);
	fclose(f);
	return rc;
}

int
curve_key_load(const char *path, struct curve_key *k, struct err *err)
{
	return load(path, 1, k, err);
}

int
curve_pub_load(const char *path, struct curve_key *k, struct err *err)
{
	return load(path, 0, k, err);
}

/* Create path (it must not exist) holding text. */
static int
write_new_file(const char *path, mode_t mode, const char *text,
    struct err *err)
{
	size_t len = strlen(text), off = 0;
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1)
		return err_set(err, "cannot create '%s': %s", path,
		    strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(path);
	return err_set(err, "cannot write '%s': %s", path, strerror(saved));
}

int
curve_keygen(const char *prefix, struct curve_key *k, struct err *err)
{
	struct buf key_path, pub_path, text;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	if (zmq_curve_keypair(k->public_z85, k->secret_z85) == -1)
		return err_set(err, "cannot make a CURVE key pair: %s",
		    zmq_strerror(zmq_errno()));
	if (curve_z85_decode(k->public_z85, k->public_key, err) == -1) {
		curve_key_wipe(k);
		return -1;
	}
	buf_init(&key_path);
	buf_init(&pub_path);
	buf_init(&text);
	buf_addf(&key_path, "%s.key", prefix);
	buf_addf(&pub_path, "%s.pub", prefix);
	buf_addf(&text, "# CURVE secret key (newsclass keygen): keep it "
	    "private, mode 0600.\n# Hand out %s, never this file.\n"
	    "public = %s\nsecret = %s\n", pub_path.data, k->public_z85,
	    k->secret_z85);
	if (write_new_file(key_path.data, 0600, text.data, err) == -1)
		goto out;
	explicit_bzero(text.data, text.len);
	buf_reset(&text);
	buf_addf(&text, "# CURVE public key (newsclass keygen)\n"
	    "public = %s\n", k->public_z85);
	if (write_new_file(pub_path.data, 0644, text.data, err) == -1) {
		unlink(key_path.data);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		curve_key_wipe(k);
	explicit_bzero(text.data, text.len);
	buf_release(&text);
	buf_release(&pub_path);
	buf_release(&key_path);
	return rc;
}

/* ---- key sets ---- */

struct curve_entry {
	unsigned char key[CURVE_KEY_BYTES];
	char name[CURVE_NAME_MAX];
};

struct curve_keyset {
	struct curve_entry *e;
	size_t n;
};

static int
by_key(const void *a, const void *b)
{
	return memcmp(a, b, CURVE_KEY_BYTES);
}

static int
is_pub_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	    strcmp(d->d_name + n - 4, ".pub") == 0;
}

int
curve_keyset_load(const char *dir, struct curve_keyset **out,
    struct err *err)
{
	struct curve_keyset *set;
	struct dirent **names;
	struct curve_key k;
	struct buf path;
	int i, n, rc = -1;

	*out = NULL;
	n = scandir(dir, &names, is_pub_file, alphasort);
	if (n == -1)
		return err_set(err, "cannot read directory '%s': %s", dir,
		    strerror(errno));
	set = xcalloc(1, sizeof(*set));
	set->e = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*set->e));
	buf_init(&path);
	for (i = 0; i < n; i++) {
		struct curve_entry *e = &set->e[set->n];
		size_t len = strlen(names[i]->d_name) - 4;

		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, names[i]->d_name);
		if (curve_pub_load(path.data, &k, err) == -1)
			goto out;
		memcpy(e->key, k.public_key, sizeof(e->key));
		snprintf(e->name, sizeof(e->name), "%.*s", (int)len,
		    names[i]->d_name);
		set->n++;
	}
	qsort(set->e, set->n, sizeof(*set->e), by_key);
	*out = set;
	set = NULL;
	rc = 0;
out:
	curve_keyset_destroy(&set);
	buf_release(&path);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

const char *
curve_keyset_find(const struct curve_keyset *set,
    const unsigned char key[CURVE_KEY_BYTES])
{
	const struct curve_entry *e;

	e = bsearch(key, set->e, set->n, sizeof(*set->e), by_key);
	return e ? e->name : NULL;
}

size_t
curve_keyset_count(const struct curve_keyset *set)
{
	return set->n;
}

void
curve_keyset_destroy(struct curve_keyset **setp)
{
	struct curve_keyset *set = *setp;

	if (set == NULL)
		return;
	free(set->e);
	free(set);
	*setp = NULL;
}

/* ---- sockets ---- */

static int
setopt_failed(const char *what, struct err *err)
{
	if (!zmq_has("curve"))
		return err_set(err, "cannot use CURVE: this libzmq was built "
		    "without it");
	return err_set(err, "cannot set %s: %s", what,
	    zmq_strerror(zmq_errno()));
}

int
curve_server_setup(void *sock, const struct curve_key *own,
    const char *domain, struct err *err)
{
	int one = 1;

	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) == -1)
		return setopt_failed("ZMQ_CURVE_SERVER", err);
	if (zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, own->secret_z85,
	    CURVE_Z85_LEN + 1) == -1)
		return setopt_failed("ZMQ_CURVE_SECRETKEY", err);
	if (zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) == -1)
		return setopt_failed("ZMQ_ZAP_DOMAIN", err);
	return 0;
}

int
curve_client_setup(void *sock, const struct curve_key *own,
    const struct curve_key *server, struct err *err)
{
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server->public_z85,
	    CURVE_Z85_LEN + 1) == -1)
		return setopt_failed("ZMQ_CURVE_SERVERKEY", err);
	if (zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, own->public_z85,
	    CURVE_Z85_LEN + 1) == -1)
		return setopt_failed("ZMQ_CURVE_PUBLICKEY", err);
	if (zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, own->secret_z85,
	    CURVE_Z85_LEN + 1) == -1)
		return setopt_failed("ZMQ_CURVE_SECRETKEY", err);
	return 0;
}
