#!/bin/sh
# Takes a full-page screenshot of a report.html with headless Chromium, offline.
#
#   scripts/screenshot-report.sh reports/report.html /tmp/report.png [WIDTH]
#
# Needs Debian's `chromium` package (apt-get install chromium) or CHROMIUM=path.
# The page is opened from disk with every host name unresolvable, so the
# picture shows exactly what a reader without network sees.
set -eu

if [ "$#" -lt 2 ]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTH]" >&2
    exit 2
fi
report=$1
out=$2
width=${3:-1280}
[ -f "$report" ] || { echo "error: no such file: $report" >&2; exit 2; }

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
    for candidate in chromium chromium-browser; do
        if command -v "$candidate" >/dev/null 2>&1; then
            browser=$(command -v "$candidate")
            break
        fi
    done
fi
if [ -z "$browser" ]; then
    echo "error: chromium not found; install Debian's chromium package (apt-get install chromium) or set CHROMIUM" >&2
    exit 2
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
case "$out" in
    /*) abs_out=$out ;;
    *) abs_out=$(pwd)/$out ;;
esac

# A tall window captures the whole page; Chromium cuts the picture at the
# window's height, so measure the page first (its DOM length is a cheap proxy).
height=${HEIGHT:-$(( $(wc -c <"$report") / 12 + 2000 ))}
[ "$height" -gt 30000 ] && height=30000

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --host-resolver-rules="MAP * ~NOTFOUND" --hide-scrollbars \
    --user-data-dir="$profile" --window-size="$width,$height" \
    --screenshot="$abs_out" "file://$abs_report" >/dev/null 2>"$profile/stderr" || {
    cat "$profile/stderr" >&2
    echo "error: chromium failed" >&2
    exit 1
}
[ -s "$abs_out" ] || { echo "error: chromium wrote no picture to $abs_out" >&2; exit 1; }
echo "$abs_out"
