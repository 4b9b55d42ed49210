/*
 * url.h: the LaunchDarkly API base URL (pure; no network library, so the
 * keyring-only binary can use it too).
 *
 * Accepted: https://HOST[:PORT][/] and http://HOST[:PORT][/] where HOST is
 * a name, an IPv4 address or a [IPv6] literal.  The normalised host is
 * lower case with the port only when it is not the scheme's default
 * ("app.launchdarkly.com", "127.0.0.1:8443"); it keys the stored API token
 * and relay keys, so every spelling of one URL finds the same items.
 */
#ifndef LDRT_URL_H
#define LDRT_URL_H

#include "ldrt.h"

#define URL_HOST_MAX 256

struct url_info {
	int	https;
	int	loopback;	/* 127.0.0.0/8, ::1 or "localhost" */
	char	host[URL_HOST_MAX + 16];	/* host[:port], normalised */
};

/* Parses url into *u: EX_CONFIG naming what is wrong. */
int	url_parse(const char *url, struct url_info *u, struct ldrt_err *e);
/* url_parse, and refuses plain http:// to a host that is not loopback
 * (EX_CONFIG). */
int	url_check_api(const char *url, struct url_info *u, struct ldrt_err *e);
/* True if url parses and its host is loopback. */
int	url_is_loopback(const char *url);

#endif
