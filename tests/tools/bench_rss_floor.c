/*
 * bench_rss_floor: the anchor for roostd's idle memory. A process linked
 * with the same Debian libraries as roostd that does only what those
 * libraries need to be usable the way roostd uses them (libgit2 and
 * libcurl initialised, one request to the engine over its unix socket,
 * a libmicrohttpd daemon on a unix socket) and nothing of roost, then
 * prints its resident set:
 *
 *   bench_rss_floor [-s DOCKER_SOCKET]
 *   libraries alone (git2, curl, microhttpd, websockets, yaml, cjson):
 *   RSS 12.5 MiB (12784 KiB)
 *
 * roostd's own share of its idle RSS is its figure minus this one.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <git2.h>
#include <libwebsockets.h>
#include <microhttpd.h>
#include <yaml.h>

static long
rss_kib(void)
{
	FILE	*fp;
	char	 line[256];
	long	 kib = -1;

	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atol(line + 6);
	fclose(fp);
	return kib;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *len, void **con_cls)
{
	return MHD_NO;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct MHD_Daemon	*mhd;
	const char		*sock = "/var/run/docker.sock";
	char			 path[] = "/tmp/roost-rss-floor.XXXXXX";
	char			 url[128];
	CURL			*c;
	long			 kib;
	int			 ch, fd;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		if (ch != 's') {
			fprintf(stderr, "usage: bench_rss_floor [-s SOCKET]\n");
			return 2;
		}
		sock = optarg;
	}
	/* Kept referenced so the libraries are loaded, as in roostd. */
	if (lws_get_library_version() == NULL || cJSON_Version() == NULL ||
	    yaml_get_version_string() == NULL)
		return 1;
	git_libgit2_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((c = curl_easy_init()) == NULL)
		return 1;
	snprintf(url, sizeof(url), "http://docker/_ping");
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(c) != CURLE_OK) {
		fprintf(stderr, "bench_rss_floor: no engine at %s\n", sock);
		return 1;
	}
	if (mkdtemp(path) == NULL)
		return 1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/api.sock", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 16) == -1)
		return 1;
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    answer, NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_END);
	if (mhd == NULL)
		return 1;
	sleep(1);
	kib = rss_kib();
	MHD_stop_daemon(mhd);
	close(fd);
	unlink(sun.sun_path);
	rmdir(path);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	git_libgit2_shutdown();
	printf("libraries alone (git2, curl, microhttpd, websockets, yaml, "
	    "cjson): RSS %.1f MiB (%ld KiB)\n", kib / 1024.0, kib);
	return 0;
}
