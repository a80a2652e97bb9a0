/*
 * bytes.h — big-endian integers in the sync formats (segments, directory): every on-disk and on-wire
 * integer of docs/formats.md is big-endian, whatever the host.
 */
#ifndef CAIRN_BYTES_H
#define CAIRN_BYTES_H

#include <stdint.h>

static inline void cairn__put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * (3 - i)));
}

static inline void cairn__put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * (7 - i)));
}

static inline uint32_t cairn__get_u32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t cairn__get_u64(const unsigned char *p)
{
	return ((uint64_t)cairn__get_u32(p) << 32) | cairn__get_u32(p + 4);
}

#endif
