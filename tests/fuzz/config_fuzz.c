/*
 * config_fuzz: libFuzzer harness over config_parse, the function that
 * turns config text into a config or an error.  Any input must give one
 * or the other, without crashing or leaking.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct echod_config *cfg = NULL;
	char err[1024];

	err[0] = '\0';
	if (config_parse((const char *)data, size, "fuzz.conf", &cfg, err,
	    sizeof(err)) == 0) {
		if (cfg == NULL || cfg->listen_count == 0 || cfg->port == 0 ||
		    cfg->max_children == 0)
			__builtin_trap();	/* accepted, yet not valid */
		config_free(cfg);
	} else if (strncmp(err, "fuzz.conf:", 10) != 0) {
		__builtin_trap();	/* an error must name the file */
	}
	return 0;
}
