#!/usr/bin/env bash
# install-deps.sh: install every Debian package textseq's build, tests, demo and fuzzing need.
# Idempotent: installs only what is missing; uses sudo when not root.
set -euo pipefail

PKGS=(
  postgresql-15 postgresql-server-dev-15 postgresql-contrib
  libcurl4-openssl-dev libphonenumber-dev libmicrohttpd-dev
  postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  clang-14 libclang-rt-14-dev g++ make pkg-config
  libicu-dev libssl-dev
  unicode-data
  curl jq
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
