/*
 * netstream.h — cairn's plain TCP stream for libgit2 (see netstream.c for why it replaces libgit2's).
 */
#ifndef CAIRN_NETSTREAM_H
#define CAIRN_NETSTREAM_H

#define CAIRN__NET_TIMEOUT_DEFAULT_MS 30000u

/* The bound on every network wait of the streams made from now on (0: the default), process-wide:
 * one sync round runs at a time. */
void cairn__netstream_set_timeout(unsigned ms);
/* The bound in force now, ms. */
unsigned cairn__netstream_timeout(void);

/* Cut every connection a stream holds now (shutdown, not close: the owner still closes it), so that a
 * transfer blocked on it fails at once: the agent's last resort for a round that never ends though it
 * is never silent for a whole timeout (see netstream.c, 4). Returns how many were cut. Any thread. */
int cairn__netstream_abort_all(void);

/* When the watchdog (netstream.c, 4) has cut a connection this thread opened since the last call: the
 * timeout it waited, in ms (and the cut is forgotten); 0 otherwise. */
unsigned cairn__netstream_silenced(void);

/* Watch `fd` as if this thread had opened a stream on it, and forget it (before closing it): for tests of
 * the watchdog (tests/unit/test_sync_watchdog.c). */
void cairn__netstream_watch(int fd);
void cairn__netstream_unwatch(int fd);

/* Register the stream with libgit2 (after git_libgit2_init); 0 or a libgit2 error. */
int cairn__netstream_register(void);

#endif
