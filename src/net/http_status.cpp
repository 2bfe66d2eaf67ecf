#include "net/http_status.hpp"

namespace keap::net {

namespace {

const char* reason_phrase(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 100:
    return "Continue";
  case 204:
    return "No Content";
  case 301:
    return "Moved Permanently";
  case 302:
    return "Found";
  case 303:
    return "See Other";
  case 304:
    return "Not Modified";
  case 307:
    return "Temporary Redirect";
  case 308:
    return "Permanent Redirect";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 409:
    return "Conflict";
  case 413:
    return "Content Too Large";
  case 414:
    return "URI Too Long";
  case 415:
    return "Unsupported Media Type";
  case 422:
    return "Unprocessable Entity";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  case 505:
    return "HTTP Version Not Supported";
  default:
    return nullptr;
  }
}

} // namespace

StatusClass classify_status(int status) {
  if (status >= 200 && status < 300) {
    return StatusClass::success;
  }
  if (status >= 300 && status < 400) {
    return StatusClass::redirect;
  }
  if (status == 401) {
    return StatusClass::unauthorized;
  }
  if (status == 403) {
    return StatusClass::forbidden;
  }
  if (status == 429) {
    return StatusClass::rate_limited;
  }
  if (status >= 400 && status < 500) {
    return StatusClass::client_error;
  }
  if (status >= 500 && status < 600) {
    return StatusClass::server_error;
  }
  return StatusClass::unexpected;
}

ExitCode default_exit_code(StatusClass status_class) {
  switch (status_class) {
  case StatusClass::success:
    return ExitCode::ok;
  case StatusClass::unauthorized:
    return ExitCode::relogin;
  case StatusClass::rate_limited:
  case StatusClass::server_error:
    return ExitCode::unavailable;
  case StatusClass::redirect:
  case StatusClass::forbidden:
  case StatusClass::client_error:
  case StatusClass::unexpected:
    break;
  }
  return ExitCode::failure;
}

std::string describe_status(int status) {
  const char* phrase = reason_phrase(status);
  return "HTTP " + std::to_string(status) + (phrase ? std::string(" (") + phrase + ")" : std::string{});
}

bool worth_retrying_later(StatusClass status_class) {
  return status_class == StatusClass::rate_limited || status_class == StatusClass::server_error;
}

} // namespace keap::net
