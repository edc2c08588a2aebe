#!/usr/bin/env bash
# Fetches Valkey for the tests that run a `valkey-*` version (test/e2e/valkey.test.ts): the
# valkey-server and valkey-tools packages of Debian's bookworm-backports, unpacked (not
# installed) into a cache outside the repository, keyed by the package version:
#   ${DBOPS_TOOLS_CACHE:-$HOME/.cache/dbops/tools}/valkey-<version>/usr/bin/valkey-server
# Debian 12 itself has no Valkey; its libraries (jemalloc, lzf, ssl, systemd) come with
# redis-server. A finished fetch is reused; concurrent runs wait on one lock.
#
# Prints the valkey-server path on the last line of stdout.
set -euo pipefail

root="${DBOPS_TOOLS_CACHE:-$HOME/.cache/dbops/tools}"
suite="${DBOPS_VALKEY_SUITE:-bookworm-backports}"

found() {
  local d
  for d in "$root"/valkey-*/; do
    [[ -f "$d/complete" && -x "$d/usr/bin/valkey-server" ]] && { echo "$d/usr/bin/valkey-server"; return 0; }
  done
  return 1
}

if found; then exit 0; fi

mkdir -p "$root"
exec 9>"$root/.lock-valkey"
flock 9
if found; then exit 0; fi
rm -rf "$root"/valkey.tmp-*
tmp="$(mktemp -d "$root/valkey.tmp-XXXXXX")"
started=$SECONDS

# A private apt configuration: the machine's sources and state stay as they are.
mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial"
echo "deb http://deb.debian.org/debian $suite main" >"$tmp/apt/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$tmp/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$tmp/apt/lists" -o "Dir::Cache=$tmp/apt/cache"
  -o APT::Sandbox::User=root
)
echo "fetch-valkey: valkey-server and valkey-tools from $suite" >&2
apt-get "${apt_opts[@]}" update >&2
version="$(apt-cache "${apt_opts[@]}" show valkey-server | sed -n 's/^Version: //p' | head -n1)"
[[ -n "$version" ]] || { echo "fetch-valkey: $suite has no valkey-server" >&2; exit 1; }
(cd "$tmp" && apt-get "${apt_opts[@]}" download "valkey-server=$version" "valkey-tools=$version" >&2)
out="$root/valkey-${version//[^A-Za-z0-9.+-]/_}"
mkdir -p "$tmp/unpacked"
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$tmp/unpacked"; done
"$tmp/unpacked/usr/bin/valkey-server" --version >&2
date -u +%FT%TZ >"$tmp/unpacked/complete"
rm -rf "$out"
mv "$tmp/unpacked" "$out"
rm -rf "$tmp"
echo "fetch-valkey: done in $((SECONDS - started)) s: $out/usr/bin/valkey-server" >&2
echo "$out/usr/bin/valkey-server"
