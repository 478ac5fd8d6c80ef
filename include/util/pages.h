/* pages.h — zeroed memory that costs nothing until it is used.
 *
 * A table the daemon keeps for a rare event (the decisions of an
 * evaluation that acts, the pairing of a kernel OOM kill's records) has to
 * exist from the start, so that the event never waits on an allocation,
 * but most of it is never written. From the heap, calloc() clears it and
 * every page of it stays resident (tens of kB of RssAnon at idle, issue
 * 20); mapped anonymous, a page comes (zeroed, and locked under
 * mlockall(MCL_ONFAULT)) only when first touched. For tables of a few
 * pages or more: each is a mapping of its own. */
#ifndef MEMGUARD_PAGES_H
#define MEMGUARD_PAGES_H

#include <stddef.h>

/* SIZE zeroed bytes, page-aligned; NULL (errno set) on failure. */
void *pages_alloc(size_t size);

/* Gives back what pages_alloc(SIZE) returned; P NULL is a no-op. */
void pages_free(void *p, size_t size);

#endif
