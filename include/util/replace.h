/* Replacing a file whole, so that a reader sees the old one or the new one
 * and never a part: written to .NAME.tmp beside it, then renamed over it. */
#pragma once

#include <stdio.h>
#include <sys/types.h>

/* Writes PATH anew with mode MODE (whatever the umask) through WRITE(out,
 * ARG), which returns 0 or a negative errno. A temporary left by a crash,
 * or put there by another writer of the directory, is removed and never
 * followed. Returns 0, or a negative errno with PATH untouched and no
 * temporary left. */
int file_replace(const char *path, mode_t mode, int (*write)(FILE *out, const void *arg), const void *arg);
