#pragma once

#include "core/config.hpp"
#include "core/error.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

/// What a command is to the command line: its name, its flags, the combinations of them it refuses,
/// and what runs it. Each command is one file in commands/ and one row in commands/table.cpp; the parser,
/// --help, the man page and the completions all come from that table.
namespace keap::cli {

/// Options every command accepts, before or after its name.
struct GlobalOptions {
  ConfigFlags config;
  bool verbose = false;              ///< every HTTP exchange, and what was not done
  bool quiet = false;                ///< errors only
  std::string program = "keap-auth"; ///< argv[0], for commands that print a command line (api --dry-run)
};

class Command {
public:
  virtual ~Command() = default;
  virtual const std::string& name() const = 0;
  virtual const std::string& summary() const = 0;
  /// Declares its flags on `app`. What is parsed lands in the command itself, and in `global.config`
  /// for the flags that set config keys.
  virtual void define(CLI::App& app, GlobalOptions& global) = 0;
  /// After parsing: a usage error (exit 2) when the flags given mean nothing together.
  virtual std::optional<Error> refusal(const GlobalOptions& global) const = 0;
  /// True when it was asked for JSON on stdout, where a failure is then reported too.
  virtual bool answers_in_json() const = 0;
  /// Does the work: an exit code, or a keap::Error thrown.
  virtual int run(const GlobalOptions& global) const = 0;
};

/// The commands, in the order --help lists them.
using CommandTable = std::vector<std::unique_ptr<Command>>;

/// A combination of flags the parser accepts but that would mean nothing: refused, so nobody trusts a
/// flag that is silently ignored.
template <class Options> struct Rule {
  std::function<bool(const Options&, const GlobalOptions&)> breaks;
  std::string message;
  std::string hint;
};

/// A command as data: what its file fills in.
template <class Options> struct Definition {
  std::string name;
  std::string summary;
  std::function<void(CLI::App&, Options&, GlobalOptions&)> flags;
  std::vector<Rule<Options>> rules;
  std::function<int(const Options&, const GlobalOptions&)> run;
  std::function<bool(const Options&)> json = [](const Options&) { return false; };
};

template <class Options> class DefinedCommand final : public Command {
public:
  explicit DefinedCommand(Definition<Options> definition) : m_definition(std::move(definition)) {}
  const std::string& name() const override { return m_definition.name; }
  const std::string& summary() const override { return m_definition.summary; }
  void define(CLI::App& app, GlobalOptions& global) override { m_definition.flags(app, m_options, global); }
  std::optional<Error> refusal(const GlobalOptions& global) const override {
    for (const auto& rule : m_definition.rules) {
      if (rule.breaks(m_options, global)) {
        return Error(ExitCode::usage, rule.message, rule.hint);
      }
    }
    return std::nullopt;
  }
  bool answers_in_json() const override { return m_definition.json(m_options); }
  int run(const GlobalOptions& global) const override { return m_definition.run(m_options, global); }

private:
  Definition<Options> m_definition;
  Options m_options;
};

template <class Options> std::unique_ptr<Command> make_command(Definition<Options> definition) {
  return std::make_unique<DefinedCommand<Options>>(std::move(definition));
}

} // namespace keap::cli
