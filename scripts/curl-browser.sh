#!/usr/bin/env bash
# A stand-in for a browser whose user has already clicked Allow, for the demo and the examples: it
# opens what keap-auth gives a browser (its private start page, file://…, or a plain URL), follows the
# page's forward to the authorize URL, then every redirect, as a browser would. The URL goes to curl on
# stdin, never on its command line, since it carries the login's state.
#   BROWSER=scripts/curl-browser.sh keap-auth login
set -euo pipefail
url=$1
if [[ $url == file://* ]]; then
  url=$(sed -n 's/.*http-equiv="refresh" content="0; url=\([^"]*\)".*/\1/p' "${url#file://}" |
        sed -e 's/&quot;/"/g' -e "s/&#39;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g')
fi
printf 'url = "%s"\n' "$url" | exec curl -fsSL -o /dev/null -K -
