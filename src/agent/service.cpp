#include "agent/service.hpp"

#include "core/destinations.hpp"

#include "agent/sinks.hpp"
#include "cli/inventory.hpp"
#include "core/expiry.hpp"
#include "core/token_answer.hpp"
#include "util/duration.hpp"
#include "util/text.hpp"
#include "util/timestamp.hpp"

#include <algorithm>
#include <random>

#include <sys/stat.h>

namespace keap::agent {

namespace {

using Clock = std::chrono::steady_clock;

/// What a credentials file looked like when it was read: a login, a CLI refresh or a restore replaces it
/// (a new inode), and an edit changes its time or size.
struct FileStamp {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  long long modified_ns = 0;
  off_t size = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return {};
  }
  return {true, info.st_dev, info.st_ino, info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec, info.st_size};
}

bool same_credential(const std::optional<Credential>& left, const std::optional<Credential>& right) {
  if (!left || !right) {
    return left.has_value() == right.has_value();
  }
  const auto* a = std::get_if<OAuthGrant>(&*left);
  const auto* b = std::get_if<OAuthGrant>(&*right);
  if (a && b) {
    return a->access_token == b->access_token && a->refresh_token == b->refresh_token;
  }
  const auto* x = std::get_if<ApiKey>(&*left);
  const auto* y = std::get_if<ApiKey>(&*right);
  return x && y && x->key == y->key;
}

} // namespace

struct Service::Slot {
  explicit Slot(Config profile_config) : config(std::move(profile_config)) {}
  Config config;         ///< the profile's own values (client secret, timeouts)
  std::mutex refreshing; ///< one refresh of this profile at a time in this process
  std::mutex mutex;      ///< what follows
  std::optional<Credential> credential;
  std::optional<TimePoint> refresh_at;
  std::string problem;
  FileStamp stamp;
};

Service::Service(std::shared_ptr<cli::Context> context, Settings settings, const Log& log, Metrics& metrics)
    : m_context(std::move(context)), m_settings(std::move(settings)), m_log(log), m_metrics(metrics) {
  if (auto* store = postgres()) {
    m_shared_cells = std::make_unique<pgstore::SharedCells>(*store);
  }
}

Service::~Service() = default;

void Service::start() {
  std::vector<std::string> profiles = m_settings.profiles;
  if (profiles.empty()) {
    profiles = m_context->store->profiles();
    auto configured = m_context->source->configured_profiles();
    profiles.insert(profiles.end(), configured.begin(), configured.end());
    profiles.push_back(m_context->profile);
    std::sort(profiles.begin(), profiles.end());
    profiles.erase(std::unique(profiles.begin(), profiles.end()), profiles.end());
  }
  cli::ProfileConfigs configs(*m_context);
  for (const auto& profile : profiles) {
    auto slot = std::make_unique<Slot>(profile == m_context->profile ? m_context->config : configs.of(profile));
    reread(profile, *slot, true);
    std::lock_guard lock(m_slots_mutex);
    m_slots.emplace(profile, std::move(slot));
  }
  m_next_poll = Clock::now() + m_settings.store_poll;
}

Service::Slot& Service::slot_of(const std::string& profile) {
  {
    std::lock_guard lock(m_slots_mutex);
    if (auto found = m_slots.find(profile); found != m_slots.end()) {
      return *found->second;
    }
  }
  // With "all", a profile logged in since the start is served at once.
  auto known = m_context->store->profiles();
  if (!m_settings.profiles.empty() || !is_profile_name(profile) ||
      std::find(known.begin(), known.end(), profile) == known.end()) {
    throw UnknownProfile(ExitCode::relogin,
                         "the agent serves no profile \"" + util::printable_excerpt(profile, 64) + "\"",
                         "see GET /v1/profiles for the profiles it serves");
  }
  cli::ProfileConfigs configs(*m_context);
  auto slot = std::make_unique<Slot>(configs.of(profile));
  reread(profile, *slot, true);
  std::lock_guard lock(m_slots_mutex);
  return *m_slots.emplace(profile, std::move(slot)).first->second;
}

std::optional<TimePoint> Service::refresh_at_of(const Credential& credential) {
  const auto* grant = std::get_if<OAuthGrant>(&credential);
  if (!grant) {
    return std::nullopt;
  }
  // ±10% around the fraction, so a fleet that logged in together does not refresh in step.
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  auto fraction = std::min(0.95, m_settings.refresh_at_fraction * jitter(random));
  return refresh_time(*grant, fraction);
}

void Service::adopt(const std::string& profile, Slot& slot, const std::optional<Credential>& credential) {
  std::optional<TimePoint> refresh_at;
  bool changed = false;
  {
    std::lock_guard lock(slot.mutex);
    changed = !same_credential(slot.credential, credential);
    if (changed || !slot.refresh_at) {
      slot.refresh_at = credential ? refresh_at_of(*credential) : std::nullopt;
    }
    slot.credential = credential;
    slot.problem = credential ? ""
                              : "no credentials: run `keap-auth login" +
                                    (profile == k_default_profile ? std::string() : " --profile " + profile) + "`";
    refresh_at = slot.refresh_at;
  }
  if (changed && credential) {
    m_log.info("credential read", {{"profile", profile}});
    write_sinks(profile, *credential, refresh_at);
  }
}

void Service::reread(const std::string& profile, Slot& slot, bool force) {
  bool file_store = m_context->config.store == "file";
  FileStamp stamp;
  if (file_store) {
    stamp = stamp_of(m_context->store->location(profile));
    std::lock_guard lock(slot.mutex);
    if (!force && stamp == slot.stamp) {
      return;
    }
  }
  try {
    auto read = m_context->store->read_credential(profile);
    adopt(profile, slot, read ? std::optional<Credential>(read->credential) : std::nullopt);
    std::lock_guard lock(slot.mutex);
    slot.stamp = stamp;
  } catch (const Error& error) {
    std::lock_guard lock(slot.mutex);
    slot.problem = error.what();
    slot.stamp = stamp;
    m_log.warn("credential unreadable", {{"profile", profile}, {"reason", error.what()}});
  }
}

void Service::write_sinks(const std::string& profile, const Credential& credential,
                          std::optional<TimePoint> refresh_at) {
  for (const auto& sink : m_settings.sinks) {
    if (sink.profile != profile) {
      continue;
    }
    try {
      write_sink(sink, sink_content(sink, credential, refresh_at));
      m_metrics.add("keap_auth_sink_writes_total", {{"profile", profile}, {"result", "ok"}});
    } catch (const Error& error) {
      m_metrics.add("keap_auth_sink_writes_total", {{"profile", profile}, {"result", "failed"}});
      m_log.error("sink not written", {{"profile", profile}, {"path", sink.path}, {"reason", error.what()}});
    }
  }
}

Served Service::refresh(const std::string& profile, Slot& slot, const oauth::RefreshDecision& decide, const char* why) {
  std::lock_guard one_at_a_time(slot.refreshing);
  net::HttpClient http(cli::http_options(slot.config, false));
  auto settings = cli::refresh_settings(slot.config, m_context->environment);
  settings.interrupt_after_save = false; // the agent ends on its own terms, after the pair is saved
  try {
    auto result = oauth::refresh_grant(*m_context->store, profile, http, settings, decide);
    if (result.refreshed()) {
      m_metrics.add("keap_auth_refreshes_total", {{"profile", profile}, {"result", "ok"}});
      m_log.info("refreshed", {{"profile", profile}, {"because", why}});
    }
    adopt(profile, slot, Credential(result.grant));
    std::lock_guard lock(slot.mutex);
    slot.stamp = m_context->config.store == "file" ? stamp_of(m_context->store->location(profile)) : FileStamp{};
    return {profile, *slot.credential, slot.refresh_at};
  } catch (const Error& error) {
    m_metrics.add("keap_auth_refreshes_total", {{"profile", profile}, {"result", "failed"}});
    m_log.error("refresh failed", {{"profile", profile},
                                   {"exit_code", std::to_string(static_cast<int>(error.code()))},
                                   {"reason", error.what()}});
    {
      std::lock_guard lock(slot.mutex);
      slot.problem = error.what();
    }
    throw;
  }
}

Served Service::token(const std::string& profile, std::chrono::seconds min_valid) {
  auto& slot = slot_of(profile);
  reread(profile, slot, false);
  auto needed = std::max(min_valid, m_settings.min_valid);
  {
    std::lock_guard lock(slot.mutex);
    if (!slot.credential) {
      throw Error(
          ExitCode::relogin, "profile \"" + profile + "\": " + (slot.problem.empty() ? "no credentials" : slot.problem),
          "run `keap-auth login" + (profile == k_default_profile ? std::string() : " --profile " + profile) + "`");
    }
    const auto* grant = std::get_if<OAuthGrant>(&*slot.credential);
    if (!grant || !access_token_expires_within(*grant, needed, util::now_seconds())) {
      return {profile, *slot.credential, slot.refresh_at};
    }
  }
  return refresh(
      profile, slot,
      [needed](const OAuthGrant& grant, util::TimePoint now) {
        return access_token_expires_within(grant, needed, now) ? RefreshReason::access_token_expiring
                                                               : RefreshReason::none;
      },
      "a caller needed a token valid for longer");
}

std::optional<Served> Service::held_token(const std::string& profile, std::chrono::seconds min_valid) {
  Slot* slot = nullptr;
  {
    std::lock_guard lock(m_slots_mutex);
    auto found = m_slots.find(profile);
    if (found == m_slots.end()) {
      return std::nullopt;
    }
    slot = found->second.get();
  }
  if (m_context->config.store == "file") {
    reread(profile, *slot, false); // a stat, and a read of a small local file when it changed
  }
  auto needed = std::max(min_valid, m_settings.min_valid);
  std::lock_guard lock(slot->mutex);
  if (!slot->credential) {
    return std::nullopt;
  }
  const auto* grant = std::get_if<OAuthGrant>(&*slot->credential);
  if (grant && access_token_expires_within(*grant, needed, util::now_seconds())) {
    return std::nullopt;
  }
  return Served{profile, *slot->credential, slot->refresh_at};
}

Service::Upstream Service::upstream(const std::string& profile) {
  const auto& config = slot_of(profile).config;
  auto base = util::parse_url(config.api_base_url);
  if (!base) {
    throw Error(ExitCode::usage, "api_base_url of profile \"" + profile + "\" is not a URL",
                "set it to Keap's (https://api.infusionsoft.com/crm/rest) or the emulator's");
  }
  while (base->path.size() > 1 && base->path.back() == '/') {
    base->path.pop_back();
  }
  return {*base, config.ca_file};
}

void Service::check_destination(const std::string& profile, const util::Url& url, const Credential& credential) {
  const auto& config = slot_of(profile).config;
  auto location = config.store == "file" ? m_context->store->location(profile) : std::string();
  keap::check_destination(config, "api_base_url", url, credential, location);
}

Served Service::replace(const std::string& profile, const std::string& rejected) {
  auto& slot = slot_of(profile);
  reread(profile, slot, false);
  {
    std::lock_guard lock(slot.mutex);
    if (slot.credential && std::holds_alternative<ApiKey>(*slot.credential)) {
      throw KeyRejected(ExitCode::relogin,
                        "profile \"" + profile + "\" holds " +
                            describe_key_kind(std::get<ApiKey>(*slot.credential).kind) + ", and keys are not refreshed",
                        "a key goes in X-Keap-API-Key; if it was sent so, create a new key in Keap and store it with "
                        "`keap-auth login --api-key-file FILE`");
    }
    const auto* grant = slot.credential ? std::get_if<OAuthGrant>(&*slot.credential) : nullptr;
    if (grant && grant->access_token != rejected &&
        !access_token_expires_within(*grant, m_settings.min_valid, util::now_seconds())) {
      return {profile, *slot.credential, slot.refresh_at};
    }
  }
  auto served = refresh(
      profile, slot,
      [&rejected](const OAuthGrant& grant, util::TimePoint) {
        return grant.access_token == rejected ? RefreshReason::access_token_rejected : RefreshReason::none;
      },
      "a caller's token was rejected");
  if (std::get<OAuthGrant>(served.credential).access_token == rejected) {
    throw Error(ExitCode::relogin, "the refreshed access token is the one that was rejected",
                "run `keap-auth login" + (profile == k_default_profile ? std::string() : " --profile " + profile) +
                    "`");
  }
  return served;
}

void Service::changed(const std::string& profile) {
  Slot* slot = nullptr;
  {
    std::lock_guard lock(m_slots_mutex);
    auto found = m_slots.find(profile);
    slot = found == m_slots.end() ? nullptr : found->second.get();
  }
  if (slot != nullptr) {
    reread(profile, *slot, true);
  } else if (m_settings.profiles.empty() && is_profile_name(profile)) {
    slot_of(profile); // a profile logged in on another host, served from now on
  }
}

std::vector<std::pair<std::string, Service::Slot*>> Service::every_slot() {
  std::vector<std::pair<std::string, Slot*>> slots;
  std::lock_guard lock(m_slots_mutex);
  for (auto& [profile, slot] : m_slots) {
    slots.emplace_back(profile, slot.get()); // slots live as long as the service
  }
  return slots;
}

void Service::catch_up() {
  auto slots = every_slot();
  for (auto& [profile, slot] : slots) {
    reread(profile, *slot, true);
  }
}

pgstore::PgStore* Service::postgres() const { return dynamic_cast<pgstore::PgStore*>(m_context->store.get()); }

std::vector<ProfileState> Service::states() {
  auto slots = every_slot();
  std::vector<ProfileState> states;
  auto now = util::now_seconds();
  for (auto& [profile, slot] : slots) {
    reread(profile, *slot, false);
    std::lock_guard lock(slot->mutex);
    ProfileState state{profile, slot->credential, slot->refresh_at, slot->problem, false};
    if (state.credential) {
      const auto* grant = std::get_if<OAuthGrant>(&*state.credential);
      bool fresh = !grant || !access_token_expires_within(*grant, m_settings.min_valid, now);
      bool refreshable = grant && grant_usable(*grant, slot->config.refresh_token_lifetime, now) &&
                         !(grant->last_refresh_failure && grant->last_refresh_failure->kind == "rejected");
      state.usable = fresh || refreshable;
      if (!state.usable && state.problem.empty()) {
        state.problem = "its refresh token can no longer be used: run `keap-auth login" +
                        (profile == k_default_profile ? std::string() : " --profile " + profile) + "`";
      }
    }
    states.push_back(std::move(state));
  }
  return states;
}

RefreshReason scheduled_reason(const OAuthGrant& stored, const std::string& scheduled_token,
                               std::optional<TimePoint> refresh_at, const Settings& settings, TimePoint now) {
  if (refresh_token_age(stored, now) >= settings.keep_alive) {
    return RefreshReason::refresh_token_old;
  }
  bool ahead = settings.refresh_ahead && refresh_at && stored.access_token == scheduled_token && now >= *refresh_at;
  return ahead || access_token_expires_within(stored, settings.min_valid, now) ? RefreshReason::access_token_expiring
                                                                               : RefreshReason::none;
}

std::chrono::steady_clock::time_point Service::tick() {
  auto poll = Clock::now() >= m_next_poll;
  if (poll) {
    m_next_poll = Clock::now() + m_settings.store_poll;
  }
  auto slots = every_slot();
  auto next = Clock::now() + std::chrono::seconds(60); // keep_alive is checked at least every minute
  if (m_context->config.store == "file") {
    next = Clock::now() + std::chrono::seconds(1); // a stat per profile: a login is seen within a second
  }
  next = std::min(next, m_next_poll);
  for (auto& [profile, slot] : slots) {
    reread(profile, *slot, poll && m_context->config.store != "file");
    std::optional<OAuthGrant> grant;
    std::optional<TimePoint> refresh_at;
    {
      std::lock_guard lock(slot->mutex);
      if (slot->credential) {
        if (const auto* held = std::get_if<OAuthGrant>(&*slot->credential)) {
          grant = *held;
        }
      }
      refresh_at = slot->refresh_at;
    }
    if (!grant || (grant->last_refresh_failure && grant->last_refresh_failure->kind == "rejected")) {
      continue; // nothing to refresh, or a dead refresh token that only a login revives
    }
    auto due = [&](const OAuthGrant& stored, util::TimePoint now) {
      return scheduled_reason(stored, grant->access_token, refresh_at, m_settings, now);
    };
    if (due(*grant, util::now_seconds()) != RefreshReason::none) {
      try {
        refresh(profile, *slot, due, "it was due");
      } catch (const Error&) {
        // Logged by refresh(); tried again on the next tick, while the held token is served.
        next = std::min(next, Clock::now() + std::chrono::seconds(30));
      }
      continue;
    }
    if (m_settings.refresh_ahead && refresh_at) {
      auto left = *refresh_at - util::now_seconds();
      next = std::min(next, Clock::now() + std::max(left, std::chrono::seconds(0)));
    }
  }
  return next;
}

} // namespace keap::agent
