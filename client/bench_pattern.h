/*
 * bench_pattern: the bytes echo-bench sends on each connection, computed
 * from the connection's seed and the offset in its stream, so that what
 * comes back is checked without keeping a copy of what went out.
 */
#ifndef ECHOD_CLIENT_BENCH_PATTERN_H
#define ECHOD_CLIENT_BENCH_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* The seed of the connection opened as number serial (0, 1, 2, ...). */
uint64_t	pattern_seed(uint64_t serial);

/* Fill buf with the len bytes of the stream of seed from offset on. */
void	pattern_fill(uint64_t seed, uint64_t offset, unsigned char *buf,
	    size_t len);

/*
 * Compare buf with the len bytes of the stream of seed from offset on:
 * returns len when all match, else the index of the first that differs.
 */
size_t	pattern_check(uint64_t seed, uint64_t offset, const unsigned char *buf,
	    size_t len);

/* The byte at offset in the stream of seed, for messages. */
unsigned char	pattern_byte(uint64_t seed, uint64_t offset);

#endif
