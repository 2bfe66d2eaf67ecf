#!/usr/bin/env php
<?php
// A PHP service calling Keap with a token from keap-auth (Debian: php-cli and php-curl).
//
// Run:  KEAP_AUTH_CONFIG=/etc/keap-auth/config.json php contacts.php
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
// - The token reaches keap-auth on stdin, never in argv, which every user can read with ps; proc_open
//   is given an array, so no shell sits in between either.
// - keap-auth's stderr goes straight to ours and its exit code is ours: exit 4 means a person must run
//   `keap-auth login`, which a supervisor should not retry in a loop.
declare(strict_types=1);

$keapAuth = getenv('KEAP_AUTH') ?: 'keap-auth';
$url = rtrim(getenv('KEAP_API_BASE_URL') ?: 'https://api.infusionsoft.com/crm/rest', '/') . '/v1/contacts?limit=1';

function fail(string $message, int $code = 1): never
{
    fwrite(STDERR, "contacts.php: $message\n");
    exit($code);
}

// The header line keap-auth gives ("Name: value"); $rejected: the line that just got a 401.
function credential_header(string $keapAuth, ?string $rejected = null): string
{
    $argv = $rejected === null ? [$keapAuth, 'token', '--header'] : [$keapAuth, 'token', '--header', '--rejected', '-'];
    $process = proc_open($argv, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => STDERR], $pipes);
    if ($process === false) {
        fail("cannot run $keapAuth");
    }
    fwrite($pipes[0], $rejected === null ? '' : "$rejected\n");
    fclose($pipes[0]);
    $line = trim((string) stream_get_contents($pipes[1]));
    fclose($pipes[1]);
    $status = proc_close($process);
    if ($status !== 0 || !str_contains($line, ': ')) {
        fail("$keapAuth token failed (exit $status)", $status ?: 1);
    }
    return $line;
}

function get(string $url, string $credential): array
{
    $curl = curl_init($url);
    // curl follows no redirect unless told to, so the credential never goes to another host.
    curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 60,
        CURLOPT_HTTPHEADER => [$credential, 'Accept: application/json']]);
    $body = curl_exec($curl);
    if ($body === false) {
        fail("GET $url: " . curl_error($curl));
    }
    return [curl_getinfo($curl, CURLINFO_RESPONSE_CODE), $body];
}

$credential = credential_header($keapAuth);
[$status, $body] = get($url, $credential);
if ($status === 401) {
    [$status, $body] = get($url, credential_header($keapAuth, $credential));
}
if ($status < 200 || $status > 299) {
    fail("GET $url: HTTP $status: " . substr($body, 0, 500));
}
echo $body;
