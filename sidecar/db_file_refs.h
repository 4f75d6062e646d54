// The files the database references, read for the orphan scan in one consistent snapshot
// (REPEATABLE READ READ ONLY): each column of core's ReferencedPathColumns that exists, streamed
// with COPY into the compact path set, so memory holds the paths and nothing per row.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/orphan_diff.h"
#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

struct DbFileRefs {
  core::PathSet paths;               // media-relative, in the five scanned folders
  std::string prefix;                // the media location the database's paths start with
  std::string prefix_source;         // option, system_metadata or detected
  std::vector<std::string> columns;  // read, e.g. "asset.originalPath"
  std::uint64_t rows = 0;            // non-empty paths read
  std::uint64_t elsewhere = 0;  // outside the prefix or the scanned folders (external libraries)
};

// The prefix is prefix_option when given, else system_metadata's MediaLocation (Immich keeps
// it when it migrates paths), else the candidate (media, /data, /usr/src/app/upload, upload)
// most paths start with. Throws kInvalidArgument when the database has paths and none lies
// under the prefix: every file would look like an orphan.
DbFileRefs ReadDbFileRefs(PgConnection& conn, const std::string& media,
                          const std::string& prefix_option);

}  // namespace immich_maint::sidecar
