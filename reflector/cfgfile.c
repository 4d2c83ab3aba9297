/* cfgfile.c: checking and reading the files a configuration names (see cfgfile.h). */
#include <config.h> /* the build configuration, not policy/config.h */

#include "reflector/cfgfile.h"
#include "dnssd/base64.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static int fail(int rc, char *why, size_t size, const char *msg)
{
	snprintf(why, size, "%s", msg ? msg : strerror(-rc));
	return rc;
}

/*
 * Open path for reading if it is a regular file: a file descriptor, or a negative
 * errno with why set. stat first: opening a FIFO or a device could block or have
 * effects; O_NONBLOCK and fstat cover a file swapped in between.
 */
static int open_regular(const char *path, char *why, size_t size)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0)
		return fail(-errno, why, size, NULL);
	if (!S_ISREG(st.st_mode))
		return fail(-EINVAL, why, size, "not a regular file");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(-errno, why, size, NULL);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(-EINVAL, why, size, "not a regular file");
	}
	return fd;
}

/*
 * Read the regular file path into buf (cap bytes; a file that fills it is larger
 * than the caller takes, so cap is one byte over the limit), *len set. 0, or a
 * negative errno with why set.
 */
static int read_regular(const char *path, char *buf, size_t cap, size_t *len, char *why,
                        size_t size)
{
	int fd = open_regular(path, why, size);
	if (fd < 0)
		return fd;
	*len = 0;
	while (*len < cap) {
		ssize_t n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = -errno;
			close(fd);
			return fail(rc, why, size, NULL);
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	return 0;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Decode the base64 text at s (len bytes, no white space) into out. */
static int decode(const char *s, size_t len, struct cfgfile_secret *out, char *why,
                  size_t size)
{
	size_t pad = 0, i;

	if (len == 0)
		return fail(-EINVAL, why, size, "the file is empty");
	for (i = 0; i < len && dnssd_b64_value((unsigned char)s[i]) >= 0; i++)
		;
	while (i < len && s[i] == '=' && pad < 2) {
		i++;
		pad++;
	}
	if (i < len || len % 4 != 0)
		return fail(-EINVAL, why, size,
		            "it must hold the base64 secret alone (as tsig-keygen prints "
		            "it)");
	if (len / 4 * 3 - pad > CFGFILE_SECRET_MAX)
		return fail(-E2BIG, why, size, "the secret is too long");
	size_t keylen = len / 4 * 3 - pad;
	unsigned char buf[CFGFILE_SECRET_MAX + 3];
	int n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n != keylen + pad)
		return fail(-EINVAL, why, size, "not valid base64");
	memcpy(out->key, buf, keylen);
	out->keylen = keylen;
	memcpy(out->b64, s, len);
	out->b64[len] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int cfgfile_read_tsig_secret(const char *path, struct cfgfile_secret *out, char *why,
                             size_t size)
{
	char buf[CFGFILE_SECRET_FILE_MAX + 1];
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_regular(path, buf, sizeof(buf), &len, why, size);
	if (rc < 0) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return rc;
	}
	if (len > CFGFILE_SECRET_FILE_MAX) {
		rc = fail(-EINVAL, why, size, "the file is too large for a secret");
	} else {
		size_t a = 0, b = len;
		while (a < b && is_space((unsigned char)buf[a]))
			a++;
		while (b > a && is_space((unsigned char)buf[b - 1]))
			b--;
		rc = decode(buf + a, b - a, out, why, size);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc < 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

int cfgfile_check_file(void *arg, enum policy_file kind, const char *path, char *why,
                       size_t size)
{
	(void)arg;
	if (kind == POLICY_FILE_TSIG_SECRET) {
		struct cfgfile_secret s;
		int rc = cfgfile_read_tsig_secret(path, &s, why, size);
		OPENSSL_cleanse(&s, sizeof(s));
		return rc;
	}
	int fd = open_regular(path, why, size);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

const struct policy_file_check cfgfile_check = {cfgfile_check_file, NULL};

int cfgfile_load(const char *path, const struct policy_file_check *fc,
                 struct policy_config **out, struct policy_errors **errs)
{
	char why[256];
	size_t len = 0;
	int rc;

	*out = NULL;
	*errs = NULL;
	/* One byte more than allowed: the parser then tells the file is too large. */
	char *buf = malloc(POLICY_CONFIG_MAX_SIZE + 1);
	if (!buf)
		rc = fail(-ENOMEM, why, sizeof(why), NULL);
	else
		rc = read_regular(path, buf, POLICY_CONFIG_MAX_SIZE + 1, &len, why,
		                  sizeof(why));
	if (rc < 0) {
		free(buf);
		int erc = policy_config_file_error(path, why, errs);
		return erc < 0 ? erc : rc;
	}
	rc = policy_config_load_buffer_checked(path, buf, len, fc, out, errs);
	free(buf);
	return rc;
}
