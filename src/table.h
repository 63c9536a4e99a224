/* table: a hash table from 64-bit keys to 64-bit values. */
#ifndef ECHOD_TABLE_H
#define ECHOD_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Open addressing with linear probing and backward-shift deletion, so that
 * lookups stay short at any load and removals leave no tombstones.  Key 0
 * marks an empty slot and cannot be stored.
 */
struct table_entry {
	uint64_t key;
	uint64_t value;
};

struct table {
	struct table_entry *slots;
	size_t cap;		/* a power of two, or 0 before the first use */
	size_t count;
};

/* table_reserve: room for one more entry.  Returns 0 or -1 (ENOMEM). */
int	table_reserve(struct table *t);

/* table_find: the entry for KEY, or NULL. */
struct table_entry *table_find(const struct table *t, uint64_t key);

/* table_insert: a new entry for KEY, which must not be there; reserve first. */
struct table_entry *table_insert(struct table *t, uint64_t key);

/* table_remove: remove KEY; returns whether it was there, and its value. */
bool	table_remove(struct table *t, uint64_t key, uint64_t *value);

void	table_free(struct table *t);

#endif
