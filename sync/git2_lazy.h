/*
 * git2_lazy.h — libgit2, loaded when the first repository is opened rather than when cairn starts.
 *
 * libgit2 1.5 and what it links (OpenSSL, libssh2, Kerberos, mbedTLS, PCRE2, ... 17 libraries) cost
 * ~4 ms of dynamic loading and constructors on every start of every process linking it: a `cairn
 * contact show` through the agent spent a third of its time there. Only sync/gitlog.c and
 * sync/netstream.c call libgit2; they include this header instead of <git2.h>, and every libgit2
 * function they use becomes a call through a pointer that cairn__git2_load() fills with dlsym() from
 * libgit2.so.1.5 (the Debian package libgit2-1.5 that libgit2-dev depends on; no other version is
 * accepted, since the pointers take 1.5's prototypes).
 *
 * Adding a libgit2 call: add its name to CAIRN__GIT2_FUNCS below and a #define beside the others.
 */
#ifndef CAIRN_GIT2_LAZY_H
#define CAIRN_GIT2_LAZY_H

#include <git2.h>
#include <git2/sys/stream.h>

/* The pointers take 1.5's prototypes and structures, and libgit2.so.1.5 is what is opened. */
#if LIBGIT2_VER_MAJOR != 1 || LIBGIT2_VER_MINOR != 5
#error "cairn is built against libgit2 1.5 (Debian 12's libgit2-dev): another version's headers do not match"
#endif

#define CAIRN__GIT2_SONAME "libgit2.so.1.5"

/* Load libgit2 once (thread-safe) and resolve every function below; CAIRN_ERROR with a message naming
 * the library or the missing symbol when it cannot. */
int cairn__git2_load(void);

#define CAIRN__GIT2_FUNCS(X)                     \
	X(git_blob_create_from_buffer)           \
	X(git_blob_free)                         \
	X(git_blob_lookup)                       \
	X(git_blob_rawcontent)                   \
	X(git_blob_rawsize)                      \
	X(git_buf_dispose)                       \
	X(git_commit_create)                     \
	X(git_commit_create_buffer)              \
	X(git_commit_free)                       \
	X(git_commit_lookup)                     \
	X(git_commit_parent)                     \
	X(git_commit_parent_id)                  \
	X(git_commit_parentcount)                \
	X(git_commit_tree)                       \
	X(git_config_delete_entry)               \
	X(git_config_entry_free)                 \
	X(git_config_free)                       \
	X(git_config_get_entry)                  \
	X(git_config_get_string)                 \
	X(git_config_set_string)                 \
	X(git_config_snapshot)                   \
	X(git_credential_ssh_key_new)            \
	X(git_credential_username_new)           \
	X(git_credential_userpass_plaintext_new) \
	X(git_error_clear)                       \
	X(git_error_last)                        \
	X(git_error_set_oom)                     \
	X(git_error_set_str)                     \
	X(git_fetch_options_init)                \
	X(git_graph_descendant_of)               \
	X(git_libgit2_init)                      \
	X(git_libgit2_opts)                      \
	X(git_merge_base)                        \
	X(git_odb_exists)                        \
	X(git_odb_free)                          \
	X(git_odb_hash)                          \
	X(git_odb_object_data)                   \
	X(git_odb_object_free)                   \
	X(git_odb_object_size)                   \
	X(git_odb_object_type)                   \
	X(git_odb_read)                          \
	X(git_odb_read_header)                   \
	X(git_odb_write)                         \
	X(git_oid_fromstr)                       \
	X(git_oid_tostr)                         \
	X(git_push_options_init)                 \
	X(git_reference_create)                  \
	X(git_reference_create_matching)         \
	X(git_reference_delete)                  \
	X(git_reference_free)                    \
	X(git_reference_iterator_free)           \
	X(git_reference_iterator_glob_new)       \
	X(git_reference_lookup)                  \
	X(git_reference_name_to_id)              \
	X(git_reference_next_name)               \
	X(git_reflog_entry_byindex)              \
	X(git_reflog_entry_committer)            \
	X(git_reflog_entrycount)                 \
	X(git_reflog_free)                       \
	X(git_reflog_read)                       \
	X(git_remote_create_options_init)        \
	X(git_remote_create_with_fetchspec)      \
	X(git_remote_create_with_opts)           \
	X(git_remote_delete)                     \
	X(git_remote_fetch)                      \
	X(git_remote_free)                       \
	X(git_remote_list)                       \
	X(git_remote_lookup)                     \
	X(git_remote_push)                       \
	X(git_remote_stats)                      \
	X(git_remote_url)                        \
	X(git_repository_config)                 \
	X(git_repository_free)                   \
	X(git_repository_init_ext)               \
	X(git_repository_init_options_init)      \
	X(git_repository_odb)                    \
	X(git_repository_open_bare)              \
	X(git_repository_open_ext)               \
	X(git_repository_path)                   \
	X(git_revwalk_free)                      \
	X(git_revwalk_hide)                      \
	X(git_revwalk_new)                       \
	X(git_revwalk_next)                      \
	X(git_revwalk_push)                      \
	X(git_revwalk_sorting)                   \
	X(git_signature_free)                    \
	X(git_signature_new)                     \
	X(git_strarray_dispose)                  \
	X(git_stream_register)                   \
	X(git_tree_entry_byindex)                \
	X(git_tree_entry_byname)                 \
	X(git_tree_entry_filemode)               \
	X(git_tree_entry_id)                     \
	X(git_tree_entry_type)                   \
	X(git_tree_entrycount)                   \
	X(git_tree_free)                         \
	X(git_tree_id)                           \
	X(git_tree_lookup)                       \
	X(git_treebuilder_free)                  \
	X(git_treebuilder_insert)                \
	X(git_treebuilder_new)                   \
	X(git_treebuilder_write)

#define CAIRN__GIT2_DECLARE(f) extern __typeof__(f) *cairn__p_##f;
CAIRN__GIT2_FUNCS(CAIRN__GIT2_DECLARE)

/* From here on, a libgit2 function name is a call through its pointer (git2_lazy.c, which fills
 * them, opts out). */
#ifndef CAIRN__GIT2_NO_MACROS
#define git_blob_create_from_buffer (*cairn__p_git_blob_create_from_buffer)
#define git_blob_free (*cairn__p_git_blob_free)
#define git_blob_lookup (*cairn__p_git_blob_lookup)
#define git_blob_rawcontent (*cairn__p_git_blob_rawcontent)
#define git_blob_rawsize (*cairn__p_git_blob_rawsize)
#define git_buf_dispose (*cairn__p_git_buf_dispose)
#define git_commit_create (*cairn__p_git_commit_create)
#define git_commit_create_buffer (*cairn__p_git_commit_create_buffer)
#define git_commit_free (*cairn__p_git_commit_free)
#define git_commit_lookup (*cairn__p_git_commit_lookup)
#define git_commit_parent (*cairn__p_git_commit_parent)
#define git_commit_parent_id (*cairn__p_git_commit_parent_id)
#define git_commit_parentcount (*cairn__p_git_commit_parentcount)
#define git_commit_tree (*cairn__p_git_commit_tree)
#define git_config_delete_entry (*cairn__p_git_config_delete_entry)
#define git_config_entry_free (*cairn__p_git_config_entry_free)
#define git_config_free (*cairn__p_git_config_free)
#define git_config_get_entry (*cairn__p_git_config_get_entry)
#define git_config_get_string (*cairn__p_git_config_get_string)
#define git_config_set_string (*cairn__p_git_config_set_string)
#define git_config_snapshot (*cairn__p_git_config_snapshot)
#define git_credential_ssh_key_new (*cairn__p_git_credential_ssh_key_new)
#define git_credential_username_new (*cairn__p_git_credential_username_new)
#define git_credential_userpass_plaintext_new (*cairn__p_git_credential_userpass_plaintext_new)
#define git_error_clear (*cairn__p_git_error_clear)
#define git_error_last (*cairn__p_git_error_last)
#define git_error_set_oom (*cairn__p_git_error_set_oom)
#define git_error_set_str (*cairn__p_git_error_set_str)
#define git_fetch_options_init (*cairn__p_git_fetch_options_init)
#define git_graph_descendant_of (*cairn__p_git_graph_descendant_of)
#define git_libgit2_init (*cairn__p_git_libgit2_init)
#define git_libgit2_opts (*cairn__p_git_libgit2_opts)
#define git_merge_base (*cairn__p_git_merge_base)
#define git_odb_free (*cairn__p_git_odb_free)
#define git_odb_exists (*cairn__p_git_odb_exists)
#define git_odb_read (*cairn__p_git_odb_read)
#define git_odb_write (*cairn__p_git_odb_write)
#define git_odb_object_data (*cairn__p_git_odb_object_data)
#define git_odb_object_size (*cairn__p_git_odb_object_size)
#define git_odb_object_type (*cairn__p_git_odb_object_type)
#define git_odb_object_free (*cairn__p_git_odb_object_free)
#define git_tree_entry_byindex (*cairn__p_git_tree_entry_byindex)
#define git_tree_id (*cairn__p_git_tree_id)
#define git_odb_hash (*cairn__p_git_odb_hash)
#define git_odb_read_header (*cairn__p_git_odb_read_header)
#define git_oid_fromstr (*cairn__p_git_oid_fromstr)
#define git_oid_tostr (*cairn__p_git_oid_tostr)
#define git_push_options_init (*cairn__p_git_push_options_init)
#define git_reference_create (*cairn__p_git_reference_create)
#define git_reference_create_matching (*cairn__p_git_reference_create_matching)
#define git_reference_delete (*cairn__p_git_reference_delete)
#define git_reference_free (*cairn__p_git_reference_free)
#define git_reference_iterator_free (*cairn__p_git_reference_iterator_free)
#define git_reference_iterator_glob_new (*cairn__p_git_reference_iterator_glob_new)
#define git_reference_lookup (*cairn__p_git_reference_lookup)
#define git_reference_name_to_id (*cairn__p_git_reference_name_to_id)
#define git_reference_next_name (*cairn__p_git_reference_next_name)
#define git_reflog_entry_byindex (*cairn__p_git_reflog_entry_byindex)
#define git_reflog_entry_committer (*cairn__p_git_reflog_entry_committer)
#define git_reflog_entrycount (*cairn__p_git_reflog_entrycount)
#define git_reflog_free (*cairn__p_git_reflog_free)
#define git_reflog_read (*cairn__p_git_reflog_read)
#define git_remote_create_options_init (*cairn__p_git_remote_create_options_init)
#define git_remote_create_with_fetchspec (*cairn__p_git_remote_create_with_fetchspec)
#define git_remote_create_with_opts (*cairn__p_git_remote_create_with_opts)
#define git_remote_delete (*cairn__p_git_remote_delete)
#define git_remote_fetch (*cairn__p_git_remote_fetch)
#define git_remote_free (*cairn__p_git_remote_free)
#define git_remote_list (*cairn__p_git_remote_list)
#define git_remote_lookup (*cairn__p_git_remote_lookup)
#define git_remote_push (*cairn__p_git_remote_push)
#define git_remote_stats (*cairn__p_git_remote_stats)
#define git_remote_url (*cairn__p_git_remote_url)
#define git_repository_config (*cairn__p_git_repository_config)
#define git_repository_free (*cairn__p_git_repository_free)
#define git_repository_init_ext (*cairn__p_git_repository_init_ext)
#define git_repository_init_options_init (*cairn__p_git_repository_init_options_init)
#define git_repository_odb (*cairn__p_git_repository_odb)
#define git_repository_open_bare (*cairn__p_git_repository_open_bare)
#define git_repository_open_ext (*cairn__p_git_repository_open_ext)
#define git_repository_path (*cairn__p_git_repository_path)
#define git_revwalk_free (*cairn__p_git_revwalk_free)
#define git_revwalk_hide (*cairn__p_git_revwalk_hide)
#define git_revwalk_new (*cairn__p_git_revwalk_new)
#define git_revwalk_next (*cairn__p_git_revwalk_next)
#define git_revwalk_push (*cairn__p_git_revwalk_push)
#define git_revwalk_sorting (*cairn__p_git_revwalk_sorting)
#define git_signature_free (*cairn__p_git_signature_free)
#define git_signature_new (*cairn__p_git_signature_new)
#define git_strarray_dispose (*cairn__p_git_strarray_dispose)
#define git_stream_register (*cairn__p_git_stream_register)
#define git_tree_entry_byname (*cairn__p_git_tree_entry_byname)
#define git_tree_entry_filemode (*cairn__p_git_tree_entry_filemode)
#define git_tree_entry_id (*cairn__p_git_tree_entry_id)
#define git_tree_entry_type (*cairn__p_git_tree_entry_type)
#define git_tree_entrycount (*cairn__p_git_tree_entrycount)
#define git_tree_free (*cairn__p_git_tree_free)
#define git_tree_lookup (*cairn__p_git_tree_lookup)
#define git_treebuilder_free (*cairn__p_git_treebuilder_free)
#define git_treebuilder_insert (*cairn__p_git_treebuilder_insert)
#define git_treebuilder_new (*cairn__p_git_treebuilder_new)
#define git_treebuilder_write (*cairn__p_git_treebuilder_write)

#endif /* CAIRN__GIT2_NO_MACROS */

#endif
