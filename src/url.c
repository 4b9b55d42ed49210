/*
 * url.c: parsing and checking the API base URL (see url.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"


static int
url_host_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* Splits the authority "host[:port]" or "[v6][:port]" and checks it. */
static int
url_authority(const char *auth, size_t n, int https, struct url_info *u,
    struct ldrt_err *e)
{
	char host[URL_HOST_MAX], port[8] = "";
	const char *hp = auth, *pp = NULL, *close;
	size_t hl, i;
	long pn;
	struct in6_addr a6;

	if (n == 0)
		return err_set(e, EX_CONFIG, "API URL has no host");
	if (auth[0] == '[') {
		close = memchr(auth, ']', n);
		if (close == NULL)
			return err_set(e, EX_CONFIG, "API URL has a bad IPv6 "
			    "address");
		hp = auth + 1;
		hl = (size_t)(close - hp);
		if (close + 1 < auth + n && close[1] != ':')
			return err_set(e, EX_CONFIG, "API URL has a bad host");
		if (close + 1 < auth + n)
			pp = close + 2;
	} else {
		close = memchr(auth, ':', n);
		hl = close != NULL ? (size_t)(close - auth) : n;
		if (close != NULL)
			pp = close + 1;
	}
	if (hl == 0 || hl >= sizeof(host) - 2)
		return err_set(e, EX_CONFIG, "API URL has a bad host");
	memcpy(host, hp, hl);
	host[hl] = '\0';
	for (i = 0; i < hl; i++)
		host[i] = (char)tolower((unsigned char)host[i]);
	if (auth[0] == '[') {
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return err_set(e, EX_CONFIG, "API URL has a bad IPv6 "
			    "address");
	} else if (strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
	    hl || host[0] == '-' || host[0] == '.') {
		return err_set(e, EX_CONFIG, "API URL has a bad host");
	}
	if (pp != NULL) {
		size_t pl = (size_t)(auth + n - pp);

		if (pl == 0 || pl > 5 || strspn(pp, "0123456789") < pl)
			return err_set(e, EX_CONFIG, "API URL has a bad port");
		memcpy(port, pp, pl);
		port[pl] = '\0';
		pn = strtol(port, NULL, 10);
		if (pn < 1 || pn > 65535)
			return err_set(e, EX_CONFIG, "API URL has a bad port");
		if (pn == (https ? 443 : 80))
			port[0] = '\0';
		else
			snprintf(port, sizeof(port), "%ld", pn);
	}
	u->https = https;
	u->loopback = url_host_loopback(host);
	snprintf(u->host, sizeof(u->host), "%s%s%s%s%s",
	    auth[0] == '[' ? "[" : "", host, auth[0] == '[' ? "]" : "",
	    port[0] != '\0' ? ":" : "", port);
	return 0;
}

int
url_parse(const char *url, struct url_info *u, struct ldrt_err *e)
{
	const char *p;
	size_t n;
	int https;

	memset(u, 0, sizeof(*u));
	if (url == NULL)
		return err_set(e, EX_CONFIG, "no API URL");
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return err_set(e, EX_CONFIG, "API URL contains spaces "
			    "or control characters");
	if (strncasecmp(url, "https://", 8) == 0) {
		https = 1;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		https = 0;
		p = url + 7;
	} else {
		return err_set(e, EX_CONFIG, "API URL must start with "
		    "https://");
	}
	n = strcspn(p, "/?#@");
	if (n == 0)
		return err_set(e, EX_CONFIG, "API URL has no host");
	if (p[n] == '@')
		return err_set(e, EX_CONFIG, "API URL must not contain user "
		    "information");
	if (p[n] != '\0' && strcmp(p + n, "/") != 0)
		return err_set(e, EX_CONFIG, "API URL must be "
		    "https://HOST[:PORT] without a path, query or fragment");
	return url_authority(p, n, https, u, e);
}

int
url_check_api(const char *url, struct url_info *u, struct ldrt_err *e)
{
	if (url_parse(url, u, e) != 0)
		return -1;
	if (!u->https && !u->loopback)
		return err_set(e, EX_CONFIG, "refusing plain http:// to "
		    "non-loopback host '%s'", u->host);
	return 0;
}

int
url_is_loopback(const char *url)
{
	struct url_info u;

	return url_parse(url, &u, NULL) == 0 && u.loopback;
}
