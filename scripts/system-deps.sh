#!/usr/bin/env bash
# The Debian packages Mwalimu needs beside Python: installs the missing ones when it can (root, or sudo without a
# password), else stops with the exact command to run. `system-deps.sh run` checks what serving needs (tesseract
# for scanned PDFs); `system-deps.sh test` adds what the test suite drives (chromium, PostgreSQL, fonts).
set -euo pipefail
want="${1:-test}"
missing=()

has_tesseract_lang() { command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx "$1"; }

command -v tesseract >/dev/null || missing+=(tesseract-ocr)
has_tesseract_lang eng || missing+=(tesseract-ocr-eng)
has_tesseract_lang swa || missing+=(tesseract-ocr-swa)
if [ "$want" = test ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get install -y --no-install-recommends ${missing[*]}"
if ! command -v apt-get >/dev/null; then
  echo "Missing system packages (Debian names): ${missing[*]}. Install them with your system's package manager." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then run=(); elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then run=(sudo); else
  echo "Missing Debian packages: ${missing[*]}. Run: sudo apt-get update && sudo $command" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" $command -qq >/dev/null
