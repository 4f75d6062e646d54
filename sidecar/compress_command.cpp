// `immich-maintd compress`: stdin to stdout through the backup's gzip encoder, the same bytes a
// backup would write. A tool for benchmarks (bench/gzip_dedupe) and for checking the encoder
// against other gzip readers; backups themselves never go through it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <memory>
#include <vector>

#include "sidecar/commands.h"
#include "sidecar/durable_file.h"
#include "sidecar/gzip_writer.h"

namespace immich_maint::sidecar {

namespace {

struct CompressCliOptions {
  std::string compressor = "isal";
  int level = -1;
  bool no_rsyncable = false;
};

void WriteAll(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowIoError("cannot write", "standard output", errno);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void RunCompress(const CompressCliOptions& cli) {
  GzipSettings settings;
  settings.compressor = ParseCompressor(cli.compressor).value();
  settings.level = cli.level;
  settings.rsyncable = !cli.no_rsyncable;
  FunctionSink sink(
      [](const std::uint8_t* data, std::size_t size) { WriteAll(STDOUT_FILENO, data, size); });
  auto encoder = MakeGzipEncoder(settings, sink).value();
  std::vector<std::uint8_t> buffer(std::size_t{1} << 20);
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowIoError("cannot read", "standard input", errno);
    if (n == 0) break;
    encoder->Write(buffer.data(), static_cast<std::size_t>(n));
  }
  encoder->Finish();
}

}  // namespace

void AddCompressCommand(CLI::App& app) {
  auto cli = std::make_shared<CompressCliOptions>();
  auto* cmd = app.add_subcommand(
      "compress", "Gzip stdin to stdout as backups are compressed (a tool for benchmarks)");
  cmd->add_option("--compressor", cli->compressor, "isal (fast) or zlib (portable)")
      ->capture_default_str();
  cmd->add_option("--level", cli->level,
                  "Compression level: isal 0-3 (default 2), zlib 1-9 (default 6)");
  cmd->add_flag("--no-rsyncable", cli->no_rsyncable, "No content-defined resets");
  cmd->callback([cli] { RunCompress(*cli); });
}

}  // namespace immich_maint::sidecar
