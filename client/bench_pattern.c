/*
 * bench_pattern: the bytes echo-bench sends on each connection, computed
 * from the connection's seed and the offset in its stream.
 *
 * The stream is a sequence of 64-bit words in host byte order, word i
 * being mix(seed + i).  mix is a bijection (odd multiplier, xor-shift,
 * odd multiplier), so no word repeats within a stream and echoed data that
 * slipped by any number of words cannot match; it is cheap enough that
 * checking a gigabyte a second costs a fraction of a core.  Any byte can
 * be computed on its own, so a short write is resumed and an echo checked
 * at any offset.  Seeds come from SplitMix64, so streams lie far apart.
 */
#include "bench_pattern.h"

#include <string.h>

static inline uint64_t
word_at(uint64_t seed, uint64_t index)
{
	uint64_t z = (seed + index) * UINT64_C(0x9e3779b97f4a7c15);

	z ^= z >> 32;
	return z * UINT64_C(0xbf58476d1ce4e5b9);
}

uint64_t
pattern_seed(uint64_t serial)
{
	uint64_t z = UINT64_C(0x6563686f2d62656e) +
	    serial * UINT64_C(0x9e3779b97f4a7c15);

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

unsigned char
pattern_byte(uint64_t seed, uint64_t offset)
{
	uint64_t w = word_at(seed, offset / 8);
	unsigned char b[8];

	memcpy(b, &w, sizeof(b));
	return b[offset % 8];
}

void
pattern_fill(uint64_t seed, uint64_t offset, unsigned char *buf, size_t len)
{
	uint64_t index = offset / 8;
	size_t skip = offset % 8;
	uint64_t w;
	size_t n;

	if (skip != 0 && len > 0) {
		w = word_at(seed, index++);
		n = 8 - skip < len ? 8 - skip : len;
		memcpy(buf, (unsigned char *)&w + skip, n);
		buf += n;
		len -= n;
	}
	while (len >= 8) {
		w = word_at(seed, index++);
		memcpy(buf, &w, 8);
		buf += 8;
		len -= 8;
	}
	if (len > 0) {
		w = word_at(seed, index);
		memcpy(buf, &w, len);
	}
}

/* The index of the first byte of n (at most 8) that differs in a and b. */
static size_t
first_difference(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n && a[i] == b[i]; i++)
		continue;
	return i;
}

size_t
pattern_check(uint64_t seed, uint64_t offset, const unsigned char *buf,
    size_t len)
{
	uint64_t index = offset / 8;
	size_t skip = offset % 8;
	size_t done = 0;
	uint64_t w;
	uint64_t got;
	size_t n;
	size_t i;

	if (skip != 0 && len > 0) {
		w = word_at(seed, index++);
		n = 8 - skip < len ? 8 - skip : len;
		i = first_difference((unsigned char *)&w + skip, buf, n);
		if (i < n)
			return i;
		done = n;
	}
	while (len - done >= 8) {
		w = word_at(seed, index++);
		memcpy(&got, buf + done, 8);
		if (got != w)
			return done + first_difference((unsigned char *)&w,
			    buf + done, 8);
		done += 8;
	}
	if (done < len) {
		w = word_at(seed, index);
		n = len - done;
		i = first_difference((unsigned char *)&w, buf + done, n);
		if (i < n)
			return done + i;
	}
	return len;
}
