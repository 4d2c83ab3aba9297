/*
 * tls.h: node keys, fingerprints and the TLS context of the peer links.
 *
 * A node's identity is one Ed25519 key pair. Its fingerprint is "sha256:"
 * followed by the standard base64 (with padding) of the SHA-256 digest of the
 * DER SubjectPublicKeyInfo of the public key; this is what peers configure and
 * what logs show. The certificate only carries the key through TLS: it is
 * self-signed, and peers trust the key by its fingerprint, never by a CA.
 *
 * Ownership: tls_ctx_new() returns an SSL_CTX the caller frees with
 * SSL_CTX_free(). Fingerprints are written into caller buffers of at least
 * TLS_FINGERPRINT_SIZE bytes. Errors are negative errno values; a few have a
 * meaning of their own here, see each function.
 */
#ifndef SITECAST_REFLECTOR_TLS_H
#define SITECAST_REFLECTOR_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* "sha256:" + 44 base64 characters + NUL. */
#define TLS_FINGERPRINT_LEN 51
#define TLS_FINGERPRINT_SIZE (TLS_FINGERPRINT_LEN + 1)

int tls_fingerprint_of_pkey(EVP_PKEY *pkey, char *out, size_t outlen);
int tls_fingerprint_of_cert(X509 *cert, char *out, size_t outlen);

/*
 * The fingerprint of the key in a PEM file holding a private key, a
 * certificate, or both (the key wins; when both are there they must match).
 * -ENOENT, -EACCES, ... from opening the file; -ENOKEY when it holds neither;
 * -EKEYREJECTED when the certificate does not belong to the key.
 */
int tls_fingerprint_of_file(const char *path, char *out, size_t outlen);

/*
 * Create path (mode 0600, never overwriting: -EEXIST if it exists) holding a
 * new Ed25519 private key and a self-signed certificate for it (CN
 * "sitecast", valid 20 years), and write the key's fingerprint into fp.
 * On failure nothing is left at path.
 */
int tls_keygen(const char *path, char *fp, size_t fplen);

/*
 * The context for every peer link, dialing and accepting: TLS 1.3 only, our
 * certificate and key from keyfile (a key alone gets a certificate made in
 * memory), and a peer certificate required on both sides but accepted
 * whatever signed it; the caller then compares tls_peer_fingerprint() with
 * the configured one. Errors as tls_fingerprint_of_file(), -EPROTO for an
 * OpenSSL failure.
 */
int tls_ctx_new(const char *keyfile, SSL_CTX **out);

/* The fingerprint of the key the peer proved it holds; -ENOKEY without certificate. */
int tls_peer_fingerprint(const SSL *ssl, char *out, size_t outlen);

/* Constant-time comparison of two fingerprints: 1 when equal. */
int tls_fingerprint_equal(const char *a, const char *b);

/* Short text for a tls_* error. */
const char *tls_strerror(int err);

#endif
