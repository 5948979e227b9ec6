#!/usr/bin/env bash
# Makes sure decK (Kong's declarative config tool, Debian package `deck`, version 1.4) is on the
# PATH for test/deck: installs it from Debian's packages when missing (needs root) and fails
# with a clear message otherwise. Prints the binary's path on success.
set -euo pipefail

log() { printf '[deck] %s\n' "$*" >&2; }

if command -v deck >/dev/null 2>&1; then command -v deck; exit 0; fi
if [ "$(id -u)" != "0" ]; then
  log "deck is not installed and installing it needs root; run: sudo apt-get install -y deck"; exit 1
fi
log "installing the Debian package deck"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq deck >/dev/null
command -v deck >/dev/null 2>&1 || { log "apt-get installed deck but no deck binary is on the PATH"; exit 1; }
command -v deck
