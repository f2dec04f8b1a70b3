// SPDX-License-Identifier: Apache-2.0
/* The encrypted volume store ("the vault" on disk): an ext4 file system
 * made with the `encrypt` feature in <state>/vault.img, loop-mounted at
 * <state>/vault, whose directory data/ carries an fscrypt v2 policy
 * (AES-256-XTS contents, AES-256-CTS names) keyed by a key derived from the
 * sealed vault key (HKDF-SHA512). data/volumes and data/apps are
 * bind-mounted over <state>/volumes and <state>/apps, where the app runtime
 * keeps app volumes, cloud-init drives and consoles: they exist in clear
 * only while the key is in the kernel. The mounts are also made in the
 * hypervisor daemon's mount namespace when it runs in another one.
 * No logging: errors come back as a negative errno plus a text in err. */
#ifndef EVE_VAULT_FS_H
#define EVE_VAULT_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VAULT_FS_KEY_LEN 32
/* Smallest and default size of vault.img (a sparse file). */
#define VAULT_FS_MIN_SIZE (64ull << 20)

/* Make (first use: mkfs, policy), mount and unlock the store, then put its
 * directories in place over <state>/volumes and <state>/apps. Idempotent:
 * a store still mounted from an earlier run only gets the key again.
 * -EKEYREJECTED when the store was made under another key. */
int vault_fs_open(const char *state_dir, uint64_t size, const uint8_t key[VAULT_FS_KEY_LEN], char *err,
		  size_t errlen);
/* Make the same mounts inside the mount namespace of process pid (the
 * hypervisor daemon), when it differs from ours: 0 (also when it is the
 * same namespace), or a negative errno with err. */
int vault_fs_share(const char *state_dir, pid_t pid, char *err, size_t errlen);
/* The pid of the process serving the unix socket at path (SO_PEERCRED), or
 * a negative errno. */
pid_t vault_fs_socket_pid(const char *path);
/* The directory for the agent's temporary files while the store is open:
 * <state>/vault/data/tmp (encrypted like the rest of data/), into buf.
 * With --vault the agent makes it its TMPDIR at start, so what libraries
 * spool there (libarchive's ISO writer keeps a cloud-init seed's user data
 * in an O_TMPFILE in TMPDIR) is never in clear on the disk; while the store
 * is locked it does not exist and such writes fail. 0 or -ENAMETOOLONG. */
int vault_fs_tmp_dir(const char *state_dir, char *buf, size_t len);
/* Parse a size such as "512M", "2G" or plain bytes: 0 or -EINVAL. */
int vault_fs_parse_size(const char *s, uint64_t *out);

#endif
