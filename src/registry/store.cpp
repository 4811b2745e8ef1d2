#include "tessera/registry/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "tessera/core/atomic_file.h"
#include "tessera/core/sha256.h"

namespace tessera::registry {

namespace {

namespace fs = std::filesystem;

// Each migration takes the schema from version i to i + 1 (PRAGMA user_version).
const char* const kMigrations[] = {
    // 0 -> 1
    R"sql(
    CREATE TABLE runs(
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, started REAL NOT NULL,
      finished REAL NOT NULL DEFAULT 0, host TEXT NOT NULL, tessera_version TEXT NOT NULL,
      command TEXT NOT NULL, data_fingerprint TEXT NOT NULL, params TEXT NOT NULL, tags TEXT NOT NULL);
    CREATE INDEX runs_by_start ON runs(started);
    CREATE INDEX runs_by_fingerprint ON runs(data_fingerprint);
    CREATE TABLE metric_points(run_id TEXT NOT NULL REFERENCES runs(id), key TEXT NOT NULL, step INTEGER NOT NULL,
                               value REAL NOT NULL);
    CREATE INDEX metric_points_by_run ON metric_points(run_id, key, step);
    CREATE TABLE run_metrics(run_id TEXT NOT NULL REFERENCES runs(id), key TEXT NOT NULL, value REAL NOT NULL,
                             PRIMARY KEY(run_id, key));
    CREATE TABLE artifacts(sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, created REAL NOT NULL);
    CREATE TABLE run_artifacts(run_id TEXT NOT NULL REFERENCES runs(id), name TEXT NOT NULL,
                               sha256 TEXT NOT NULL REFERENCES artifacts(sha256), PRIMARY KEY(run_id, name));
    CREATE TABLE models(name TEXT PRIMARY KEY, created REAL NOT NULL);
    CREATE TABLE model_versions(name TEXT NOT NULL REFERENCES models(name), version INTEGER NOT NULL,
                                run_id TEXT NOT NULL, artifact TEXT NOT NULL REFERENCES artifacts(sha256),
                                description TEXT NOT NULL, tags TEXT NOT NULL, created REAL NOT NULL,
                                PRIMARY KEY(name, version));
    CREATE TABLE aliases(name TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL,
                         PRIMARY KEY(name, alias), FOREIGN KEY(name, version) REFERENCES model_versions(name, version));
    )sql",
};

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Hostname() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? name : "unknown";
}

std::string NewRunId() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(Now() * 1e6));
  static const char* kHex = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i) id += kHex[rng() & 15];
  return id;
}

nlohmann::json TagsToJson(const std::map<std::string, std::string>& tags) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : tags) j[k] = v;
  return j;
}

std::map<std::string, std::string> TagsFromJson(const std::string& text) {
  std::map<std::string, std::string> tags;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) tags[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return tags;
}

// A prepared statement; binds by position (from 1), reads columns by position (from 0).
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& Bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step() { return rc_ == SQLITE_OK ? sqlite3_step(stmt_) : rc_; }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string Text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : "";
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  Status Error(const std::string& what) const { return Status::UserError("store: " + what + ": " + sqlite3_errmsg(db_)); }
  // Runs a statement that returns no rows.
  Status Done(const std::string& what) {
    const int rc = Step();
    return rc == SQLITE_DONE ? Status::Ok() : Error(what);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

ModelVersion VersionFromRow(const Statement& s) {
  ModelVersion v;
  v.name = s.Text(0);
  v.version = static_cast<int>(s.Int(1));
  v.run_id = s.Text(2);
  v.artifact = s.Text(3);
  v.description = s.Text(4);
  v.tags = TagsFromJson(s.Text(5));
  v.created = s.Double(6);
  return v;
}

constexpr const char* kVersionColumns = "name, version, run_id, artifact, description, tags, created";

}  // namespace

Store::~Store() { sqlite3_close(db_); }

std::string Store::DefaultDir() {
  const char* env = std::getenv("TESSERA_STORE");
  return env && *env ? env : "tessera-store";
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "artifacts", ec);
  if (ec) return Status::UserError("store " + dir + ": cannot create: " + ec.message());
  const std::string path = (fs::path(dir) / "store.db").string();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::UserError("store " + path + ": cannot open: " + message);
  }
  std::unique_ptr<Store> store(new Store(dir, db));
  sqlite3_busy_timeout(db, 30000);  // other processes' transactions: wait, do not fail
  TESSERA_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  TESSERA_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=NORMAL"));
  TESSERA_RETURN_IF_ERROR(store->Exec("PRAGMA foreign_keys=ON"));
  TESSERA_RETURN_IF_ERROR(store->Migrate());
  return store;
}

Status Store::Exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    return Status::UserError("store " + dir_ + ": " + message);
  }
  return Status::Ok();
}

template <typename Fn>
Status Store::InTransaction(Fn fn) {
  // IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
  TESSERA_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status st = fn();
  if (!st.ok()) {
    (void)Exec("ROLLBACK");  // the first error is the one to report
    return st;
  }
  return Exec("COMMIT");
}

Status Store::Migrate() {
  return InTransaction([&]() -> Status {
    Statement get(db_, "PRAGMA user_version");
    if (get.Step() != SQLITE_ROW) return get.Error("reading the schema version");
    const int64_t version = get.Int(0);
    const int64_t latest = static_cast<int64_t>(std::size(kMigrations));
    if (version > latest)
      return Status::UserError("store " + dir_ + ": schema version " + std::to_string(version) +
                               " was written by a newer Tessera (this one knows up to " + std::to_string(latest) + ")");
    for (int64_t v = version; v < latest; ++v) TESSERA_RETURN_IF_ERROR(Exec(kMigrations[v]));
    if (version < latest) TESSERA_RETURN_IF_ERROR(Exec("PRAGMA user_version = " + std::to_string(latest)));
    return Status::Ok();
  });
}

Result<std::string> Store::StartRun(const RunInfo& info) {
  const std::string id = NewRunId();
  TESSERA_RETURN_IF_ERROR(InTransaction([&]() -> Status {
    Statement s(db_,
                "INSERT INTO runs(id, kind, status, started, host, tessera_version, command, data_fingerprint, params, tags) "
                "VALUES(?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, id).Bind(2, info.kind).Bind(3, Now()).Bind(4, Hostname()).Bind(5, std::string(TESSERA_VERSION));
    s.Bind(6, info.command).Bind(7, info.data_fingerprint).Bind(8, info.params.dump()).Bind(9, TagsToJson(info.tags).dump());
    return s.Done("starting a run");
  }));
  return id;
}

Status Store::LogMetrics(const std::string& run_id, const std::vector<MetricPoint>& points) {
  if (points.empty()) return Status::Ok();
  return InTransaction([&]() -> Status {
    Statement s(db_, "INSERT INTO metric_points(run_id, key, step, value) VALUES(?, ?, ?, ?)");
    for (const auto& p : points) {
      s.Bind(1, run_id).Bind(2, p.key).Bind(3, p.step).Bind(4, p.value);
      TESSERA_RETURN_IF_ERROR(s.Done("logging metrics of run " + run_id));
      s.Reset();
    }
    return Status::Ok();
  });
}

Status Store::SetFinalMetrics(const std::string& run_id, const std::map<std::string, double>& metrics) {
  return InTransaction([&]() -> Status {
    Statement s(db_, "INSERT OR REPLACE INTO run_metrics(run_id, key, value) VALUES(?, ?, ?)");
    for (const auto& [key, value] : metrics) {
      s.Bind(1, run_id).Bind(2, key).Bind(3, value);
      TESSERA_RETURN_IF_ERROR(s.Done("recording metrics of run " + run_id));
      s.Reset();
    }
    return Status::Ok();
  });
}

Status Store::AddRunArtifact(const std::string& run_id, const ArtifactRef& artifact) {
  return InTransaction([&]() -> Status {
    Statement s(db_, "INSERT OR REPLACE INTO run_artifacts(run_id, name, sha256) VALUES(?, ?, ?)");
    s.Bind(1, run_id).Bind(2, artifact.name).Bind(3, artifact.sha256);
    return s.Done("recording an artifact of run " + run_id);
  });
}

Status Store::FinishRun(const std::string& run_id, const std::string& status) {
  return InTransaction([&]() -> Status {
    Statement s(db_, "UPDATE runs SET status = ?, finished = ? WHERE id = ?");
    s.Bind(1, status).Bind(2, Now()).Bind(3, run_id);
    TESSERA_RETURN_IF_ERROR(s.Done("finishing run " + run_id));
    if (sqlite3_changes(db_) != 1) return Status::UserError("store: no run " + run_id);
    return Status::Ok();
  });
}

Result<Run> Store::GetRun(const std::string& id_or_prefix) {
  if (id_or_prefix.empty()) return Status::UserError("store: empty run id");
  Statement s(db_,
              "SELECT id, kind, status, started, finished, host, tessera_version, command, data_fingerprint, params, tags "
              "FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2");
  s.Bind(1, id_or_prefix).Bind(2, id_or_prefix + "\x7f");
  Run run;
  int found = 0;
  while (s.Step() == SQLITE_ROW) {
    if (++found > 1) return Status::UserError("store: run id prefix '" + id_or_prefix + "' matches several runs");
    run.id = s.Text(0), run.kind = s.Text(1), run.status = s.Text(2);
    run.started = s.Double(3), run.finished = s.Double(4);
    run.host = s.Text(5), run.tessera_version = s.Text(6), run.command = s.Text(7), run.data_fingerprint = s.Text(8);
    run.params = nlohmann::json::parse(s.Text(9), nullptr, false);
    run.tags = TagsFromJson(s.Text(10));
  }
  if (found == 0) return Status::UserError("store: no run '" + id_or_prefix + "'");
  Statement m(db_, "SELECT key, value FROM run_metrics WHERE run_id = ?");
  m.Bind(1, run.id);
  while (m.Step() == SQLITE_ROW) run.metrics[m.Text(0)] = m.Double(1);
  Statement a(db_, "SELECT r.name, r.sha256, a.size FROM run_artifacts r JOIN artifacts a USING(sha256) WHERE run_id = ?");
  a.Bind(1, run.id);
  while (a.Step() == SQLITE_ROW) run.artifacts.push_back({a.Text(0), a.Text(1), a.Int(2)});
  return run;
}

Result<std::vector<Run>> Store::ListRuns(const RunFilter& filter) {
  std::string sql = "SELECT id FROM runs r";
  std::vector<std::string> where;
  if (!filter.kind.empty()) where.push_back("kind = :kind");
  if (!filter.metric.empty()) {
    std::string cond = "EXISTS (SELECT 1 FROM run_metrics m WHERE m.run_id = r.id AND m.key = :metric";
    if (filter.metric_min) cond += " AND m.value >= :min";
    if (filter.metric_max) cond += " AND m.value <= :max";
    where.push_back(cond + ")");
  }
  for (size_t i = 0; i < filter.tags.size(); ++i)
    where.push_back("json_extract(tags, :tagpath" + std::to_string(i) + ") = :tagvalue" + std::to_string(i));
  for (size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  sql += " ORDER BY started DESC, id";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  // Named parameters, bound by their index in this statement.
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
    return Status::UserError(std::string("store: listing runs: ") + sqlite3_errmsg(db_));
  auto index = [&](const std::string& name) { return sqlite3_bind_parameter_index(raw, name.c_str()); };
  if (!filter.kind.empty()) sqlite3_bind_text(raw, index(":kind"), filter.kind.c_str(), -1, SQLITE_TRANSIENT);
  if (!filter.metric.empty()) sqlite3_bind_text(raw, index(":metric"), filter.metric.c_str(), -1, SQLITE_TRANSIENT);
  if (filter.metric_min) sqlite3_bind_double(raw, index(":min"), *filter.metric_min);
  if (filter.metric_max) sqlite3_bind_double(raw, index(":max"), *filter.metric_max);
  size_t i = 0;
  for (const auto& [key, value] : filter.tags) {
    const std::string path = "$.\"" + key + "\"";
    sqlite3_bind_text(raw, index(":tagpath" + std::to_string(i)), path.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(raw, index(":tagvalue" + std::to_string(i)), value.c_str(), -1, SQLITE_TRANSIENT);
    ++i;
  }
  std::vector<std::string> ids;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW)
    ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)));
  sqlite3_finalize(raw);
  if (rc != SQLITE_DONE) return Status::UserError(std::string("store: listing runs: ") + sqlite3_errmsg(db_));
  std::vector<Run> runs;
  for (const auto& id : ids) {
    TESSERA_ASSIGN_OR_RETURN(Run run, GetRun(id));
    runs.push_back(std::move(run));
  }
  return runs;
}

Result<std::vector<std::string>> Store::RunIdsWithPrefix(const std::string& prefix, size_t limit) {
  Statement s(db_, "SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?");
  s.Bind(1, prefix).Bind(2, prefix + "\x7f").Bind(3, static_cast<int64_t>(limit));
  std::vector<std::string> ids;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) ids.push_back(s.Text(0));
  if (rc != SQLITE_DONE) return s.Error("looking up run " + prefix);
  return ids;
}

Result<std::vector<MetricPoint>> Store::MetricHistory(const std::string& run_id, const std::string& key) {
  Statement s(db_, "SELECT key, step, value FROM metric_points WHERE run_id = ? AND key = ? ORDER BY step");
  s.Bind(1, run_id).Bind(2, key);
  std::vector<MetricPoint> points;
  while (s.Step() == SQLITE_ROW) points.push_back({s.Text(0), s.Int(1), s.Double(2)});
  return points;
}

Result<std::vector<std::string>> Store::MetricKeys(const std::string& run_id) {
  Statement s(db_, "SELECT DISTINCT key FROM metric_points WHERE run_id = ? ORDER BY key");
  s.Bind(1, run_id);
  std::vector<std::string> keys;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) keys.push_back(s.Text(0));
  if (rc != SQLITE_DONE) return s.Error("listing the metrics of run " + run_id);
  return keys;
}

std::string Store::ArtifactPath(const std::string& sha256) const {
  return (fs::path(dir_) / "artifacts" / sha256.substr(0, 2) / sha256).string();
}

Result<ArtifactRef> Store::PutArtifactFile(const std::string& path, const std::string& name) {
  TESSERA_ASSIGN_OR_RETURN(std::string sha, Sha256File(path));
  const std::string target = ArtifactPath(sha);
  std::error_code ec;
  const auto size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) return Status::UserError(path + ": " + ec.message());
  // Content-addressed: an existing whole copy is reused; a damaged one is replaced.
  auto existing = Sha256File(target);
  if (!existing.ok() || existing.value() != sha) {
    fs::create_directories(fs::path(target).parent_path(), ec);
    if (ec) return Status::UserError("store: cannot create " + fs::path(target).parent_path().string() + ": " + ec.message());
    AtomicFileWriter out;
    TESSERA_RETURN_IF_ERROR(out.Open(target));
    std::FILE* in = std::fopen(path.c_str(), "rb");
    if (!in) return Status::UserError(path + ": cannot open");
    std::vector<char> buf(1 << 20);
    size_t n;
    Status st;
    while (st.ok() && (n = std::fread(buf.data(), 1, buf.size(), in)) > 0) st = out.Write(buf.data(), n);
    std::fclose(in);
    TESSERA_RETURN_IF_ERROR(st);
    TESSERA_RETURN_IF_ERROR(out.Commit());
    // The copy must be what was hashed (the source may have changed meanwhile).
    TESSERA_ASSIGN_OR_RETURN(std::string copied, Sha256File(target));
    if (copied != sha) {
      fs::remove(target, ec);
      return Status::UserError(path + ": changed while being stored; try again");
    }
  }
  TESSERA_RETURN_IF_ERROR(InTransaction([&]() -> Status {
    Statement s(db_, "INSERT OR IGNORE INTO artifacts(sha256, size, created) VALUES(?, ?, ?)");
    s.Bind(1, sha).Bind(2, size).Bind(3, Now());
    return s.Done("recording artifact " + sha);
  }));
  return ArtifactRef{name, sha, size};
}

Result<std::string> Store::VerifiedArtifactPath(const std::string& sha256) {
  const std::string path = ArtifactPath(sha256);
  auto actual = Sha256File(path);
  if (!actual.ok()) return Status::UserError("store: artifact " + sha256 + " is missing (" + path + ")");
  if (actual.value() != sha256)
    return Status::UserError("store: artifact " + path + " is corrupt: its content hashes to " + actual.value() +
                             ", not to its name");
  return path;
}

Result<ModelVersion> Store::RegisterVersion(const std::string& name, const std::string& artifact, const std::string& run_id,
                                            const std::string& description, const std::map<std::string, std::string>& tags) {
  if (name.empty() || name.find_first_of("/@") != std::string::npos)
    return Status::UserError("model name '" + name + "' must be non-empty, without '/' or '@'");
  TESSERA_RETURN_IF_ERROR(VerifiedArtifactPath(artifact).status());
  int version = 0;
  TESSERA_RETURN_IF_ERROR(InTransaction([&]() -> Status {
    Statement m(db_, "INSERT OR IGNORE INTO models(name, created) VALUES(?, ?)");
    m.Bind(1, name).Bind(2, Now());
    TESSERA_RETURN_IF_ERROR(m.Done("registering model " + name));
    Statement next(db_, "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = ?");
    next.Bind(1, name);
    if (next.Step() != SQLITE_ROW) return next.Error("numbering a version of " + name);
    version = static_cast<int>(next.Int(0));
    Statement v(db_, "INSERT INTO model_versions(name, version, run_id, artifact, description, tags, created) VALUES(?, ?, ?, ?, ?, ?, ?)");
    v.Bind(1, name).Bind(2, static_cast<int64_t>(version)).Bind(3, run_id).Bind(4, artifact).Bind(5, description);
    v.Bind(6, TagsToJson(tags).dump()).Bind(7, Now());
    return v.Done("registering a version of " + name);
  }));
  return GetVersion(name, version);
}

Status Store::SetAlias(const std::string& name, const std::string& alias, int version) {
  if (alias.empty() || alias.find_first_of("/@") != std::string::npos || std::isdigit(static_cast<unsigned char>(alias[0])))
    return Status::UserError("alias '" + alias + "' must be non-empty, not start with a digit, and have no '/' or '@'");
  return InTransaction([&]() -> Status {
    Statement check(db_, "SELECT 1 FROM model_versions WHERE name = ? AND version = ?");
    check.Bind(1, name).Bind(2, static_cast<int64_t>(version));
    if (check.Step() != SQLITE_ROW) return Status::UserError("model " + name + " has no version " + std::to_string(version));
    Statement s(db_, "INSERT OR REPLACE INTO aliases(name, alias, version) VALUES(?, ?, ?)");
    s.Bind(1, name).Bind(2, alias).Bind(3, static_cast<int64_t>(version));
    return s.Done("setting alias " + name + "@" + alias);
  });
}

Status Store::DeleteAlias(const std::string& name, const std::string& alias) {
  return InTransaction([&]() -> Status {
    Statement s(db_, "DELETE FROM aliases WHERE name = ? AND alias = ?");
    s.Bind(1, name).Bind(2, alias);
    TESSERA_RETURN_IF_ERROR(s.Done("deleting alias"));
    if (sqlite3_changes(db_) == 0) return Status::UserError("model " + name + " has no alias '" + alias + "'");
    return Status::Ok();
  });
}

Result<ModelVersion> Store::VersionWhere(const std::string& name, int version) {
  const std::string sql = std::string("SELECT ") + kVersionColumns + " FROM model_versions WHERE name = ? AND version = ?";
  Statement s(db_, sql.c_str());
  s.Bind(1, name).Bind(2, static_cast<int64_t>(version));
  if (s.Step() != SQLITE_ROW) return Status::UserError("model '" + name + "' has no version " + std::to_string(version));
  ModelVersion v = VersionFromRow(s);
  Statement a(db_, "SELECT alias FROM aliases WHERE name = ? AND version = ? ORDER BY alias");
  a.Bind(1, name).Bind(2, static_cast<int64_t>(version));
  while (a.Step() == SQLITE_ROW) v.aliases.push_back(a.Text(0));
  return v;
}

template <typename Rows>
Result<std::vector<ModelVersion>> Store::VersionsOfRows(Rows& s) {
  // Keys first: VersionWhere runs statements of its own.
  std::vector<std::pair<std::string, int>> keys;
  while (s.Step() == SQLITE_ROW) keys.emplace_back(s.Text(0), static_cast<int>(s.Int(1)));
  std::vector<ModelVersion> out;
  for (const auto& [n, v] : keys) {
    TESSERA_ASSIGN_OR_RETURN(ModelVersion mv, VersionWhere(n, v));
    out.push_back(std::move(mv));
  }
  return out;
}

Result<ModelVersion> Store::GetVersion(const std::string& name, int version) { return VersionWhere(name, version); }

Result<ModelVersion> Store::GetAlias(const std::string& name, const std::string& alias) {
  Statement s(db_, "SELECT version FROM aliases WHERE name = ? AND alias = ?");
  s.Bind(1, name).Bind(2, alias);
  if (s.Step() != SQLITE_ROW) return Status::UserError("model '" + name + "' has no alias '" + alias + "'");
  return VersionWhere(name, static_cast<int>(s.Int(0)));
}

Result<std::vector<ModelVersion>> Store::ListVersions(const std::string& name) {
  std::string sql = std::string("SELECT name, version FROM model_versions") + (name.empty() ? "" : " WHERE name = ?") +
                    " ORDER BY name, version";
  Statement s(db_, sql.c_str());
  if (!name.empty()) s.Bind(1, name);
  return VersionsOfRows(s);
}

Result<std::vector<ModelVersion>> Store::VersionsTrainedOn(const std::string& fingerprint) {
  Statement s(db_,
              "SELECT v.name, v.version FROM model_versions v JOIN runs r ON r.id = v.run_id "
              "WHERE r.data_fingerprint = ? ORDER BY v.name, v.version");
  s.Bind(1, fingerprint);
  return VersionsOfRows(s);
}

bool Store::IsModelRef(const std::string& text) { return text.rfind("models:/", 0) == 0; }

Result<ModelVersion> Store::ResolveRef(const std::string& ref) {
  if (!IsModelRef(ref)) return Status::UserError("'" + ref + "' is not a model reference (models:/NAME@ALIAS or models:/NAME/VERSION)");
  const std::string rest = ref.substr(8);
  const auto at = rest.find('@');
  if (at != std::string::npos) return GetAlias(rest.substr(0, at), rest.substr(at + 1));
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash + 1 >= rest.size())
    return Status::UserError("'" + ref + "': expected models:/NAME@ALIAS or models:/NAME/VERSION");
  const std::string number = rest.substr(slash + 1);
  if (number.find_first_not_of("0123456789") != std::string::npos || number.size() > 9)
    return Status::UserError("'" + ref + "': the version must be a number");
  return GetVersion(rest.substr(0, slash), std::stoi(number));
}

Result<std::string> DataFingerprint(const std::vector<std::string>& files, const std::string& schema_json) {
  Sha256 all;
  for (const auto& f : files) {
    TESSERA_ASSIGN_OR_RETURN(std::string one, Sha256File(f));
    all.Update(one);
  }
  all.Update(schema_json);
  return all.Finish();
}

}  // namespace tessera::registry
