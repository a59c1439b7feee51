/*
 * cmd_status: roost status [--api SOCKET] [--format text|json] [NAME]
 * asks a node's roostd for the actual state of its game servers: a table
 * for people, the API's JSON for tools.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "xmalloc.h"

#include "cli.h"

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
jnum(const cJSON *o, const char *key, double dflt)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* Formats a byte count as MiB or GiB. */
static void
fmt_bytes(char *out, size_t len, double b)
{
	if (b < 0)
		snprintf(out, len, "-");
	else if (b >= 1024.0 * 1024 * 1024)
		snprintf(out, len, "%.1fG", b / (1024.0 * 1024 * 1024));
	else
		snprintf(out, len, "%.0fM", b / (1024.0 * 1024));
}

/* Formats the time since an RFC 3339 UTC timestamp ("5m", "2h", "3d"). */
static void
fmt_age(char *out, size_t len, const char *ts)
{
	struct tm	tm;
	time_t		t;
	long		d;

	memset(&tm, 0, sizeof(tm));
	if (ts == NULL || strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
		snprintf(out, len, "-");
		return;
	}
	t = timegm(&tm);
	d = (long)difftime(time(NULL), t);
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(out, len, "%lds", d);
	else if (d < 7200)
		snprintf(out, len, "%ldm", d / 60);
	else if (d < 172800)
		snprintf(out, len, "%ldh", d / 3600);
	else
		snprintf(out, len, "%ldd", d / 86400);
}

static void
print_ports(const cJSON *s, char *out, size_t len)
{
	const cJSON	*ports = cJSON_GetObjectItemCaseSensitive(s, "ports");
	const cJSON	*p;
	size_t		 n = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(p, ports) {
		if (!cJSON_IsNumber(p))
			continue;
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s%d",
		    n ? "," : "", p->valueint);
		if (n >= len)
			break;
	}
	if (out[0] == '\0')
		snprintf(out, len, "-");
}

static void
print_table(const cJSON *root, const cJSON *single)
{
	const cJSON	*node, *servers, *s, *usage;
	char		 cpu[24], mem[24], ports[64], age[24];
	const char	*rev, *fe, *msg;

	if (single == NULL) {
		node = cJSON_GetObjectItemCaseSensitive(root, "node");
		rev = jstr(node, "revision");
		fe = jstr(node, "fetchError");
		printf("node %s  revision %.12s%s%s\n",
		    jstr(node, "name") ? jstr(node, "name") : "?",
		    rev ? rev : "(none)", fe ? "  fetch error: " : "",
		    fe ? fe : "");
		if (jstr(node, "sealKey") != NULL)
			printf("sealKey %s%s\n", jstr(node, "sealKey"),
			    json_bool(node, "sealKeyCommitted", 0) ? "" :
			    "  (not in nodes/, see roost node pubkey)");
		servers = cJSON_GetObjectItemCaseSensitive(root, "servers");
	} else
		servers = NULL;
	printf("%-20s %-13s %-5s %6s %7s %-13s %-5s %s\n", "NAME", "PHASE",
	    "READY", "CPU", "MEM", "PORTS", "AGE", "MESSAGE");
	s = single != NULL ? single : (servers ? servers->child : NULL);
	for (; s != NULL; s = single != NULL ? NULL : s->next) {
		usage = cJSON_GetObjectItemCaseSensitive(s, "usage");
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(usage,
		    "cpuPercent")))
			snprintf(cpu, sizeof(cpu), "%.0f%%",
			    jnum(usage, "cpuPercent", 0));
		else
			snprintf(cpu, sizeof(cpu), "-");
		fmt_bytes(mem, sizeof(mem), jnum(usage, "memoryBytes", -1));
		print_ports(s, ports, sizeof(ports));
		fmt_age(age, sizeof(age), jstr(s, "lastTransitionTime"));
		msg = jstr(s, "message");
		printf("%-20s %-13s %-5s %6s %7s %-13s %-5s %s\n",
		    jstr(s, "name") ? jstr(s, "name") : "?",
		    jstr(s, "phase") ? jstr(s, "phase") : "?",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s,
		    "ready")) ? "yes" : "no", cpu, mem, ports, age,
		    msg ? msg : "");
	}
}

/* Prints one result of a backup or restore ("last backup: ..."). */
static void
print_result(const char *what, const cJSON *r)
{
	const char	*id, *msg;

	if (r == NULL)
		return;
	id = json_str(r, "id", NULL);
	msg = json_str(r, "message", NULL);
	printf("last %s: %s at %s%s%s%s\n", what, json_str(r, "result", "?"),
	    json_str(r, "finishedAt", "?"), id != NULL ? " (" : "",
	    id != NULL ? id : "", id != NULL ? ")" : "");
	if (msg != NULL)
		printf("  %s\n", msg);
}

/* The backups of one server's status: the job, the results, the list. */
static void
print_backups(const cJSON *bk)
{
	const cJSON	*it;
	char		 size[16];

	if (bk == NULL)
		return;
	printf("\nbackups on target %s%s%s\n", json_str(bk, "target", "-"),
	    json_str(bk, "running", NULL) != NULL ? ", running: " : "",
	    json_str(bk, "running", ""));
	if (json_str(bk, "targetError", NULL) != NULL)
		printf("  error: %s\n", json_str(bk, "targetError", ""));
	print_result("backup", json_get(bk, "lastBackup"));
	print_result("restore", json_get(bk, "lastRestore"));
	it = json_get(bk, "list");
	if (cJSON_GetArraySize(it) == 0) {
		printf("no backups\n");
		return;
	}
	printf("%-22s %-20s %8s %8s %-12s %s\n", "ID", "TIME", "SIZE",
	    "ENTRIES", "SHA256", "NOTE");
	for (it = it->child; it != NULL; it = it->next) {
		double	bytes = json_double(it, "size", -1);

		if (bytes >= 0 && bytes < 1024)
			snprintf(size, sizeof(size), "%.0fB", bytes);
		else if (bytes >= 0 && bytes < 1024.0 * 1024)
			snprintf(size, sizeof(size), "%.0fK", bytes / 1024);
		else
			fmt_bytes(size, sizeof(size), bytes);
		printf("%-22s %-20s %8s %8.0f %-12.12s %s\n",
		    json_str(it, "id", "?"), json_str(it, "time", "?"), size,
		    json_double(it, "entries", 0), json_str(it, "sha256", ""),
		    json_str(it, "note", ""));
	}
}

/* A server's move between nodes: where it stands and why. */
static void
print_transfer(const cJSON *tr)
{
	if (tr == NULL)
		return;
	printf("\nmove from %s to %s (asked at %s): %s%s%s\n",
	    json_str(tr, "from", "?"), json_str(tr, "to", "?"),
	    json_str(tr, "requestedAt", "?"), json_str(tr, "state", "?"),
	    json_str(tr, "backup", NULL) != NULL ? ", backup " : "",
	    json_str(tr, "backup", ""));
	if (json_str(tr, "message", NULL) != NULL)
		printf("  %s\n", json_str(tr, "message", ""));
}

/* roost status: prints the node's status. */
int
cmd_status(int argc, char *argv[])
{
	struct http_response	 resp;
	cJSON			*root;
	const char		*api = cli_api();
	const char		*format = "text", *name = NULL;
	const struct cli_opt	 opts[] = {
		{ 'a', "api",	 CLI_OPT_STRING, &api },
		{ 'F', "format", CLI_OPT_STRING, &format },
		{ 0 }
	};
	char			*url, *esc;
	int			 i, rc;

	if ((i = cli_opts_parse("status", opts, argc, argv, &rc)) == -1)
		return rc;
	if (i < argc)
		name = argv[i++];
	if (i != argc || (strcmp(format, "text") != 0 &&
	    strcmp(format, "json") != 0))
		return cli_usage("status", 0);
	if (name != NULL) {
		esc = http_escape(name);
		xasprintf(&url, "http://localhost/v1/servers/%s", esc);
		free(esc);
	} else
		url = xstrdup("http://localhost/v1/status");
	if ((rc = cli_roostd(api, "GET", url, &resp)) != 0)
		goto done;
	if (resp.status == 404 && name != NULL) {
		fprintf(stderr, "roost: no server '%s' on this node\n", name);
		rc = CLI_FAIL;
		goto done;
	}
	if (resp.status != 200) {
		fprintf(stderr, "roost: roostd answered %ld: %s\n",
		    resp.status, buf_str(&resp.body));
		rc = CLI_USAGE;
		goto done;
	}
	if (strcmp(format, "json") == 0) {
		printf("%s\n", buf_str(&resp.body));
		goto done;
	}
	if ((root = json_parse_str(buf_str(&resp.body))) == NULL) {
		fprintf(stderr, "roost: roostd sent a reply that is not "
		    "json\n");
		rc = CLI_USAGE;
		goto done;
	}
	print_table(root, name != NULL ? root : NULL);
	if (name != NULL) {
		print_transfer(json_get(root, "transfer"));
		print_backups(json_get(root, "backups"));
		if (json_get(root, "schedules") != NULL) {
			printf("\n");
			sched_print(json_get(root, "schedules"));
		}
	}
	cJSON_Delete(root);
done:
	http_response_dispose(&resp);
	free(url);
	return rc;
}
