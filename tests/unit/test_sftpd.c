/*
 * test_sftpd: roost-sftpd's pure parts: the MaxStartups early drop, the
 * per-source keys of connections not logged in yet, and which
 * directories an anchored denylist pattern reaches beneath.
 */
#include "unit.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include "sftpd.h"

static void
test_startups_parse(void **state)
{
	struct sftpd_startups	 m;

	assert_int_equal(sftpd_startups_parse("10:30:100", &m), 0);
	assert_int_equal(m.begin, 10);
	assert_int_equal(m.rate, 30);
	assert_int_equal(m.full, 100);
	assert_int_equal(sftpd_startups_parse("50", &m), 0);
	assert_int_equal(m.begin, 50);
	assert_int_equal(m.full, 50);
	assert_int_equal(sftpd_startups_parse("10:30:5", &m), -1);
	assert_int_equal(sftpd_startups_parse("0:30:100", &m), -1);
	assert_int_equal(sftpd_startups_parse("10:101:100", &m), -1);
	assert_int_equal(sftpd_startups_parse("10:30:100x", &m), -1);
	assert_int_equal(sftpd_startups_parse("10:30", &m), -1);
	assert_int_equal(sftpd_startups_parse("", &m), -1);
}

/* Counts the drops over every r for npre: the chance in percent. */
static int
drop_percent(const struct sftpd_startups *m, int npre)
{
	unsigned int	 r;
	int		 n = 0;

	for (r = 0; r < 100; r++)
		n += sftpd_startups_drop(m, npre, r);
	return n;
}

static void
test_startups_drop(void **state)
{
	struct sftpd_startups	 m = { 10, 30, 100 };

	assert_int_equal(drop_percent(&m, 0), 0);
	assert_int_equal(drop_percent(&m, 9), 0);
	assert_int_equal(drop_percent(&m, 10), 30);
	assert_int_equal(drop_percent(&m, 55), 65);
	assert_int_equal(drop_percent(&m, 99), 99);
	assert_int_equal(drop_percent(&m, 100), 100);
	assert_int_equal(drop_percent(&m, 5000), 100);
	m.begin = m.full = 20;
	m.rate = 100;
	assert_int_equal(drop_percent(&m, 19), 0);
	assert_int_equal(drop_percent(&m, 20), 100);
}

static void
key_of(int family, const char *addr, char *out, size_t len)
{
	struct sockaddr_in	 s4;
	struct sockaddr_in6	 s6;

	if (family == AF_INET) {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &s4.sin_addr), 1);
		sftpd_source_key(&s4, sizeof(s4), out, len);
	} else {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
		sftpd_source_key(&s6, sizeof(s6), out, len);
	}
}

static void
test_source_key(void **state)
{
	char	 k[64];

	key_of(AF_INET, "192.0.2.7", k, sizeof(k));
	assert_string_equal(k, "192.0.2.7");
	key_of(AF_INET6, "::ffff:192.0.2.7", k, sizeof(k));
	assert_string_equal(k, "192.0.2.7");
	/* One host's /64 is one source, whatever its low bits. */
	key_of(AF_INET6, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", k, sizeof(k));
	assert_string_equal(k, "2001:db8:1:2::/64");
	key_of(AF_INET6, "2001:db8:1:2::1", k, sizeof(k));
	assert_string_equal(k, "2001:db8:1:2::/64");
	key_of(AF_INET6, "2001:db8:1:3::1", k, sizeof(k));
	assert_string_equal(k, "2001:db8:1:3::/64");
	key_of(AF_INET6, "2001:db8:1:3::1", k, 8);
	assert_string_equal(k, "?");
}

static void
test_match_covers(void **state)
{
	const char	*pats[] = { "*.jar", "!allowed.jar", "logs/",
	    "config/secret.yml", "data/**/key.pem", "**/deep/x.yml",
	    "**/anywhere.yml", "!config/ok/", "# config/comment" };
	size_t		 n = sizeof(pats) / sizeof(pats[0]);

	/* Parents of an anchored pattern's files. */
	assert_int_equal(sftpd_match_covers(pats, n, "config"), 1);
	assert_int_equal(sftpd_match_covers(pats, n, "data"), 1);
	assert_int_equal(sftpd_match_covers(pats, n, "data/world"), 1);
	assert_int_equal(sftpd_match_covers(pats, n, "data/a/b/c"), 1);
	assert_int_equal(sftpd_match_covers(pats, n, "a/b/deep"), 1);
	assert_int_equal(sftpd_match_covers(pats, n, "deep"), 1);
	/* Not beneath anything anchored. */
	assert_int_equal(sftpd_match_covers(pats, n, ""), 0);
	assert_int_equal(sftpd_match_covers(pats, n, "plugins"), 0);
	assert_int_equal(sftpd_match_covers(pats, n, "logs"), 0);
	assert_int_equal(sftpd_match_covers(pats, n, "configs"), 0);
	assert_int_equal(sftpd_match_covers(pats, n, "world/data"), 0);
	assert_int_equal(sftpd_match_covers(pats, n, "a/b"), 0);
	/* The file itself has nothing beneath it. */
	assert_int_equal(sftpd_match_covers(pats, n, "config/secret.yml"), 0);
	/* A leading "**" matches under any new name as well. */
	assert_int_equal(sftpd_match_covers(pats, n, "x/y"), 0);
	/* Comments and re-allowing patterns reach nothing. */
	assert_int_equal(sftpd_match_covers(pats + 7, 2, "config"), 0);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_startups_parse),
    cmocka_unit_test(test_startups_drop),
    cmocka_unit_test(test_source_key),
    cmocka_unit_test(test_match_covers))
