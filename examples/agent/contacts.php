#!/usr/bin/env php
<?php
// A PHP service calling Keap with a token from `keap-auth agent` (PHP 8.1+ with the curl extension,
// which reaches the agent's socket with CURLOPT_UNIX_SOCKET_PATH; Debian: php-cli and php-curl).
//
// Run:  php contacts.php [SECONDS]
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
declare(strict_types=1);

const NAME = 'contacts.php';

function fail(string $message, int $code = 1): never
{
    foreach (explode("\n", $message) as $line) {
        fwrite(STDERR, NAME . ": $line\n");
    }
    exit($code);
}

/// The agent's answer for one profile, kept until its refresh_at.
final class AgentToken
{
    private ?array $answer = null;

    public function __construct(private string $socket, private ?string $profile)
    {
    }

    /// The header line to send ("Name: value").
    public function header(): string
    {
        if ($this->answer === null || $this->due()) {
            $query = $this->profile === null ? '' : '?' . http_build_query(['profile' => $this->profile]);
            $this->answer = $this->ask("/v1/token$query");
        }
        return $this->answer['header'];
    }

    /// The header line of a token other than the one that just got a 401.
    public function rejected(): string
    {
        $body = ['token' => $this->answer['token']];
        if ($this->profile !== null) {
            $body['profile'] = $this->profile;
        }
        $this->answer = $this->ask('/v1/token/rejected', json_encode($body, JSON_THROW_ON_ERROR));
        return $this->answer['header'];
    }

    private function due(): bool
    {
        if ($this->answer['refresh_at'] === null) {
            return false; // a key: kept until Keap refuses it
        }
        $at = strtotime($this->answer['refresh_at']);
        return $at === false || time() >= $at;
    }

    /// A GET, or a POST of $body as JSON, to the agent; its answer, or the end of the program.
    private function ask(string $target, ?string $body = null): array
    {
        $curl = curl_init("http://localhost$target");
        $headers = ['Accept: application/json'];
        $options = [CURLOPT_UNIX_SOCKET_PATH => $this->socket, CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 60];
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json';
            $options += [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $body];
        }
        curl_setopt_array($curl, $options + [CURLOPT_HTTPHEADER => $headers]);
        $text = curl_exec($curl);
        if ($text === false) {
            fail("cannot reach keap-auth agent at {$this->socket}: " . curl_error($curl));
        }
        $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        $answer = json_decode($text, true);
        if (!is_array($answer)) {
            fail("keap-auth agent at {$this->socket} answered HTTP $status without JSON");
        }
        if ($status === 200 && is_string($answer['header'] ?? null) && str_contains($answer['header'], ': ')
            && is_string($answer['token'] ?? null)) {
            return $answer;
        }
        $error = is_array($answer['error'] ?? null) ? $answer['error'] : [];
        $message = 'keap-auth agent: ' . (is_string($error['message'] ?? null) ? $error['message'] : "HTTP $status");
        if (is_string($error['hint'] ?? null)) {
            $message .= "\nhint: {$error['hint']}";
        }
        $code = $error['exit_code'] ?? 1;
        fail($message, is_int($code) && $code > 0 && $code < 256 ? $code : 1);
    }
}

/// GET $url with the header line: [status, body].
function get(string $url, string $header): array
{
    $curl = curl_init($url);
    // curl follows no redirect unless told to, so the credential never goes to another host.
    curl_setopt_array($curl, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 60,
        CURLOPT_HTTPHEADER => [$header, 'Accept: application/json']]);
    $body = curl_exec($curl);
    if ($body === false) {
        fail("GET $url: " . curl_error($curl));
    }
    return [curl_getinfo($curl, CURLINFO_RESPONSE_CODE), $body];
}

/// One call to Keap, retried once after a 401 with the token the agent gives in its place.
function contacts(string $url, AgentToken $token): string
{
    [$status, $body] = get($url, $token->header());
    if ($status === 401) {
        [$status, $body] = get($url, $token->rejected());
    }
    if ($status < 200 || $status > 299) {
        fail("GET $url: HTTP $status: " . substr($body, 0, 500));
    }
    return $body;
}

$url = rtrim(getenv('KEAP_API_BASE_URL') ?: 'https://api.infusionsoft.com/crm/rest', '/') . '/v1/contacts?limit=2';
$runtime = getenv('XDG_RUNTIME_DIR');
$socket = getenv('KEAP_AGENT_SOCKET') ?: ($runtime ? "$runtime/keap-auth/agent.sock" : '/run/keap-auth/agent.sock');
$every = null;
if ($argc > 1) {
    $every = is_numeric($argv[1]) ? (float) $argv[1] : 0.0;
    if ($every <= 0) {
        fail("SECONDS must be a number above 0, not \"{$argv[1]}\"", 2);
    }
}
$token = new AgentToken($socket, getenv('KEAP_PROFILE') ?: null);
for (;;) {
    $body = contacts($url, $token);
    echo $every === null ? $body : "$body\n";
    if ($every === null) {
        break;
    }
    usleep((int) ($every * 1000000));
}
