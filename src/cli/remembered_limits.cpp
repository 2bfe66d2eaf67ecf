#include "cli/remembered_limits.hpp"

#include "util/atomic_file.hpp"
#include "util/file_error.hpp"
#include "util/json.hpp"
#include "util/posix_file.hpp"

namespace keap::cli {

std::optional<std::pair<api::RateLimits, util::TimePoint>> remembered_rate_limits(const Context& context) {
  try {
    auto text = util::read_regular_file(context.store->companion_file(context.profile, k_rate_limit_suffix));
    auto json = text ? util::parse_json(*text) : nlohmann::json();
    auto limits =
        json.is_object() && json.contains("windows") ? api::rate_limits_from_json(json["windows"]) : std::nullopt;
    auto at = json.is_object() ? util::parse_rfc3339(util::string_member(json, "at").value_or("")) : std::nullopt;
    if (limits && at) {
      return std::make_pair(*limits, *at);
    }
  } catch (const util::FileError&) {
  }
  return std::nullopt;
}

void remember_rate_limits(const Context& context, const api::RateLimits& limits) {
  if (limits.empty()) {
    return;
  }
  auto low = [](const api::RateLimits& state) {
    const auto* tightest = state.tightest();
    return tightest && *tightest->fraction_left() < 0.05;
  };
  auto before = remembered_rate_limits(context);
  if (low(limits) && !(before && low(before->first))) {
    const auto& tightest = *limits.tightest();
    context.warn("Keap's " + tightest.name + " limit is nearly used up: " + api::describe_rate_limits({{tightest}}));
  }
  nlohmann::ordered_json state = {
      {"schema", 1}, {"at", util::format_rfc3339(util::now_seconds())}, {"windows", api::rate_limits_json(limits)}};
  try {
    auto path = context.store->companion_file(context.profile, k_rate_limit_suffix);
    util::create_private_folders(util::folder_of(path));
    util::write_file_atomically(path, util::dump_json(state, 2));
  } catch (const util::FileError&) {
    // Only a convenience for `status`; the call itself went through.
  }
}

} // namespace keap::cli
