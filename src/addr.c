/* addr: socket addresses as people read them. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

void
addr_format(const struct sockaddr *sa, char *buf, size_t buflen)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		(void)inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		(void)snprintf(buf, buflen, "%s:%u", host, ntohs(sin->sin_port));
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
		b = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
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
