/*
 * cfgfile.h: the daemon's side of the files a configuration names.
 *
 * policy/ does no I/O: cfgfile_load() reads the configuration file and hands
 * its bytes to policy_config_load_buffer_checked(); the daemon passes
 * cfgfile_check so that `sitecastd -n`, the start and every SIGHUP reload
 * report a key file or a TSIG secret file that cannot be used at the
 * FILE:LINE:COLUMN of its value. What the check accepts,
 * cfgfile_read_tsig_secret() then reads for use.
 *
 * Ownership: cfgfile_load() allocates the configuration and the error list as
 * policy_config_load_buffer() does; otherwise results go to caller buffers.
 */
#ifndef SITECAST_REFLECTOR_CFGFILE_H
#define SITECAST_REFLECTOR_CFGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/config.h"

/* Largest decoded TSIG secret (hmac-sha512 keys are 64 bytes; RFC 8945 allows more). */
#define CFGFILE_SECRET_MAX 256
/* Largest secret file: the base64 text and some surrounding white space. */
#define CFGFILE_SECRET_FILE_MAX 4096

/* A TSIG secret: the base64 text as in the file (white space around it removed) and
 * the bytes it stands for. */
struct cfgfile_secret {
	char b64[(CFGFILE_SECRET_MAX + 2) / 3 * 4 + 1];
	uint8_t key[CFGFILE_SECRET_MAX];
	size_t keylen;
};

/*
 * A policy_file_check function (arg unused): the key file must be a regular
 * file that can be opened for reading (its contents are TLS's to judge); the
 * TSIG secret file must hold base64 and nothing else (see below). 0, or a
 * negative errno with why set.
 */
int cfgfile_check_file(void *arg, enum policy_file kind, const char *path, char *why,
                       size_t size);

/* { cfgfile_check_file, NULL }, for cfgfile_load(). */
extern const struct policy_file_check cfgfile_check;

/*
 * Read the configuration file path (a regular file, read without blocking on a
 * FIFO or device) and load it with fc checking the files it names (NULL: none).
 * Returns 0 with *out set, or a negative errno (-EINVAL for configuration
 * errors, others for I/O) with *errs listing every error, "PATH:1:1: cannot
 * read the file: why" for a file that cannot be read. errs is always set
 * (possibly empty) unless out of memory, and must be freed.
 */
int cfgfile_load(const char *path, const struct policy_file_check *fc,
                 struct policy_config **out, struct policy_errors **errs);

/*
 * Read and decode a TSIG secret file: one standard base64 string (RFC 4648,
 * with padding), the secret value that `tsig-keygen` or `keymgr -t` prints,
 * optionally surrounded by white space (a final newline). Returns 0 with *out
 * filled, or a negative errno with the reason in why (size bytes): -ENOENT,
 * -EACCES... from the file system, -EINVAL for a file that is not a regular
 * file, is too large, empty, or not base64, -E2BIG for a secret over
 * CFGFILE_SECRET_MAX bytes.
 */
int cfgfile_read_tsig_secret(const char *path, struct cfgfile_secret *out, char *why,
                             size_t size);

#endif
