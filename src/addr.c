/* addr: socket addresses as people read them. */
#include "addr.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
addr_format(const struct sockaddr *sa, char *buf, size_t buflen)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		(void)inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		(void)snprintf(buf, buflen, "%s:%u", host,
		    ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			(void)inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12],
			    host, sizeof(host));
			(void)snprintf(buf, buflen, "%s:%u", host,
			    ntohs(sin6->sin6_port));
		} else {
			(void)inet_ntop(AF_INET6, &sin6->sin6_addr, host,
			    sizeof(host));
			(void)snprintf(buf, buflen, "[%s]:%u", host,
			    ntohs(sin6->sin6_port));
		}
	} else {
		(void)snprintf(buf, buflen, "(address family %d)",
		    sa->sa_family);
	}
}

unsigned
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return 0;
}

uint64_t
addr_client_key(const struct sockaddr *sa)
{
	const uint8_t *b;
	uint64_t key = 0;

	if (sa->sa_family == AF_INET) {
		b = (const uint8_t *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
		goto ipv4;
	}
	if (sa->sa_family != AF_INET6)
		return 2;
	b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)b)) {
		b += 12;
		goto ipv4;
	}
	for (int i = 0; i < 8; i++)
		key = key << 8 | b[i];
	return key != 0 ? key : 2;	/* ::/64 holds ::1 and the like */
ipv4:
	for (int i = 0; i < 4; i++)
		key = key << 8 | b[i];
	return key | (uint64_t)1 << 32;
}

int
addr_parse(const char *text, unsigned port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	size_t n = strlen(text);
	char *zone;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (text[0] == '[' && n > 2 && text[n - 1] == ']') {
		text++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	if ((zone = strchr(host, '%')) != NULL)
		*zone++ = '\0';
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
		return -1;
	if (zone != NULL) {
		/* A zone is an interface name or number: fe80::1%eth0. */
		sin6->sin6_scope_id = if_nametoindex(zone);
		if (sin6->sin6_scope_id == 0 && *zone >= '0' && *zone <= '9')
			sin6->sin6_scope_id = (uint32_t)strtoul(zone, &end, 10);
		if (sin6->sin6_scope_id == 0)
			return -1;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	*len = sizeof(*sin6);
	return 0;
}

void
addr_format_host(const struct sockaddr *sa, char *buf, size_t buflen)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	char host[INET6_ADDRSTRLEN];
	char zone[IF_NAMESIZE];

	if (sa->sa_family == AF_INET) {
		(void)inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)sa)->sin_addr, buf,
		    (socklen_t)buflen);
		return;
	}
	(void)inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
	if (sin6->sin6_scope_id == 0)
		(void)snprintf(buf, buflen, "%s", host);
	else if (if_indextoname(sin6->sin6_scope_id, zone) != NULL)
		(void)snprintf(buf, buflen, "%s%%%s", host, zone);
	else
		(void)snprintf(buf, buflen, "%s%%%u", host,
		    (unsigned)sin6->sin6_scope_id);
}
