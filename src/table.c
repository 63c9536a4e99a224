/* table: a hash table from 64-bit keys to 64-bit values. */
#include "table.h"

#include <stdlib.h>

#define TABLE_MIN_CAP 64

static size_t
home_of(uint64_t key, size_t cap)
{
	/* Fibonacci hashing: spreads consecutive pids and addresses. */
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static struct table_entry *
slot_for(struct table_entry *slots, size_t cap, uint64_t key)
{
	size_t i;

	for (i = home_of(key, cap); slots[i].key != 0 && slots[i].key != key;
	    i = (i + 1) & (cap - 1))
		continue;
	return &slots[i];
}

int
table_reserve(struct table *t)
{
	struct table_entry *slots;
	size_t cap;

	/* Keep the load at most one half. */
	if ((t->count + 1) * 2 <= t->cap)
		return 0;
	cap = t->cap == 0 ? TABLE_MIN_CAP : t->cap * 2;
	if ((slots = calloc(cap, sizeof(*slots))) == NULL)
		return -1;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key != 0)
			*slot_for(slots, cap, t->slots[i].key) = t->slots[i];
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

struct table_entry *
table_find(const struct table *t, uint64_t key)
{
	struct table_entry *e;

	if (t->cap == 0)
		return NULL;
	e = slot_for(t->slots, t->cap, key);
	return e->key == key ? e : NULL;
}

struct table_entry *
table_insert(struct table *t, uint64_t key)
{
	struct table_entry *e = slot_for(t->slots, t->cap, key);

	e->key = key;
	e->value = 0;
	t->count++;
	return e;
}

bool
table_remove(struct table *t, uint64_t key, uint64_t *value)
{
	struct table_entry *e = table_find(t, key);
	size_t mask = t->cap - 1;
	size_t hole;
	size_t j;

	if (e == NULL)
		return false;
	if (value != NULL)
		*value = e->value;
	hole = (size_t)(e - t->slots);
	t->slots[hole].key = 0;
	t->count--;
	/* Pull back each later entry of the run whose home is not in
	 * (hole, j]. */
	for (j = (hole + 1) & mask; t->slots[j].key != 0; j = (j + 1) & mask) {
		size_t home = home_of(t->slots[j].key, t->cap);

		if (((j - home) & mask) >= ((j - hole) & mask)) {
			t->slots[hole] = t->slots[j];
			t->slots[j].key = 0;
			hole = j;
		}
	}
	return true;
}

void
table_free(struct table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = 0;
	t->count = 0;
}
