/*
 * base64.h: the standard base64 alphabet (RFC 4648, section 4), for the
 * checks of base64 text before, or instead of, decoding it: certificate
 * fingerprints in the configuration and the TSIG secrets of wide-area DNS
 * in their files.
 *
 * Header only, like dnssd/site.h, so that a caller needs no library for
 * one table look-up. Nothing is allocated.
 */
#ifndef SITECAST_DNSSD_BASE64_H
#define SITECAST_DNSSD_BASE64_H

/*
 * The 6-bit value (0 to 63) that c stands for in the standard alphabet, or
 * -1 when c is not one of its 64 characters; the '=' padding is not one
 * either (it stands for no bits), so callers handle it themselves.
 */
static inline int dnssd_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

#endif
