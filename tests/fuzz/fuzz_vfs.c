/*
 * fuzz_vfs.c — the encrypting VFS's page paths (core/vfs.c: classify by role and offset, seal, open,
 * short and torn pages) on a file held in memory, under libFuzzer; linked with fuzz_main.c, a CTest over
 * its corpus. No disk, no SQLite connection: cairn__vfs_mem_* drive the VFS's own read, write and
 * truncate methods with a fixed key.
 *
 * Input: u8 role (CAIRN_VFS_ROLE_DB + role % 3), then up to 64 operations, each one op byte (op % 4):
 *   0 load      u16 n, n bytes: the file's whole content (what a thief or a crash left on disk)
 *   1 read      u24 offset, u16 amount
 *   2 write     u24 offset, u16 amount, that many bytes (zeros past the end of the input)
 *   3 truncate  u24 size
 * (big-endian; amounts are 1 .. 2 frames). Beyond "does not crash", each violation aborts:
 *  1. A read returns OK, a short read, an authentication failure or a refusal, nothing else.
 *  2. A read that fails authentication hands back only zeros (no half-decrypted plaintext).
 *  3. A page the VFS sealed is not on "disk" as plaintext (vfs.c invariant 1).
 *  4. What a write accepted reads back unchanged through the same path (for a WAL page: when its frame
 *     header carries the WAL header's salts, as every valid frame does, or zeros).
 */
#include "cairn.h"
#include "vfs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAME_HDR 24
#define WAL_HDR 32
#define FRAME (FRAME_HDR + CAIRN_PAGE_SIZE)
#define AMT_MAX (2 * FRAME)
#define OPS_MAX 64

static const unsigned char key[32] = "cairn-fuzz-vfs-key-0123456789ab";
static cairn__vfs_mem *mem;

static void fail(const char *what, int op)
{
	fprintf(stderr, "fuzz_vfs: invariant broken: %s (operation %d)\n", what, op);
	abort();
}

static int is_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

typedef struct {
	const uint8_t *p;
	size_t n, pos;
} reader;

static int take(reader *r, size_t k, uint32_t *v)
{
	*v = 0;
	if (r->pos + k > r->n)
		return 0;
	for (size_t i = 0; i < k; i++)
		*v = *v << 8 | r->p[r->pos++];
	return 1;
}

/* Is a write of `amt` at `off` one the VFS seals (a page), as opposed to clear structure? */
static int sealed_shape(int role, int amt, uint32_t off)
{
	if (amt != CAIRN_PAGE_SIZE)
		return 0;
	if (role == CAIRN_VFS_ROLE_DB)
		return off % CAIRN_PAGE_SIZE == 0;
	if (role == CAIRN_VFS_ROLE_WAL)
		return off >= WAL_HDR && (off - WAL_HDR) % FRAME == FRAME_HDR;
	return off % 8 == 4;
}

/* Invariant 4's condition for a WAL page: its frame header's salts are the WAL header's, or zero. */
static int wal_salts_valid(uint32_t off)
{
	unsigned char whdr[WAL_HDR], fhdr[FRAME_HDR];
	cairn__vfs_mem_read(mem, whdr, WAL_HDR, 0);
	cairn__vfs_mem_read(mem, fhdr, FRAME_HDR, off - FRAME_HDR);
	return memcmp(whdr + 16, fhdr + 8, 8) == 0 || is_zero(fhdr + 8, 8);
}

static void do_read(int op, uint32_t off, int amt)
{
	static unsigned char out[AMT_MAX];
	int rc = cairn__vfs_mem_read(mem, out, amt, off);
	if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ && rc != SQLITE_IOERR_AUTH && rc != SQLITE_IOERR_READ)
		fail("a read returned an unexpected code", op);
	if (rc == SQLITE_IOERR_AUTH && !is_zero(out, (size_t)amt))
		fail("a page that failed authentication was handed back", op);
}

static void do_write(int op, int role, uint32_t off, int amt, const unsigned char *buf)
{
	static unsigned char back[AMT_MAX];
	const unsigned char *disk;
	size_t n;
	int rc = cairn__vfs_mem_write(mem, buf, amt, off);
	if (rc != SQLITE_OK)
		return;
	disk = cairn__vfs_mem_bytes(mem, &n);
	if (sealed_shape(role, amt, off) &&
	    (n < off + (size_t)amt || memcmp(disk + off, buf, CAIRN_PAGE_SIZE - 40) == 0))
		fail("a sealed page is on disk as plaintext", op);
	if (role == CAIRN_VFS_ROLE_WAL && sealed_shape(role, amt, off) && !wal_salts_valid(off))
		return;
	rc = cairn__vfs_mem_read(mem, back, amt, off);
	/* A WAL frame header is held until its page (one write for both): when writing it then fails (the
	 * disk is full), the operation that flushes it reports that, here the read back. */
	if (rc == SQLITE_FULL && role == CAIRN_VFS_ROLE_WAL && amt == FRAME_HDR)
		return;
	if (rc != SQLITE_OK || memcmp(back, buf, (size_t)amt) != 0)
		fail("what a write accepted does not read back", op);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char wbuf[AMT_MAX];
	reader r = {data, size, 1};
	int role;

	if (size < 1)
		return 0;
	if (!mem && (cairn_global_init() != 0 || cairn__vfs_mem_new(&mem, key) != SQLITE_OK))
		abort();
	role = CAIRN_VFS_ROLE_DB + data[0] % 3;
	cairn__vfs_mem_reset(mem, role, NULL, 0);
	for (int op = 0; op < OPS_MAX && r.pos < r.n; op++) {
		uint32_t kind = r.p[r.pos++] % 4, off, amt;
		if (kind == 0) {
			if (!take(&r, 2, &amt))
				break;
			amt = r.pos + amt > r.n ? (uint32_t)(r.n - r.pos) : amt;
			cairn__vfs_mem_reset(mem, role, r.p + r.pos, amt);
			r.pos += amt;
			continue;
		}
		if (!take(&r, 3, &off))
			break;
		if (kind == 3) {
			cairn__vfs_mem_truncate(mem, off);
			continue;
		}
		if (!take(&r, 2, &amt))
			break;
		amt = 1 + amt % AMT_MAX;
		if (kind == 1) {
			do_read(op, off, (int)amt);
			continue;
		}
		memset(wbuf, 0, amt);
		memcpy(wbuf, r.p + r.pos, r.n - r.pos < amt ? r.n - r.pos : amt);
		r.pos = r.n - r.pos < amt ? r.n : r.pos + amt;
		do_write(op, role, off, (int)amt, wbuf);
	}
	return 0;
}
