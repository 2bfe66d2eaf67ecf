#!/usr/bin/env node
// A Node service calling Keap with a token from `keap-auth agent` (Node 18 or later: http.request for
// the agent's socket, the built-in fetch for Keap; Debian 12: nodejs. Node 18 warns once on stderr that
// fetch is experimental; that is harmless).
//
// Run:  node contacts.mjs [SECONDS]
//       Lists two contacts; with SECONDS, again every SECONDS until stopped, as a service would.
//       KEAP_AGENT_SOCKET: the agent's socket (default $XDG_RUNTIME_DIR/keap-auth/agent.sock, or
//       /run/keap-auth/agent.sock without XDG_RUNTIME_DIR: where the agent and its units put it);
//       KEAP_PROFILE: the profile to ask for (default: the agent's default profile); KEAP_API_BASE_URL:
//       the API (default https://api.infusionsoft.com/crm/rest).
//
// Why it is written this way:
// - It takes the header line the agent gives instead of building one: `Authorization: Bearer` for an
//   OAuth token, `X-Keap-API-Key` for a Personal Access Token or Service Account Key. Keap refuses a key
//   sent as Bearer.
// - It keeps the answer until its refresh_at (a key has none: until a 401). The agent refreshes ahead of
//   that time, so asking sooner would only hand back the same token.
// - A 401 means the agent rotated the token since it was kept, or Keap dropped it early. POST
//   /v1/token/rejected hands back the agent's newer token, or makes it refresh exactly once however many
//   services got the 401; the call is then tried once more. A second 401 is a failure, never a loop.
// - When the agent says no, its exit_code is ours and its message and hint go to stderr: exit 4 means a
//   person must run `keap-auth login`, which a supervisor should not retry in a loop. Every other
//   failure is exit 1 (2 for a bad SECONDS). No token is ever printed or logged.
import http from "node:http";
import path from "node:path";

const name = "contacts.mjs";
const apiBase = (process.env.KEAP_API_BASE_URL || "https://api.infusionsoft.com/crm/rest").replace(/\/+$/, "");
const url = `${apiBase}/v1/contacts?limit=2`;
const profile = process.env.KEAP_PROFILE || null;
const socketPath = process.env.KEAP_AGENT_SOCKET ||
  (process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, "keap-auth", "agent.sock")
                               : "/run/keap-auth/agent.sock");

class Failure extends Error {
  constructor(message, code = 1) {
    super(message);
    this.code = code;
  }
}

// One request to the agent: { status, text }. agent: false, so each request has its own connection
// and nothing is left open when the program is done.
function ask(method, target, body) {
  return new Promise((resolve, reject) => {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const request = http.request({ socketPath, path: target, method, headers, agent: false, timeout: 60_000 },
                                 (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => { text += chunk; });
      response.on("end", () => resolve({ status: response.statusCode, text }));
      response.on("error", (error) => reject(new Failure(`keap-auth agent at ${socketPath}: ${error.message}`)));
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 60 s")));
    request.on("error", (error) => reject(new Failure(`cannot reach keap-auth agent at ${socketPath}: ${error.message}`)));
    request.end(body);
  });
}

// The agent's answer for one profile, kept until its refresh_at.
class AgentToken {
  #answer = null;

  // The header line to send ("Name: value").
  async header() {
    if (this.#answer === null || this.#due()) {
      const query = profile ? `?profile=${encodeURIComponent(profile)}` : "";
      this.#answer = await this.#ask("GET", `/v1/token${query}`);
    }
    return this.#answer.header;
  }

  // The header line of a token other than the one that just got a 401.
  async rejected() {
    const body = profile ? { profile, token: this.#answer.token } : { token: this.#answer.token };
    this.#answer = await this.#ask("POST", "/v1/token/rejected", JSON.stringify(body));
    return this.#answer.header;
  }

  #due() {
    if (this.#answer.refresh_at === null) return false; // a key: kept until Keap refuses it
    const at = Date.parse(this.#answer.refresh_at);
    return Number.isNaN(at) || Date.now() >= at;
  }

  async #ask(method, target, body) {
    const { status, text } = await ask(method, target, body);
    let answer = null;
    try {
      answer = JSON.parse(text);
    } catch {
      // said below
    }
    if (answer === null || typeof answer !== "object") {
      throw new Failure(`keap-auth agent at ${socketPath} answered HTTP ${status} without JSON`);
    }
    if (status === 200 && typeof answer.header === "string" && answer.header.includes(": ") &&
        typeof answer.token === "string") {
      return answer;
    }
    const error = answer.error ?? {};
    let message = `keap-auth agent: ${error.message || `HTTP ${status}`}`;
    if (error.hint) message += `\nhint: ${error.hint}`;
    const code = Number.isInteger(error.exit_code) && error.exit_code > 0 && error.exit_code < 256 ? error.exit_code : 1;
    throw new Failure(message, code);
  }
}

// GET url with the header line. redirect: "manual": a credential must never follow a Location to
// another host.
async function get(line) {
  const at = line.indexOf(": ");
  try {
    const answer = await fetch(url, { headers: { [line.slice(0, at)]: line.slice(at + 2), Accept: "application/json" },
                                      redirect: "manual", signal: AbortSignal.timeout(60_000) });
    return { status: answer.status, body: await answer.text() };
  } catch (error) {
    throw new Failure(`GET ${url}: ${error.cause?.message ?? error.message}`);
  }
}

// One call to Keap, retried once after a 401 with the token the agent gives in its place.
async function contacts(token) {
  let answer = await get(await token.header());
  if (answer.status === 401) answer = await get(await token.rejected());
  if (answer.status < 200 || answer.status > 299) {
    throw new Failure(`GET ${url}: HTTP ${answer.status}: ${answer.body.slice(0, 500)}`);
  }
  return answer.body;
}

async function main() {
  const every = process.argv.length > 2 ? Number(process.argv[2]) : null;
  if (every !== null && !(every > 0)) throw new Failure(`SECONDS must be a number above 0, not "${process.argv[2]}"`, 2);
  const token = new AgentToken();
  for (;;) {
    const body = await contacts(token);
    process.stdout.write(every === null ? body : `${body}\n`);
    if (every === null) return;
    await new Promise((resolve) => setTimeout(resolve, every * 1000));
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof Failure)) throw error;
  for (const line of error.message.split("\n")) console.error(`${name}: ${line}`);
  process.exitCode = error.code;
}
