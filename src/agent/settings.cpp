#include "agent/settings.hpp"

#include "core/error.hpp"
#include "util/duration.hpp"
#include "util/json.hpp"
#include "util/text.hpp"
#include "util/url.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>

#include <unistd.h>

namespace keap::agent {

namespace {

using nlohmann::json;

Error setting_error(const std::string& origin, const std::string& message, std::string hint = {}) {
  return Error(ExitCode::usage, origin + ": " + message, std::move(hint));
}

std::string text_of(const json& value, const std::string& origin) {
  if (!value.is_string()) {
    throw setting_error(origin, std::string("must be a string, not ") + value.type_name());
  }
  return value.get<std::string>();
}

std::chrono::seconds duration_of(const json& value, const std::string& origin, bool allow_zero = false) {
  return duration_value(origin, text_of(value, origin), allow_zero);
}

std::vector<std::string> strings_of(const json& value, const std::string& origin) {
  std::vector<std::string> strings;
  if (!value.is_array()) {
    throw setting_error(origin, std::string("must be a list of strings, not ") + value.type_name());
  }
  for (const auto& item : value) {
    strings.push_back(text_of(item, origin));
  }
  return strings;
}

unsigned mode_of(const json& value, const std::string& origin) {
  auto text = text_of(value, origin);
  unsigned mode = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (error != std::errc{} || end != text.data() + text.size() || text.size() < 3 || mode > 0777 ||
      (mode & 0600) != 0600) {
    throw setting_error(origin,
                        "\"" + util::printable_excerpt(text, 20) + "\" is not a mode such as \"0600\" or \"0660\"",
                        "an octal string that lets the owner read and write");
  }
  return mode;
}

std::string path_of(const json& value, const std::string& origin, const std::filesystem::path& base) {
  auto text = checked_text(origin, text_of(value, origin));
  if (!text.empty() && std::filesystem::path(text).is_relative()) {
    text = (base / text).lexically_normal().string();
  }
  return text;
}

Sink sink_of(const json& value, const std::string& origin, const std::filesystem::path& base) {
  if (!value.is_object()) {
    throw setting_error(origin, std::string("each sink must be an object, not ") + value.type_name(),
                        R"(for example {"profile": "default", "path": "/run/app/token", "format": "header"})");
  }
  Sink sink;
  for (const auto& [name, item] : value.items()) {
    auto where = origin + " \"" + name + "\"";
    if (name == "profile") {
      sink.profile = text_of(item, where);
    } else if (name == "path") {
      sink.path = path_of(item, where, base);
    } else if (name == "format") {
      sink.format = text_of(item, where);
    } else if (name == "mode") {
      sink.mode = mode_of(item, where);
    } else if (name == "group") {
      sink.group = text_of(item, where);
    } else {
      throw setting_error(origin, "unknown key \"" + name + "\" in a sink",
                          "a sink has profile, path, format, mode, group");
    }
  }
  if (sink.path.empty()) {
    throw setting_error(origin, "a sink needs a path");
  }
  return sink;
}

long long whole_number(const json& value, const std::string& origin, long long low, long long high) {
  if (!value.is_number_integer() || value.get<long long>() < low || value.get<long long>() > high) {
    throw setting_error(origin, "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high) +
                                    ", not " + util::dump_json(value));
  }
  return value.get<long long>();
}

PaceLimits limits_of(const json& value, const std::string& origin) {
  static const std::pair<const char*, long long PaceLimits::*> k_names[] = {
      {"client_per_minute", &PaceLimits::client_per_minute}, {"client_per_second", &PaceLimits::client_per_second},
      {"key_per_minute", &PaceLimits::key_per_minute},       {"key_per_second", &PaceLimits::key_per_second},
      {"tenant_per_minute", &PaceLimits::tenant_per_minute}};
  if (!value.is_object()) {
    throw setting_error(origin, std::string("must be an object, not ") + value.type_name(),
                        R"(for example {"client_per_minute": 1500, "client_per_second": 25})");
  }
  PaceLimits limits;
  for (const auto& entry : value.items()) {
    const auto& name = entry.key();
    const auto& item = entry.value();
    auto known = std::find_if(std::begin(k_names), std::end(k_names),
                              [&name](const auto& limit) { return name == limit.first; });
    if (known == std::end(k_names)) {
      throw setting_error(origin, "unknown limit \"" + util::printable_excerpt(name, 40) + "\"",
                          "the limits are client_per_minute, client_per_second, key_per_minute, key_per_second and "
                          "tenant_per_minute");
    }
    limits.*(known->second) = whole_number(item, origin + " \"" + name + "\"", 1, 100000000);
  }
  return limits;
}

/// One key of the "agent" object: how it is read, and what the documentation says of it.
struct Key {
  const char* name;
  const char* meaning;
  const char* default_value;
  const char* flag;
  std::function<void(Settings&, const json&, const std::string&, const std::filesystem::path&)> apply;
};

const std::vector<Key>& keys() {
  using Base = std::filesystem::path;
  static const std::vector<Key> k_keys{
      {"listen", "Where to listen: unix:PATH or tcp:HOST:PORT (HOST a loopback address); several allowed.",
       "unix:$RUNTIME_DIRECTORY/agent.sock under systemd, else $XDG_RUNTIME_DIR/keap-auth/agent.sock, else "
       "/run/keap-auth/agent.sock for root",
       "--listen",
       [](Settings& s, const json& v, const std::string& o, const Base&) {
         for (const auto& text : v.is_string() ? std::vector<std::string>{v.get<std::string>()} : strings_of(v, o)) {
           s.listen.push_back(parse_listen(text, o));
         }
       }},
      {"profiles", "The profiles served: \"all\" or a list of names.", "all", "--profile",
       [](Settings& s, const json& v, const std::string& o, const Base&) {
         if (v.is_string() && v.get<std::string>() == "all") {
           s.profiles.clear();
           return;
         }
         s.profiles = strings_of(v, o);
         for (const auto& name : s.profiles) {
           check_profile_name(name, o);
         }
       }},
      {"refresh",
       "\"ahead\": refresh each grant at refresh_at_fraction of its access token's life; \"on-demand\": "
       "only when a caller needs it.",
       "ahead", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) {
         auto mode = text_of(v, o);
         if (mode != "ahead" && mode != "on-demand") {
           throw setting_error(o,
                               "must be \"ahead\" or \"on-demand\", not \"" + util::printable_excerpt(mode, 20) + "\"");
         }
         s.refresh_ahead = mode == "ahead";
       }},
      {"refresh_at_fraction",
       "When in an access token's life a grant is refreshed ahead (0.1 to 0.9), with 10% jitter.", "0.5", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) {
         if (!v.is_number() || v.get<double>() < 0.1 || v.get<double>() > 0.9) {
           throw setting_error(o, "must be a number from 0.1 to 0.9, not " + util::dump_json(v));
         }
         s.refresh_at_fraction = v.get<double>();
       }},
      {"min_valid", "A token is never handed out with less left than this: it is refreshed first.", "15m", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.min_valid = duration_of(v, o, true); }},
      {"keep_alive", "A refresh token older than this is refreshed in either mode, checked every minute.", "30d",
       nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.keep_alive = duration_of(v, o); }},
      {"sinks",
       "Files kept holding a profile's token: a list of {profile, path, format (token, header, json, env), "
       "mode, group}.",
       "(none)", "--sink",
       [](Settings& s, const json& v, const std::string& o, const Base& base) {
         if (!v.is_array()) {
           throw setting_error(o, std::string("must be a list of sinks, not ") + v.type_name());
         }
         for (const auto& item : v) {
           s.sinks.push_back(sink_of(item, o, base));
         }
       }},
      {"drain_timeout", "How long SIGTERM lets requests in flight finish.", "10s", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) {
         s.drain_timeout = duration_of(v, o, true);
       }},
      {"max_connections", "Connections served at once; more wait to be accepted.", "1024", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) {
         if (!v.is_number_unsigned() || v.get<unsigned long long>() < 1 || v.get<unsigned long long>() > 65536) {
           throw setting_error(o, "must be a whole number from 1 to 65536, not " + util::dump_json(v));
         }
         s.max_connections = v.get<size_t>();
       }},
      {"header_timeout", "A request's line and headers must all arrive within this.", "10s", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.header_timeout = duration_of(v, o); }},
      {"idle_timeout", "How long a kept-alive connection may wait between requests.", "60s", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.idle_timeout = duration_of(v, o); }},
      {"store_poll", "How often the store is read again even without a change seen (the PostgreSQL store).", "60s",
       nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.store_poll = duration_of(v, o); }},
      {"socket_mode", "The Unix socket's mode, an octal string.", "\"0600\"", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.socket_mode = mode_of(v, o); }},
      {"socket_group", "The Unix socket's group, so its members may connect (with socket_mode \"0660\").", "(none)",
       nullptr, [](Settings& s, const json& v, const std::string& o, const Base&) { s.socket_group = text_of(v, o); }},
      {"allow_users", "Users besides the agent's own and root whose processes may ask (Unix sockets).", "(none)",
       nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.allow_users = strings_of(v, o); }},
      {"allow_groups", "Groups whose members' processes may ask (Unix sockets).", "(none)", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.allow_groups = strings_of(v, o); }},
      {"tcp_key_file", "The key every request over TCP must send as Keap-Agent-Key (created 0600 when missing).",
       "agent.key in the state folder", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base& base) {
         s.tcp_key_file = path_of(v, o, base);
       }},
      {"log_format", "text or json.", "text", "--log-format",
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.log_format = text_of(v, o); }},
      {"max_body", "The largest request body the proxy takes, in bytes; a larger one is 413 and nothing is sent.",
       "16777216", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) {
         s.max_body = static_cast<size_t>(whole_number(v, o, 1024, 1LL << 30));
       }},
      {"max_wait", "How long a proxied call may wait for the pacer and retries together before the agent answers 429.",
       "10s", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.max_wait = duration_of(v, o, true); }},
      {"upstream_connect_timeout", "How long the proxy waits for a connection to Keap.", "10s", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) {
         s.upstream_connect_timeout = duration_of(v, o);
       }},
      {"upstream_timeout", "How long one proxied request to Keap may take, its whole answer included.", "60s", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.upstream_timeout = duration_of(v, o); }},
      {"pacing", "true: keep every call under agent.limits; false: send at once (Keap's 429s are still retried).",
       "true", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) {
         if (!v.is_boolean()) {
           throw setting_error(o, std::string("must be true or false, not ") + v.type_name());
         }
         s.pacing = v.get<bool>();
       }},
      {"limits",
       "Keap's limits the proxy paces to: any of client_per_minute, client_per_second, key_per_minute, "
       "key_per_second, tenant_per_minute.",
       "Keap's: 1500, 25, 240, 10, 10000", nullptr,
       [](Settings& s, const json& v, const std::string& o, const Base&) { s.limits = limits_of(v, o); }},
  };
  return k_keys;
}

std::vector<std::string> key_names() {
  std::vector<std::string> names;
  for (const auto& key : keys()) {
    names.emplace_back(key.name);
  }
  return names;
}

std::optional<std::string> default_socket(const util::EnvironmentLookup& environment) {
  if (auto runtime = environment("RUNTIME_DIRECTORY")) {
    return runtime->substr(0, runtime->find(':')) + "/agent.sock"; // systemd's RuntimeDirectory=
  }
  if (auto runtime = environment("XDG_RUNTIME_DIR")) {
    return *runtime + "/keap-auth/agent.sock";
  }
  if (::geteuid() == 0) {
    return std::string("/run/keap-auth/agent.sock");
  }
  return std::nullopt;
}

void apply_flags(Settings& settings, const Flags& flags) {
  if (!flags.listen.empty()) {
    settings.listen.clear();
    for (const auto& text : flags.listen) {
      settings.listen.push_back(parse_listen(text, "--listen"));
    }
  }
  if (!flags.profiles.empty()) {
    settings.profiles = flags.profiles;
    for (const auto& name : settings.profiles) {
      check_profile_name(name, "--profile");
    }
  }
  for (const auto& text : flags.sinks) {
    // PROFILE:PATH[:FORMAT]; a path may not hold ':' here (the config's sinks have no such limit).
    auto first = text.find(':');
    auto last = text.rfind(':');
    Sink sink;
    sink.profile = text.substr(0, first);
    sink.path =
        first == std::string::npos ? "" : text.substr(first + 1, last == first ? std::string::npos : last - first - 1);
    if (last != first) {
      sink.format = text.substr(last + 1);
    }
    if (first == std::string::npos || sink.path.empty()) {
      throw Error(ExitCode::usage, "--sink " + util::printable_excerpt(text, 80) + ": not PROFILE:PATH[:FORMAT]",
                  "for example --sink default:/run/app/token:header");
    }
    settings.sinks.push_back(sink);
  }
  if (flags.log_format) {
    settings.log_format = *flags.log_format;
  }
}

void validate(Settings& settings, const Config& config, const util::EnvironmentLookup& environment) {
  if (settings.log_format != "text" && settings.log_format != "json") {
    throw Error(ExitCode::usage, "log_format must be \"text\" or \"json\", not \"" +
                                     util::printable_excerpt(settings.log_format, 20) + "\"");
  }
  for (auto& sink : settings.sinks) {
    if (sink.format != "token" && sink.format != "header" && sink.format != "json" && sink.format != "env") {
      throw Error(ExitCode::usage, "sink " + sink.path + ": format must be token, header, json or env, not \"" +
                                       util::printable_excerpt(sink.format, 20) + "\"");
    }
    if (sink.profile.empty()) {
      sink.profile = config.profile;
    }
    check_profile_name(sink.profile, "sink " + sink.path);
  }
  if (settings.listen.empty()) {
    auto socket = default_socket(environment);
    if (!socket) {
      throw Error(ExitCode::usage,
                  "there is nowhere to put the agent's socket (no RUNTIME_DIRECTORY or XDG_RUNTIME_DIR)",
                  "give --listen unix:PATH (or set agent.listen in the config)");
    }
    settings.listen.push_back(parse_listen("unix:" + *socket, "the default socket"));
  }
  if (settings.tcp_key_file.empty()) {
    auto state = util::app_state_folder(environment);
    settings.tcp_key_file = state ? *state + "/agent.key" : "";
  }
}

} // namespace

Listen parse_listen(const std::string& text, const std::string& origin) {
  Listen listen;
  listen.text = text;
  if (text.starts_with("unix:") && text.size() > 5) {
    listen.kind = Listen::Kind::unix_socket;
    listen.path = checked_text(origin, text.substr(5));
    if (listen.path.size() > 100) {
      throw setting_error(origin, "the socket path " + listen.path + " is longer than a Unix socket's 100 bytes",
                          "use a shorter path");
    }
    return listen;
  }
  if (text.starts_with("tcp:")) {
    auto rest = text.substr(4);
    auto colon = rest.rfind(':');
    auto host = colon == std::string::npos ? std::string() : rest.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    int port = -1;
    if (colon != std::string::npos) {
      auto digits = rest.substr(colon + 1);
      auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
      if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
        port = -1;
      }
    }
    if (host.empty() || port < 0 || port > 65535) {
      throw setting_error(origin, "\"" + util::printable_excerpt(text, 80) + "\" is not tcp:HOST:PORT",
                          "for example tcp:127.0.0.1:8730");
    }
    if (!util::is_loopback_host(host)) {
      throw setting_error(origin,
                          "the agent listens only on loopback addresses, not " + util::printable_excerpt(host, 80),
                          "use 127.0.0.1, ::1 or localhost (or a Unix socket)");
    }
    listen.kind = Listen::Kind::tcp;
    listen.host = host == "localhost" ? "127.0.0.1" : host;
    listen.port = port;
    return listen;
  }
  throw setting_error(origin, "\"" + util::printable_excerpt(text, 80) + "\" is neither unix:PATH nor tcp:HOST:PORT");
}

Settings read_settings(const Config& config, const Flags& flags, const util::EnvironmentLookup& environment) {
  Settings settings;
  auto origin = config.origin_of("agent");
  auto base = std::filesystem::path(config.config_file).parent_path();
  for (const auto& item : config.agent.items()) {
    const auto& name = item.key();
    const auto& value = item.value();
    auto key = std::find_if(keys().begin(), keys().end(), [&](const Key& k) { return name == k.name; });
    if (key == keys().end()) {
      auto near = util::nearest(name, key_names());
      throw setting_error(origin, "unknown key \"agent." + name + "\"",
                          near ? "did you mean \"" + *near + "\"?" : "see `man keap-auth` for the agent's keys");
    }
    key->apply(settings, value, origin + ": key \"agent." + name + "\"", base);
  }
  apply_flags(settings, flags);
  validate(settings, config, environment);
  return settings;
}

std::vector<KeyDescription> key_descriptions() {
  std::vector<KeyDescription> descriptions;
  for (const auto& key : keys()) {
    descriptions.push_back(
        {std::string("agent.") + key.name, "", key.flag ? key.flag : "", key.meaning, key.default_value, "", ""});
  }
  return descriptions;
}

} // namespace keap::agent
