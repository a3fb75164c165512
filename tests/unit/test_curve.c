/*
 * test_curve.c - unit tests for CURVE keys (lib/curve.c): Z85 checks, key
 * files (good ones, and each way a file can be wrong), keygen, key sets
 * read from a directory, and a real CURVE handshake over ipc:// between
 * sockets set up by curve_server_setup and curve_client_setup.  Files live
 * in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "curve.h"

static char tmpdir[64];

/* A key pair made by libzmq: public "pk", secret "sk". */
static char pk[CURVE_Z85_LEN + 1], sk[CURVE_Z85_LEN + 1];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_curve.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return zmq_curve_keypair(pk, sk);
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to tmpdir/name with mode; the path in path[]. */
static void
write_file(char *path, size_t n, const char *name, const char *text,
    mode_t mode)
{
	FILE *f;

	snprintf(path, n, "%s/%s", tmpdir, name);
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_z85(void **state)
{
	unsigned char raw[CURVE_KEY_BYTES], back[CURVE_KEY_BYTES];
	char bad[CURVE_Z85_LEN + 1];
	struct err err;

	(void)state;
	assert_int_equal(curve_z85_decode(pk, raw, &err), 0);
	assert_non_null(zmq_z85_decode(back, pk));
	assert_memory_equal(raw, back, sizeof(raw));

	assert_int_equal(curve_z85_decode("", raw, &err), -1);
	assert_string_equal(err.msg, "expected a Z85 key of 40 characters, "
	    "not 0");
	assert_int_equal(curve_z85_decode("abcde", raw, &err), -1);
	snprintf(bad, sizeof(bad), "%s", pk);
	bad[7] = ' ';
	assert_int_equal(curve_z85_decode(bad, raw, &err), -1);
	assert_string_equal(err.msg, "' ' is not a Z85 character");
	bad[7] = '"';
	assert_int_equal(curve_z85_decode(bad, raw, &err), -1);
	/* Valid characters, but a group worth more than 2^32 - 1. */
	memset(bad, '#', CURVE_Z85_LEN);
	bad[CURVE_Z85_LEN] = '\0';
	assert_int_equal(curve_z85_decode(bad, raw, &err), -1);
	assert_string_equal(err.msg, "not a valid Z85 key");
}

static void
test_load_good(void **state)
{
	struct curve_key k;
	struct err err;
	char path[256], text[512];

	(void)state;
	snprintf(text, sizeof(text), "# a comment\n\n   # indented comment\n"
	    "  secret=%s  \r\npublic   =\t%s\n", sk, pk);
	write_file(path, sizeof(path), "good.key", text, 0600);
	if (curve_key_load(path, &k, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(k.public_z85, pk);
	assert_string_equal(k.secret_z85, sk);
	curve_key_wipe(&k);
	assert_string_equal(k.secret_z85, "");
	/* A secret key file is no public key file: not to be handed out. */
	assert_int_equal(curve_pub_load(path, &k, &err), -1);
	assert_non_null(strstr(err.msg, "must not hold a secret key"));

	snprintf(text, sizeof(text), "public = %s", pk);	/* no newline */
	write_file(path, sizeof(path), "good.pub", text, 0644);
	if (curve_pub_load(path, &k, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(k.public_z85, pk);
	assert_string_equal(k.secret_z85, "");
	assert_non_null(zmq_z85_decode((uint8_t *)text, pk));
	assert_memory_equal(k.public_key, text, CURVE_KEY_BYTES);
}

/* Loading name (with text, mode) fails with a message holding want. */
static void
load_bad(int secret, const char *name, const char *text, mode_t mode,
    const char *want)
{
	struct curve_key k;
	struct err err;
	char path[256];
	int rc;

	write_file(path, sizeof(path), name, text, mode);
	err.msg[0] = '\0';
	memset(&k, 'x', sizeof(k));
	rc = secret ? curve_key_load(path, &k, &err) :
	    curve_pub_load(path, &k, &err);
	if (rc != -1)
		fail_msg("%s accepted", name);
	if (strstr(err.msg, want) == NULL)
		fail_msg("%s: '%s' lacks '%s'", name, err.msg, want);
	if (strstr(err.msg, name) == NULL)
		fail_msg("%s: '%s' does not name the file", name, err.msg);
	/* Nothing of a secret key is left behind. */
	assert_string_equal(k.secret_z85, "");
}

static void
test_load_bad(void **state)
{
	char text[512], pk2[CURVE_Z85_LEN + 1], sk2[CURVE_Z85_LEN + 1];
	struct curve_key k;
	struct err err;

	(void)state;
	assert_int_equal(zmq_curve_keypair(pk2, sk2), 0);
	snprintf(text, sizeof(text), "public = %s\nsecret = %s\n", pk, sk);
	load_bad(1, "open.key", text, 0640, "is accessible by group or "
	    "others (mode 0640): chmod 600 it");
	load_bad(1, "world.key", text, 0604, "(mode 0604)");
	snprintf(text, sizeof(text), "public = %s\nsecret = %s\n", pk2, sk);
	load_bad(1, "mismatch.key", text, 0600, "mismatch.key: the public "
	    "key is not the secret key's");
	snprintf(text, sizeof(text), "public = %s\n", pk);
	load_bad(1, "nosecret.key", text, 0600, "no 'secret' key");
	snprintf(text, sizeof(text), "secret = %s\n", sk);
	load_bad(1, "nopublic.key", text, 0600, "no 'public' key");
	load_bad(0, "empty.pub", "", 0644, "no 'public' key");
	load_bad(0, "comments.pub", "# public = x\n", 0644, "no 'public' key");
	snprintf(text, sizeof(text), "public = %s\npublic = %s\n", pk, pk);
	load_bad(0, "twice.pub", text, 0644, "twice.pub:2: 'public' given "
	    "twice");
	snprintf(text, sizeof(text), "\npublic = %s\nsecret = %s\n", pk, sk);
	load_bad(0, "secret.pub", text, 0644, "secret.pub:3: a public key "
	    "file must not hold a secret key");
	snprintf(text, sizeof(text), "public: %s\n", pk);
	load_bad(0, "colon.pub", text, 0644, "colon.pub:1: expected 'public "
	    "= KEY' or 'secret = KEY'");
	snprintf(text, sizeof(text), "secret: %s=x\n", sk);
	load_bad(1, "colon.key", text, 0600, "colon.key:1: expected 'public "
	    "= KEY' or 'secret = KEY'");
	snprintf(text, sizeof(text), "key = %s\n", pk);
	load_bad(0, "name.pub", text, 0644, "name.pub:1: unknown name 'key'");
	snprintf(text, sizeof(text), "= %s\n", pk);
	load_bad(0, "noname.pub", text, 0644, "noname.pub:1: expected");
	snprintf(text, sizeof(text), "public = %.39s\n", pk);
	load_bad(0, "short.pub", text, 0644, "short.pub:1: public: expected "
	    "a Z85 key of 40 characters, not 39");
	snprintf(text, sizeof(text), "public = \"%.38s\"\n", pk);
	load_bad(0, "quoted.pub", text, 0644, "'\"' is not a Z85 character");

	/* Not there, not a file. */
	err.msg[0] = '\0';
	assert_int_equal(curve_pub_load("/nonexistent/x.pub", &k, &err), -1);
	assert_string_equal(err.msg, "cannot open '/nonexistent/x.pub': No "
	    "such file or directory");
	assert_int_equal(curve_pub_load(tmpdir, &k, &err), -1);
	assert_non_null(strstr(err.msg, "is not a regular file"));
}

static void
test_keygen(void **state)
{
	struct curve_key k, sec, pub;
	struct err err;
	struct stat st;
	char prefix[128], path[160];

	(void)state;
	snprintf(prefix, sizeof(prefix), "%s/gen", tmpdir);
	if (curve_keygen(prefix, &k, &err) != 0)
		fail_msg("%s", err.msg);
	snprintf(path, sizeof(path), "%s.key", prefix);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	if (curve_key_load(path, &sec, &err) != 0)
		fail_msg("%s", err.msg);
	snprintf(path, sizeof(path), "%s.pub", prefix);
	if (curve_pub_load(path, &pub, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(sec.public_z85, k.public_z85);
	assert_string_equal(sec.secret_z85, k.secret_z85);
	assert_string_equal(pub.public_z85, k.public_z85);
	assert_memory_equal(pub.public_key, k.public_key, CURVE_KEY_BYTES);

	/* Never over an existing key; nothing is left half-written. */
	err.msg[0] = '\0';
	assert_int_equal(curve_keygen(prefix, &k, &err), -1);
	assert_non_null(strstr(err.msg, "gen.key': File exists"));
	assert_string_equal(k.secret_z85, "");
	snprintf(path, sizeof(path), "%s/other.pub", tmpdir);
	write_file(path, sizeof(path), "other.pub", "", 0644);
	snprintf(prefix, sizeof(prefix), "%s/other", tmpdir);
	assert_int_equal(curve_keygen(prefix, &k, &err), -1);
	assert_non_null(strstr(err.msg, "other.pub': File exists"));
	snprintf(path, sizeof(path), "%s.key", prefix);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(prefix, sizeof(prefix), "%s/no/such/dir/k", tmpdir);
	assert_int_equal(curve_keygen(prefix, &k, &err), -1);
	assert_non_null(strstr(err.msg, "cannot create"));
}

static void
test_keyset(void **state)
{
	char dir[128], path[256], text[256], pk2[CURVE_Z85_LEN + 1],
	    sk2[CURVE_Z85_LEN + 1];
	unsigned char raw[CURVE_KEY_BYTES];
	struct curve_keyset *set = NULL;
	struct err err;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/clients", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	/* Empty: an empty set. */
	if (curve_keyset_load(dir, &set, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(curve_keyset_count(set), 0);
	assert_int_equal(curve_z85_decode(pk, raw, &err), 0);
	assert_null(curve_keyset_find(set, raw));
	curve_keyset_destroy(&set);
	assert_null(set);
	curve_keyset_destroy(&set);

	assert_int_equal(zmq_curve_keypair(pk2, sk2), 0);
	snprintf(text, sizeof(text), "public = %s\n", pk);
	write_file(path, sizeof(path), "clients/alice.pub", text, 0644);
	snprintf(text, sizeof(text), "# bob\npublic = %s\n", pk2);
	write_file(path, sizeof(path), "clients/bob.pub", text, 0644);
	/* Skipped: hidden files, other names, a bare ".pub". */
	write_file(path, sizeof(path), "clients/.hidden.pub", "junk", 0644);
	write_file(path, sizeof(path), "clients/notes.txt", "junk", 0644);
	write_file(path, sizeof(path), "clients/.pub", "junk", 0644);
	write_file(path, sizeof(path), "clients/carol.pub.bak", "junk", 0644);
	if (curve_keyset_load(dir, &set, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(curve_keyset_count(set), 2);
	assert_string_equal(curve_keyset_find(set, raw), "alice");
	assert_non_null(zmq_z85_decode(raw, pk2));
	assert_string_equal(curve_keyset_find(set, raw), "bob");
	raw[0] ^= 1;
	assert_null(curve_keyset_find(set, raw));
	curve_keyset_destroy(&set);

	/* One bad file spoils the set, and is named. */
	write_file(path, sizeof(path), "clients/dave.pub", "public = x\n",
	    0644);
	err.msg[0] = '\0';
	assert_int_equal(curve_keyset_load(dir, &set, &err), -1);
	assert_null(set);
	assert_non_null(strstr(err.msg, "clients/dave.pub:1: public: "));
	unlink(path);

	snprintf(path, sizeof(path), "%s/nothing", tmpdir);
	assert_int_equal(curve_keyset_load(path, &set, &err), -1);
	assert_non_null(strstr(err.msg, "cannot read directory"));
}

/* A CURVE server PULL and a client PUSH on ipc; 1 if "hi" arrives. */
static int
handshake(const struct curve_key *server, const struct curve_key *client,
    const struct curve_key *server_pub, const char *name)
{
	void *ctx = zmq_ctx_new(), *pull, *push;
	int zero = 0, timeo = 500, got;
	char ep[160], buf[8];
	struct err err;

	snprintf(ep, sizeof(ep), "ipc://%s/%s.sock", tmpdir, name);
	pull = zmq_socket(ctx, ZMQ_PULL);
	push = zmq_socket(ctx, ZMQ_PUSH);
	zmq_setsockopt(pull, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeo, sizeof(timeo));
	if (curve_server_setup(pull, server, "test", &err) != 0 ||
	    curve_client_setup(push, client, server_pub, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(zmq_bind(pull, ep), 0);
	assert_int_equal(zmq_connect(push, ep), 0);
	assert_int_equal(zmq_send(push, "hi", 2, 0), 2);
	got = zmq_recv(pull, buf, sizeof(buf), 0) == 2;
	zmq_close(push);
	zmq_close(pull);
	zmq_ctx_term(ctx);
	return got;
}

static void
test_sockets(void **state)
{
	struct curve_key server, client, other;
	struct err err;
	char prefix[128];

	(void)state;
	if (!zmq_has("curve"))
		skip();
	snprintf(prefix, sizeof(prefix), "%s/srv", tmpdir);
	assert_int_equal(curve_keygen(prefix, &server, &err), 0);
	snprintf(prefix, sizeof(prefix), "%s/cli", tmpdir);
	assert_int_equal(curve_keygen(prefix, &client, &err), 0);
	snprintf(prefix, sizeof(prefix), "%s/oth", tmpdir);
	assert_int_equal(curve_keygen(prefix, &other, &err), 0);
	/* No ZAP handler in this context: any client key gets in. */
	assert_true(handshake(&server, &client, &server, "good"));
	/* The client insists on the server it was given. */
	assert_false(handshake(&server, &client, &other, "wrong"));
	curve_key_wipe(&server);
	curve_key_wipe(&client);
	curve_key_wipe(&other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_z85),
		cmocka_unit_test(test_load_good),
		cmocka_unit_test(test_load_bad),
		cmocka_unit_test(test_keygen),
		cmocka_unit_test(test_keyset),
		cmocka_unit_test(test_sockets),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
