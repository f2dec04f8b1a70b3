// SPDX-License-Identifier: Apache-2.0
/* The datastore's temporary directory (datastore/tmp): uploads are written
 * there as upload-XXXXXX while hashed, then renamed into place. */
#ifndef CTL_DATASTORE_TMP_H
#define CTL_DATASTORE_TMP_H

#include <stddef.h>
#include <stdint.h>

/* Remove every upload-* file under ctl_dir/datastore/tmp not written to for
 * min_age seconds: what a crash or a kill left half-written (no request
 * resumes them). Call at start-up, before serving; min_age 0 alone on the
 * datastore, more when other replicas share it (their uploads in flight
 * are written to all the time). *n and *bytes count what was removed. 0
 * (also when the directory does not exist) or a negative errno. */
int datastore_tmp_clean(const char *ctl_dir, int64_t min_age, size_t *n, uint64_t *bytes);

#endif
