/*
 * netstream.h — cairn's plain TCP stream for libgit2 (see netstream.c for why it replaces libgit2's).
 */
#ifndef CAIRN_NETSTREAM_H
#define CAIRN_NETSTREAM_H

/* Register the stream with libgit2 (after git_libgit2_init); 0 or a libgit2 error. */
int cairn__netstream_register(void);

#endif
