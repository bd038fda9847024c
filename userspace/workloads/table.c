// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The workload table: every workload the runner knows, found by name. */
#include <string.h>
#include "workloads/workload.h"

const struct workload *const wl_all[] = { &wl_pool, &wl_channel, &wl_stream, &wl_pipeline,
					    &wl_bench, NULL };

const struct workload *wl_find(const char *name)
{
	for (int i = 0; wl_all[i]; i++)
		if (!strcmp(wl_all[i]->name, name))
			return wl_all[i];
	return NULL;
}

int wl_param_index(const struct workload *wl, const char *name)
{
	for (int i = 0; wl->params[i].name; i++)
		if (!strcmp(wl->params[i].name, name))
			return i;
	return -1;
}

int wl_config_check(const struct wl_config *cfg, char *err, size_t errlen)
{
	return cfg->wl->config_check ? cfg->wl->config_check(cfg, err, errlen) : 0;
}
