/*
 * test_buf.c - unit tests for the growable buffer (lib/buf.c): growth by
 * doubling, the NUL after len, buf_addf past the current capacity,
 * buf_reset keeping the storage, and buf_detach handing it over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void
test_init_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_string_equal(b.data, "");
	/* Reset and release of a never-grown buffer are no-ops. */
	buf_reset(&b);
	assert_string_equal(b.data, "");
	buf_release(&b);
	assert_int_equal(b.cap, 0);
	assert_string_equal(b.data, "");
}

static void
test_growth(void **state)
{
	struct buf b;
	size_t i, lastcap = 0, grows = 0;

	(void)state;
	buf_init(&b);
	for (i = 0; i < 100000; i++) {
		buf_addch(&b, (char)('a' + i % 26));
		assert_int_equal(b.len, i + 1);
		assert_true(b.cap > b.len);
		assert_int_equal(b.data[b.len], '\0');
		if (b.cap != lastcap) {
			/* Doubling: capacity at least twice the old one. */
			if (lastcap)
				assert_true(b.cap >= 2 * lastcap);
			lastcap = b.cap;
			grows++;
		}
	}
	/* 100000 bytes from 64 by doubling: 12 growths, not thousands. */
	assert_true(grows <= 12);
	for (i = 0; i < b.len; i++)
		if (b.data[i] != (char)('a' + i % 26))
			fail_msg("byte %zu is wrong", i);
	buf_release(&b);
}

static void
test_add_binary(void **state)
{
	static const char bytes[] = { 'x', '\0', 'y', '\0', 'z' };
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_add(&b, bytes, sizeof(bytes));
	assert_int_equal(b.len, sizeof(bytes));
	assert_memory_equal(b.data, bytes, sizeof(bytes));
	assert_int_equal(b.data[b.len], '\0');
	buf_add(&b, NULL, 0);
	assert_int_equal(b.len, sizeof(bytes));
	buf_addstr(&b, "tail");
	assert_int_equal(b.len, sizeof(bytes) + 4);
	assert_memory_equal(b.data + sizeof(bytes), "tail", 5);
	buf_release(&b);
}

static void
test_grow_reserves(void **state)
{
	struct buf b;
	char *p;

	(void)state;
	buf_init(&b);
	buf_grow(&b, 1000);
	assert_true(b.cap >= 1001);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	p = b.data;
	buf_add(&b, "0123456789", 10);
	buf_grow(&b, 990);
	assert_ptr_equal(b.data, p);	/* already room: no reallocation */
	buf_release(&b);
}

static void
test_addf(void **state)
{
	struct buf b;
	char *want;
	size_t i;

	(void)state;
	buf_init(&b);
	/* First call on an empty (cap 0) buffer. */
	buf_addf(&b, "%d-%s", 42, "x");
	assert_string_equal(b.data, "42-x");
	assert_int_equal(b.len, 4);
	/* Exactly filling, then overflowing the current capacity. */
	buf_reset(&b);
	buf_addf(&b, "%.*s", (int)(b.cap - 1), "................................"
	    "................................................................");
	assert_int_equal(b.len, b.cap - 1);
	buf_addf(&b, "%s", "!");
	assert_int_equal(b.data[b.len - 1], '!');
	assert_int_equal(b.data[b.len], '\0');

	/* A long string: many times the capacity at the time of the call. */
	want = malloc(200001);
	assert_non_null(want);
	for (i = 0; i < 200000; i++)
		want[i] = (char)('A' + i % 23);
	want[200000] = '\0';
	buf_reset(&b);
	buf_addstr(&b, "<");
	buf_addf(&b, "%s>%zu", want, (size_t)7);
	assert_int_equal(b.len, 1 + 200000 + 2);
	assert_int_equal(b.data[0], '<');
	assert_memory_equal(b.data + 1, want, 200000);
	assert_string_equal(b.data + 200001, ">7");
	free(want);

	/* Formatting an empty string is fine and adds nothing. */
	i = b.len;
	buf_addf(&b, "%s", "");
	assert_int_equal(b.len, i);
	buf_release(&b);
}

static void
test_reset_keeps_capacity(void **state)
{
	struct buf b;
	size_t cap;
	char *p;
	int i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < 1000; i++)
		buf_addstr(&b, "abcdefgh");
	cap = b.cap;
	p = b.data;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	assert_ptr_equal(b.data, p);
	assert_string_equal(b.data, "");
	/* Refilling to the same size does not reallocate. */
	for (i = 0; i < 1000; i++)
		buf_addstr(&b, "abcdefgh");
	assert_ptr_equal(b.data, p);
	assert_int_equal(b.cap, cap);
	buf_release(&b);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.len, 0);
}

static void
test_detach(void **state)
{
	struct buf b;
	size_t len = 99;
	char *p;

	(void)state;
	buf_init(&b);
	buf_addstr(&b, "hello");
	p = buf_detach(&b, &len);
	assert_string_equal(p, "hello");
	assert_int_equal(len, 5);
	/* The buffer is re-initialised and usable again. */
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_string_equal(b.data, "");
	buf_addstr(&b, "again");
	assert_string_equal(b.data, "again");
	assert_true(b.data != p);
	free(p);
	buf_release(&b);

	/* Detaching a never-grown buffer gives a free()able "". */
	buf_init(&b);
	p = buf_detach(&b, NULL);
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);
	p = buf_detach(&b, &len);
	assert_int_equal(len, 0);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_add_binary),
		cmocka_unit_test(test_grow_reserves),
		cmocka_unit_test(test_addf),
		cmocka_unit_test(test_reset_keeps_capacity),
		cmocka_unit_test(test_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
