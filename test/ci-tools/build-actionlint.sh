#!/usr/bin/env bash
# Builds actionlint (v1.7.12) for the tests, from the Go module proxy: the GitHub Actions
# workflow under deploy/ci/ is checked with it (test/deploy-ci/ci-plan.test.ts). Neither Debian
# nor npm has a current one.
#
# It goes to a cache outside the repository, keyed by version:
#   ${DBOPS_TOOLS_CACHE:-$HOME/.cache/dbops/tools}/actionlint-v1.7.12/bin/actionlint
# A finished build is reused (prints its path and exits); a build killed half-way leaves only a
# temp directory that the next run removes. Concurrent runs wait on one lock.
#
# Prints the binary's path on the last line of stdout. Needs Go (`go version`); exits 3 without.
set -euo pipefail

VERSION=v1.7.12

root="${DBOPS_TOOLS_CACHE:-$HOME/.cache/dbops/tools}"
key="actionlint-$VERSION"
out="$root/$key"

complete() { [[ -x "$out/bin/actionlint" && -f "$out/complete" ]]; }

if complete; then
  echo "$out/bin/actionlint"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-actionlint: Go is not installed; install Go (https://go.dev/dl/) and run again" >&2
  exit 3
fi

mkdir -p "$root"
exec 9>"$root/.lock-$key"
flock 9
if complete; then
  echo "$out/bin/actionlint"
  exit 0
fi
rm -rf "$root/$key".tmp-*
tmp="$(mktemp -d "$root/$key.tmp-XXXXXX")"

# -mod=mod: `go install pkg@version` outside any module; GOTOOLCHAIN=local: no toolchain download.
export GOTOOLCHAIN=local GOFLAGS="-mod=mod -modcacherw" CGO_ENABLED=0
started=$SECONDS
echo "build-actionlint: building github.com/rhysd/actionlint $VERSION" >&2
GOBIN="$tmp/bin" go install -trimpath -ldflags "-s -w" \
  "github.com/rhysd/actionlint/cmd/actionlint@$VERSION" >&2
"$tmp/bin/actionlint" -version >&2
date -u +%FT%TZ >"$tmp/complete"
rm -rf "$out"
mv "$tmp" "$out"
echo "build-actionlint: done in $((SECONDS - started)) s: $out/bin/actionlint" >&2
echo "$out/bin/actionlint"
