/*
 * fuzz_config.c: libFuzzer target for the configuration loader.
 *
 * Any input must load or fail cleanly: no crash, no leak, and every error a
 * single "fuzz.yaml:LINE:COLUMN: message" line. A configuration that loads
 * must answer every accessor.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config.h"
#include "policy/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error_line(const char *line)
{
	unsigned l, c;
	int n = 0;

	if (!line || sscanf(line, "fuzz.yaml:%u:%u: %n", &l, &c, &n) != 2 || n == 0 ||
	    l == 0 || c == 0 || line[n] == '\0' || strchr(line, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_config *cfg = NULL;
	struct policy_errors *errs = NULL;
	int rc =
	    policy_config_load_buffer("fuzz.yaml", (const char *)data, size, &cfg, &errs);

	if (!errs)
		abort();
	for (size_t i = 0; i < policy_errors_count(errs); i++)
		check_error_line(policy_errors_get(errs, i));
	if ((rc == 0) != (cfg != NULL) || (rc == 0) != (policy_errors_count(errs) == 0))
		abort();
	if (cfg) {
		if (!policy_config_site(cfg) || !policy_config_key(cfg) ||
		    !policy_config_control(cfg))
			abort();
		for (size_t i = 0; i < policy_config_ninterfaces(cfg); i++)
			if (!policy_config_interface(cfg, i))
				abort();
		for (size_t i = 0; i < policy_config_npeers(cfg); i++) {
			const struct policy_peer *p = policy_config_peer(cfg, i);
			if (!p || !policy_peer_export(p) || !policy_peer_import(p) ||
			    !policy_peer_addrmap(p) || !policy_peer_link_equal(p, p) ||
			    policy_config_peer_by_name(cfg, policy_peer_name(p)) != p)
				abort();
		}
	}
	policy_config_free(cfg);
	policy_errors_free(errs);
	return 0;
}
