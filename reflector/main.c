/* main.c: sitecastd's command line (see sitecastd(8) and daemon.h). */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/config.h"
#include "reflector/cfgfile.h"
#include "reflector/daemon.h"
#include "reflector/log.h"

#define DEFAULT_CONFIG SYSCONFDIR "/sitecast/sitecast.yaml"

static const char usage[] = "usage: sitecastd [-c FILE] [-n] [-f] [-v]...\n";

/* Each error is already "FILE:LINE:COLUMN: message"; scripts and editors read them as is.
 */
static void print_errors(const struct policy_errors *errs)
{
	for (size_t i = 0; i < policy_errors_count(errs); i++)
		log_errline("%s", policy_errors_get(errs, i));
}

int main(int argc, char **argv)
{
	struct options opt = {.config_path = DEFAULT_CONFIG};
	struct policy_config *cfg;
	struct policy_errors *errs;
	int c;

	opterr = 0;
	while ((c = getopt(argc, argv, ":c:nfvh")) != -1) {
		switch (c) {
		case 'c':
			opt.config_path = optarg;
			break;
		case 'n':
			opt.check_only = true;
			break;
		case 'f':
			opt.foreground = true;
			break;
		case 'v':
			opt.verbose++;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			fprintf(stderr, "sitecastd: option -%c needs an argument\n%s",
			        optopt, usage);
			return 1;
		default:
			fprintf(stderr, "sitecastd: unknown option -%c\n%s", optopt,
			        usage);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sitecastd: unexpected argument '%s'\n%s", argv[optind],
		        usage);
		return 1;
	}

	/* The key and TSIG secret files are checked here, so that -n reports them too. */
	int rc = cfgfile_load(opt.config_path, &cfgfile_check, &cfg, &errs);
	print_errors(errs);
	if (rc < 0 && policy_errors_count(errs) == 0)
		log_errline("%s:1:1: %s", opt.config_path, strerror(-rc));
	policy_errors_free(errs);
	if (rc < 0)
		return 1;
	if (opt.check_only) {
		policy_config_free(cfg);
		return 0;
	}
	log_init(opt.foreground, opt.verbose, "sitecastd");
	return daemon_run(cfg, &opt);
}
