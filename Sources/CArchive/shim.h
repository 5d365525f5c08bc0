#ifndef OCIBATCH_CARCHIVE_SHIM_H
#define OCIBATCH_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
