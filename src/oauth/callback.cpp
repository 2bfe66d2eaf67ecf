#include "oauth/callback.hpp"

#include "util/text.hpp"
#include "util/url.hpp"

namespace keap::oauth {

Callback parse_callback(std::string_view query) {
  Callback callback;
  auto parameters = util::parse_form(query);
  if (!parameters) {
    callback.problem = "the query string is malformed";
    return callback;
  }
  for (auto& [name, value] : *parameters) {
    std::optional<std::string>* field = name == "state"               ? &callback.state
                                        : name == "code"              ? &callback.code
                                        : name == "error"             ? &callback.error
                                        : name == "error_description" ? &callback.error_description
                                                                      : nullptr;
    if (field == nullptr) {
      continue;
    }
    if (field->has_value()) {
      callback.problem = "the parameter '" + name + "' appears more than once";
      return callback;
    }
    *field = std::move(value);
  }
  return callback;
}

std::string describe_callback_error(const Callback& callback) {
  std::string text = "the authorization server answered error=" + util::printable_excerpt(callback.error.value_or(""));
  if (callback.error_description) {
    text += " (" + util::printable_excerpt(*callback.error_description) + ")";
  }
  return text;
}

PastedAnswer parse_pasted_answer(std::string_view text) {
  auto first = text.find_first_not_of(" \t\r\n");
  auto last = text.find_last_not_of(" \t\r\n");
  text = first == std::string_view::npos ? std::string_view{} : text.substr(first, last - first + 1);
  PastedAnswer answer;
  if (text.empty()) {
    answer.problem = "nothing was given";
  } else if (auto question = text.find('?'); question != std::string_view::npos || text.find('=') != text.npos) {
    auto query = question == std::string_view::npos ? text : text.substr(question + 1);
    answer.callback = parse_callback(query.substr(0, query.find('#')));
  } else if (text.size() <= 2048 && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                           "0123456789-._~/+") == std::string_view::npos) {
    answer.code = std::string(text);
  } else {
    answer.problem = "it is neither the address the browser landed on nor an authorization code";
  }
  return answer;
}

} // namespace keap::oauth
