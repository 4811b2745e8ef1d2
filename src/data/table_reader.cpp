#include "tessera/data/table_reader.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>

#include "tessera/data/byte_source.h"
#include "tessera/data/csv_reader.h"
#include "tessera/data/libsvm_reader.h"

namespace tessera::data {

namespace fs = std::filesystem;

namespace {
bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool HasGlobChars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }
}  // namespace

InputFiles::InputFiles(std::vector<std::string> files, ByteRange range, bool header)
    : names_(files), paths_(std::move(files)), range_(range), header_(header) {
  for (size_t i = 0; i < paths_.size(); ++i) {
    std::error_code ec;
    uint64_t size = fs::is_regular_file(paths_[i], ec) ? fs::file_size(paths_[i], ec) : 0;
    if (!range_.whole()) {
      size = std::min(size, range_.end) - std::min(size, range_.begin);
      names_[i] = paths_[i] + "[bytes " + std::to_string(range_.begin) + ".." + std::to_string(range_.end) + ")";
    }
    sizes_.push_back(ec ? 0 : size);
    total_ += sizes_.back();
  }
}

InputFiles::InputFiles(std::unique_ptr<ByteSource> stream)
    : names_{stream->name()}, sizes_{stream->raw_size()}, total_(stream->raw_size()), stream_(std::move(stream)),
      from_stream_(true) {}

uint64_t InputFiles::bytes_before(size_t i) const {
  uint64_t sum = 0;
  for (size_t k = 0; k < i && k < sizes_.size(); ++k) sum += sizes_[k];
  return sum;
}

Result<std::unique_ptr<ByteSource>> InputFiles::Open(size_t i) {
  if (!from_stream_ && !range_.whole()) return ByteSource::OpenLines(paths_[i], range_, header_);
  if (!from_stream_) return ByteSource::Open(names_[i]);
  if (!stream_) return Status::UserError(names_[i] + ": a stream can be read only once (cannot rewind)");
  return std::move(stream_);
}

Result<std::vector<std::string>> ExpandInputPaths(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<std::string> parts;
      for (const auto& entry : fs::directory_iterator(input, ec)) {
        std::string name = entry.path().filename().string();
        if (name.empty() || name[0] == '.' || name[0] == '_' || !entry.is_regular_file()) continue;
        if (EndsWith(name, ".crc")) continue;
        parts.push_back(entry.path().string());
      }
      if (ec) return Status::UserError(input + ": cannot list directory: " + ec.message());
      if (parts.empty()) return Status::UserError(input + ": the directory holds no data files");
      std::sort(parts.begin(), parts.end());
      files.insert(files.end(), parts.begin(), parts.end());
    } else if (HasGlobChars(input) && !fs::exists(input, ec)) {
      glob_t g;
      int rc = glob(input.c_str(), 0, nullptr, &g);
      if (rc == GLOB_NOMATCH) {
        globfree(&g);
        return Status::UserError(input + ": no file matches this pattern");
      }
      if (rc != 0) {
        globfree(&g);
        return Status::UserError(input + ": cannot expand pattern");
      }
      std::vector<std::string> parts(g.gl_pathv, g.gl_pathv + g.gl_pathc);
      globfree(&g);
      std::sort(parts.begin(), parts.end());
      files.insert(files.end(), parts.begin(), parts.end());
    } else {
      if (!fs::exists(input, ec)) return Status::UserError(input + ": no such file");
      files.push_back(input);
    }
  }
  if (files.empty()) return Status::UserError("no input files given");
  return files;
}

TableFormat FormatFromPath(const std::string& path) {
  std::string base = StripCompressionExtension(path);
  if (EndsWith(base, ".tsr")) return TableFormat::kTsr;
  for (const char* ext : {".svm", ".libsvm", ".svmlight"})
    if (EndsWith(base, ext)) return TableFormat::kLibSvm;
  return TableFormat::kCsv;
}

Result<std::unique_ptr<TableReader>> OpenTableReader(const std::vector<std::string>& files,
                                                     const ReadOptions& options) {
  if (files.empty()) return Status::UserError("no input files given");
  TableFormat format = FormatFromPath(files[0]);
  if (!options.byte_range.whole() && (files.size() != 1 || format != TableFormat::kCsv))
    return Status::UserError(files[0] + ": a byte range can be read from one CSV file only");
  for (const auto& f : files)
    if (FormatFromPath(f) != format)
      return Status::UserError(f + ": all inputs must have one format (the first is " + files[0] + ")");
  switch (format) {
    case TableFormat::kCsv: {
      TESSERA_ASSIGN_OR_RETURN(auto r, CsvReader::Open(files, options));
      return std::unique_ptr<TableReader>(std::move(r));
    }
    case TableFormat::kLibSvm: {
      TESSERA_ASSIGN_OR_RETURN(auto r, LibSvmReader::Open(files, options));
      return std::unique_ptr<TableReader>(std::move(r));
    }
    case TableFormat::kTsr:
      return Status::UserError(files[0] + ": a .tsr cache holds binned data, not a table to read row by row");
  }
  return Status::Internal("unknown format");
}

}  // namespace tessera::data
