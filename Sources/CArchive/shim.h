#ifndef OCIBATCH_CARCHIVE_SHIM_H
#define OCIBATCH_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

// The AE_IF* file-type macros carry casts, so Swift cannot import them: classify here instead.
// 0 other, 1 regular file, 2 directory, 3 symbolic link, 4 hard link.
static inline int ocibatch_archive_entry_kind(struct archive_entry *entry) {
    if (archive_entry_hardlink(entry) != NULL) return 4;
    switch (archive_entry_filetype(entry)) {
    case AE_IFREG: return 1;
    case AE_IFDIR: return 2;
    case AE_IFLNK: return 3;
    default: return 0;
    }
}
#endif
