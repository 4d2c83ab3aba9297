/* tls.c: keys, fingerprints and the peer-link TLS context (see tls.h). */
#include "config.h"

#include "reflector/tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define FP_PREFIX "sha256:"
/* A key file is a few hundred bytes; anything this large is not one. */
#define KEYFILE_MAX (1024 * 1024)
#define CERT_DAYS (20 * 365 + 5)

int tls_fingerprint_of_pkey(EVP_PKEY *pkey, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char *der = NULL;

	if (!pkey || !out)
		return -EINVAL;
	if (outlen < TLS_FINGERPRINT_SIZE)
		return -ENOSPC;
	int len = i2d_PUBKEY(pkey, &der);
	if (len <= 0)
		return -EPROTO;
	int ok = EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (!ok || mdlen != 32)
		return -EPROTO;
	memcpy(out, FP_PREFIX, sizeof(FP_PREFIX) - 1);
	EVP_EncodeBlock((unsigned char *)out + sizeof(FP_PREFIX) - 1, md, (int)mdlen);
	return 0;
}

int tls_fingerprint_of_cert(X509 *cert, char *out, size_t outlen)
{
	if (!cert)
		return -EINVAL;
	EVP_PKEY *pkey = X509_get0_pubkey(cert);
	return pkey ? tls_fingerprint_of_pkey(pkey, out, outlen) : -ENOKEY;
}

int tls_fingerprint_equal(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	size_t la = strnlen(a, 128), lb = strnlen(b, 128);
	/* The length is public (always 51 for a valid fingerprint); the content is
	 * compared in constant time. */
	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

const char *tls_strerror(int err)
{
	switch (err) {
	case -ENOKEY:
		return "no private key, public key or certificate in it";
	case -EKEYREJECTED:
		return "its certificate does not belong to its private key";
	case -EEXIST:
		return "already exists; refusing to overwrite it";
	case -EFBIG:
		return "too large to be a key file";
	case -EPROTO:
		return "OpenSSL failed";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* Read the whole (small) file so that open errors come back as errno values. */
static int read_file(const char *path, char **out, size_t *outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return -EISDIR;
	}
	char *buf = malloc(KEYFILE_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t n = 0;
	int err = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, KEYFILE_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == KEYFILE_MAX) {
			err = -EFBIG;
			break;
		}
	}
	close(fd);
	if (err) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return err;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

/* The private key, certificate and public key found in a PEM file; each may be NULL. */
struct pem_contents {
	EVP_PKEY *key;
	X509 *cert;
	EVP_PKEY *pub;
};

static void pem_contents_free(struct pem_contents *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	EVP_PKEY_free(c->pub);
	memset(c, 0, sizeof(*c));
}

static int load_pem(const char *path, struct pem_contents *c)
{
	char *buf = NULL;
	size_t len = 0;
	memset(c, 0, sizeof(*c));
	int err = read_file(path, &buf, &len);
	if (err)
		return err;
	/* Each PEM_read skips blocks of other kinds; a fresh read-only BIO per kind. */
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		c->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		c->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio)
		c->pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	ERR_clear_error();
	if (!c->key && !c->cert && !c->pub)
		return -ENOKEY;
	if (c->key && c->cert && X509_check_private_key(c->cert, c->key) != 1) {
		ERR_clear_error();
		pem_contents_free(c);
		return -EKEYREJECTED;
	}
	return 0;
}

int tls_fingerprint_of_file(const char *path, char *out, size_t outlen)
{
	struct pem_contents c;
	int err = load_pem(path, &c);
	if (err)
		return err;
	if (c.key)
		err = tls_fingerprint_of_pkey(c.key, out, outlen);
	else if (c.cert)
		err = tls_fingerprint_of_cert(c.cert, out, outlen);
	else
		err = tls_fingerprint_of_pkey(c.pub, out, outlen);
	pem_contents_free(&c);
	return err;
}

static X509 *make_cert(EVP_PKEY *pkey)
{
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	X509_NAME *name;
	int ok =
	    x && serial && X509_set_version(x, 2) &&
	    BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	    X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, NULL) &&
	    (name = X509_get_subject_name(x)) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                               (const unsigned char *)"sitecast", -1, -1, 0) &&
	    X509_set_issuer_name(x, name) && X509_set_pubkey(x, pkey) &&
	    /* Ed25519 signs the message itself: no separate digest. */
	    X509_sign(x, pkey, NULL) > 0;
	BN_free(serial);
	if (!ok) {
		X509_free(x);
		ERR_clear_error();
		return NULL;
	}
	return x;
}

static EVP_PKEY *make_key(void)
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0 ||
	    EVP_PKEY_keygen(kctx, &pkey) <= 0) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
		ERR_clear_error();
	}
	EVP_PKEY_CTX_free(kctx);
	return pkey;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int tls_keygen(const char *path, char *fp, size_t fplen)
{
	if (!path || !fp)
		return -EINVAL;
	if (fplen < TLS_FINGERPRINT_SIZE)
		return -ENOSPC;
	EVP_PKEY *pkey = make_key();
	X509 *cert = pkey ? make_cert(pkey) : NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	int err = 0;

	if (!pkey || !cert || !bio ||
	    !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(bio, cert) || tls_fingerprint_of_pkey(pkey, fp, fplen)) {
		ERR_clear_error();
		err = -EPROTO;
		goto out;
	}
	char *data;
	long len = BIO_get_mem_data(bio, &data);

	/* O_EXCL: an existing key is someone's identity, never replaced. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_all(fd, data, (size_t)len);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (err)
		unlink(path);
out:
	if (bio) {
		/* BIO_free does not clear the private key it holds. */
		char *p;
		long n = BIO_get_mem_data(bio, &p);
		if (n > 0)
			OPENSSL_cleanse(p, (size_t)n);
	}
	BIO_free(bio);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return err;
}

/* Peers are trusted by key fingerprint after the handshake, not by any CA. */
static int accept_any_chain(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;
}

int tls_ctx_new(const char *keyfile, SSL_CTX **out)
{
	struct pem_contents c;
	*out = NULL;
	int err = load_pem(keyfile, &c);
	if (err)
		return err;
	if (!c.key) {
		pem_contents_free(&c);
		return -ENOKEY;
	}
	if (!c.cert && !(c.cert = make_cert(c.key))) {
		pem_contents_free(&c);
		return -EPROTO;
	}

	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    SSL_CTX_use_certificate(ctx, c.cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, c.key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		SSL_CTX_free(ctx);
		pem_contents_free(&c);
		ERR_clear_error();
		return -EPROTO;
	}
	pem_contents_free(&c);
	/* Accepting, ask for the client's certificate and refuse a client without one. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	                   accept_any_chain);
	/* No resumption: every link proves its key afresh. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* A close without close_notify ends the stream; frames carry their lengths. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	*out = ctx;
	return 0;
}

int tls_peer_fingerprint(const SSL *ssl, char *out, size_t outlen)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	X509 *cert = SSL_get1_peer_certificate(ssl);
#else
	X509 *cert = SSL_get_peer_certificate(ssl);
#endif
	if (!cert)
		return -ENOKEY;
	int err = tls_fingerprint_of_cert(cert, out, outlen);
	X509_free(cert);
	return err;
}
