// `immich-maintd scan-orphans`: the orphan file scan now. Prints every orphan and missing file
// (or JSON), records them in immich_maint.file_report when the extension is in the database, and
// moves or deletes orphans only when asked.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "core/error.h"
#include "core/path_text.h"
#include "sidecar/commands.h"
#include "sidecar/media_location.h"
#include "sidecar/orphan_scan.h"
#include "sidecar/progress.h"
#include "sidecar/report_store.h"

namespace immich_maint::sidecar {

namespace {

struct ScanOrphansCliOptions {
  std::string media;
  std::string db_media_prefix;
  bool json = false;
  bool quarantine = false;
  bool delete_regenerable = false;
  std::int64_t min_age_seconds = 3600;
};

std::string Shown(const std::string& raw) { return core::EscapeForTerminal(raw); }

void PrintOrphan(const OrphanFile& o) {
  std::string line = "orphan   " + Shown(o.relative) + " (" + HumanBytes(o.size);
  if (o.type != EntryType::kFile) line += std::string(", ") + EntryTypeName(o.type);
  line += ")";
  if (o.action == "quarantined") line += " quarantined to " + Shown(o.moved_to);
  if (o.action == "deleted") line += " deleted";
  if (o.action == "failed") line += " not moved: " + o.error;
  std::printf("%s\n", line.c_str());
}

void PrintLines(const OrphanScanResult& r) {
  for (const OrphanFile& o : r.orphans) PrintOrphan(o);
  for (const std::string& m : r.missing) std::printf("missing  %s\n", Shown(m).c_str());
  for (const auto& [path, reason] : r.unreadable)
    std::printf("unreadable %s: %s\n", Shown(path).c_str(), reason.c_str());
  std::uint64_t bytes = 0;
  for (const OrphanFile& o : r.orphans) bytes += o.size;
  std::printf(
      "%zu orphan files (%s), %zu missing, %llu unverified (under unreadable folders), "
      "%llu younger than %lld s skipped; %llu files seen, database paths start with %s (%s)\n",
      r.orphans.size(), HumanBytes(bytes).c_str(), r.missing.size(),
      static_cast<unsigned long long>(r.unverified),
      static_cast<unsigned long long>(r.skipped_young), static_cast<long long>(r.min_age_seconds),
      static_cast<unsigned long long>(r.files_seen), Shown(r.prefix).c_str(),
      r.prefix_source.c_str());
  if (!r.quarantine.empty())
    std::printf("quarantine: %s/%s\n", Shown(r.media).c_str(), Shown(r.quarantine).c_str());
}

nlohmann::json ParamsJson(const ScanOrphansCliOptions& cli) {
  return {{"quarantine", cli.quarantine},
          {"deleteRegenerable", cli.delete_regenerable},
          {"minAgeSeconds", cli.min_age_seconds},
          {"dbMediaPrefix", core::EscapeInvalidUtf8(cli.db_media_prefix)}};
}

// A finished manual OrphanFileScan run with its file_report rows (failed when some orphan could
// not be moved or deleted); a warning when it cannot be recorded: the files were already
// handled and are printed.
void RecordScan(PgConnection& conn, const OrphanScanResult& r, double started,
                const nlohmann::json& params) {
  std::string error;
  try {
    ThrowIfActionsFailed(r);
  } catch (const core::Failure& failure) {
    error = failure.error().message;
  }
  try {
    if (!HasMaintTable(conn, "file_report")) return;
    InTransaction(conn, [&] {
      const auto run_id = RecordCommandRun(conn, "OrphanFileScan", error.empty(), started, params,
                                           OrphanScanJson(r, false), error);
      InsertFileReport(conn, run_id, FileReportRows(r));
    });
  } catch (const core::Failure& failure) {
    std::cerr << "WARNING: orphan scan not recorded: " << failure.error().message << '\n';
  }
}

// "scanning: 42%" on a terminal, at most five times a second.
std::function<void(double)> TerminalProgress() {
  if (::isatty(STDERR_FILENO) != 1) return nullptr;
  auto last = std::make_shared<std::chrono::steady_clock::time_point>();
  return [last](double fraction) {
    const auto now = std::chrono::steady_clock::now();
    if (now - *last < std::chrono::milliseconds(200)) return;
    *last = now;
    std::fprintf(stderr, "\rscanning: %3d%%", static_cast<int>(fraction * 100));
  };
}

void RunScanOrphans(const ScanOrphansCliOptions& cli) {
  OrphanScanOptions options{
      ResolveMediaLocation(cli.media), cli.db_media_prefix, cli.quarantine,
      cli.delete_regenerable,          cli.min_age_seconds, TerminalProgress()};
  PgConnection conn(DbSettingsFromProcessEnvironment(), "immich-maintd");
  const double started = EpochSecondsNow();
  const OrphanScanResult result = RunOrphanScan(conn, options);
  if (options.progress) std::fprintf(stderr, "\r%-20s\r", "");
  RecordScan(conn, result, started, ParamsJson(cli));
  if (cli.json) {
    std::cout << OrphanScanJson(result, true).dump(2) << std::endl;
  } else {
    PrintLines(result);
    std::fflush(stdout);
  }
  ThrowIfActionsFailed(result);
}

}  // namespace

void AddScanOrphansCommand(CLI::App& app) {
  auto cli = std::make_shared<ScanOrphansCliOptions>();
  auto* cmd = app.add_subcommand(
      "scan-orphans",
      "Report files on disk the database does not know (orphans) and referenced files not on disk");
  cmd->footer(
      "Walks upload, library, profile, thumbs and encoded-video. Nothing is changed unless asked:\n"
      "--quarantine moves orphans to <media>/.immich_maint-quarantine/<time>/<path> (move them\n"
      "back to undo); --delete-regenerable deletes orphans in thumbs and encoded-video only.\n"
      "Originals are never deleted. Symlinks are reported, never followed.");
  cmd->add_option(
      "--media", cli->media,
      "Media location (default: IMMICH_MEDIA_LOCATION, else /data or /usr/src/app/upload)");
  cmd->add_option(
      "--db-media-prefix", cli->db_media_prefix,
      "Media location as the database's paths spell it (default: Immich's MediaLocation "
      "in system_metadata, else detected from the paths)");
  cmd->add_option("--min-age", cli->min_age_seconds,
                  "Skip files changed less than this many seconds ago (uploads in progress)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{315360000}));
  cmd->add_flag("--quarantine", cli->quarantine, "Move orphans into the quarantine folder");
  cmd->add_flag("--delete-regenerable", cli->delete_regenerable,
                "Delete orphans in thumbs and encoded-video");
  cmd->add_flag("--json", cli->json, "Print JSON, with every orphan and missing file");
  cmd->callback([cli] { RunScanOrphans(*cli); });
}

}  // namespace immich_maint::sidecar
