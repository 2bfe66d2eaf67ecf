#!/usr/bin/env node
// A Node service calling Keap with a token from keap-auth (Node 18 or later: built-in fetch;
// Debian 12: nodejs. Node 18 warns once on stderr that fetch is experimental; that is harmless).
//
// Run:  KEAP_AUTH_CONFIG=/etc/keap-auth/config.json node contacts.mjs
//       KEAP_AUTH: the keap-auth binary (default: keap-auth from PATH); KEAP_API_BASE_URL: the API
//       (default https://api.infusionsoft.com/crm/rest). keap-auth reads its own KEAP_AUTH_CONFIG,
//       KEAP_PROFILE, ... from the environment this script inherits.
//
// Why it is written this way:
// - It asks keap-auth for the header line instead of reading or caching the token: keap-auth refreshes
//   under a lock when the token nears its end, so any number of services share one grant without losing
//   it. The header is the one the credential needs (Authorization: Bearer for an OAuth token,
//   X-Keap-API-Key for a Personal Access Token or Service Account Key): never build it yourself.
// - A 401 means another process rotated the token or Keap dropped it early. `token --rejected -`
//   hands back the store's newer token, or refreshes exactly once however many services got the 401.
// - The token reaches keap-auth on stdin, never in argv, which every user can read with ps.
// - keap-auth's stderr goes straight to ours and its exit code is ours: exit 4 means a person must run
//   `keap-auth login`, which a supervisor should not retry in a loop.
import { execFileSync } from "node:child_process";

const keapAuth = process.env.KEAP_AUTH || "keap-auth";
const apiBase = (process.env.KEAP_API_BASE_URL || "https://api.infusionsoft.com/crm/rest").replace(/\/+$/, "");
const url = `${apiBase}/v1/contacts?limit=1`;

function fail(message, code = 1) {
  console.error(`contacts.mjs: ${message}`);
  process.exit(code);
}

// The header line keap-auth gives ("Name: value"); `rejected`: the line that just got a 401.
function header(rejected) {
  const args = rejected ? ["token", "--header", "--rejected", "-"] : ["token", "--header"];
  let out = "";
  try {
    out = execFileSync(keapAuth, args, { input: rejected ? `${rejected}\n` : "", encoding: "utf8",
                                         stdio: ["pipe", "pipe", "inherit"] }).trim();
  } catch (error) {
    // Only the status: the error object also holds whatever the child printed.
    if (error.status == null) fail(`cannot run ${keapAuth}: ${error.code ?? error.signal}`);
    fail(`${keapAuth} token failed (exit ${error.status})`, error.status);
  }
  return out.includes(": ") ? out : fail(`${keapAuth} token printed no header`);
}

// redirect: "manual": a credential must never follow a Location to another host.
function get(line) {
  const at = line.indexOf(": ");
  return fetch(url, { headers: { [line.slice(0, at)]: line.slice(at + 2), Accept: "application/json" },
                      redirect: "manual", signal: AbortSignal.timeout(60_000) });
}

const credential = header();
let answer;
try {
  answer = await get(credential);
  if (answer.status === 401) answer = await get(header(credential));
} catch (error) {
  fail(`GET ${url}: ${error.cause?.message ?? error.message}`);
}
const body = await answer.text();
if (!answer.ok) fail(`GET ${url}: HTTP ${answer.status}: ${body.slice(0, 500)}`);
process.stdout.write(body);
