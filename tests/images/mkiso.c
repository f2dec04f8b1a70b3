// SPDX-License-Identifier: Apache-2.0
/* mkiso DIR OUT.iso: pack a directory tree into an ISO 9660 image (Rock
 * Ridge) with libarchive, so the test images need no xorriso/genisoimage. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy_data(struct archive *w, const char *path)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (archive_write_data(w, buf, (size_t)n) != n) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct archive *r, *w;
	struct archive_entry *e;
	int rc = 1, st;

	if (argc != 3) {
		fprintf(stderr, "usage: mkiso DIR OUT.iso\n");
		return 2;
	}
	w = archive_write_new();
	archive_write_set_format_iso9660(w);
	archive_write_set_option(w, "iso9660", "rockridge", "1");
	if (archive_write_open_filename(w, argv[2]) != ARCHIVE_OK)
		goto out_w;
	if (chdir(argv[1]) != 0)
		goto out_w;
	r = archive_read_disk_new();
	archive_read_disk_set_standard_lookup(r);
	if (archive_read_disk_open(r, ".") != ARCHIVE_OK)
		goto out_r;
	for (;;) {
		e = archive_entry_new();
		st = archive_read_next_header2(r, e);
		if (st == ARCHIVE_EOF) {
			archive_entry_free(e);
			rc = 0;
			break;
		}
		if (st != ARCHIVE_OK) {
			archive_entry_free(e);
			break;
		}
		archive_read_disk_descend(r);
		if (strcmp(archive_entry_pathname(e), ".") != 0) {
			if (archive_write_header(w, e) != ARCHIVE_OK ||
			    (archive_entry_filetype(e) == AE_IFREG &&
			     copy_data(w, archive_entry_sourcepath(e)) != 0)) {
				archive_entry_free(e);
				break;
			}
		}
		archive_entry_free(e);
	}
out_r:
	archive_read_close(r);
	archive_read_free(r);
out_w:
	if (archive_write_close(w) != ARCHIVE_OK)
		rc = 1;
	if (rc)
		fprintf(stderr, "mkiso: %s\n", archive_error_string(w) ? archive_error_string(w) : "failed");
	archive_write_free(w);
	return rc;
}
