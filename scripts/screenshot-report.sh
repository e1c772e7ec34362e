#!/bin/sh
# Takes a screenshot of a whole report.html, at the page's real height, with
# headless Chromium, offline.
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

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
case "$out" in
    /*) abs_out=$out ;;
    *) abs_out=$(pwd)/$out ;;
esac

# The page's real height: Chromium measures its layout and captures beyond
# the window (DevTools over a pipe, scripts/screenshot-report.py).
# HEIGHT=N crops the picture to at most N pixels.
command -v python3 >/dev/null 2>&1 || { echo "error: python3 is needed" >&2; exit 2; }
python3 "$(dirname "$0")/screenshot-report.py" "$browser" "$abs_report" "$abs_out" "$width" "${HEIGHT:-}" >/dev/null || {
    echo "error: chromium failed" >&2
    exit 1
}
[ -s "$abs_out" ] || { echo "error: chromium wrote no picture to $abs_out" >&2; exit 1; }
echo "$abs_out"
