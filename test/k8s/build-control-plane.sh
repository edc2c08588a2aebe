#!/usr/bin/env bash
# Builds the binaries of a real Kubernetes control plane for the tests, from the Go module proxy:
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl (Kubernetes v1.34.12),
# etcd (v3.6.16) and kwok (v0.7.0). Neither Debian nor npm has them.
#
# They go to a cache outside the repository, keyed by the versions and this script's hash:
#   ${DBOPS_K8S_CACHE:-$HOME/.cache/dbops/k8s}/<key>/bin
# A finished build is reused (prints its bin directory and exits); a build killed half-way
# leaves only a temp directory that the next run removes. Concurrent runs wait on one lock.
#
# Prints the bin directory on the last line of stdout. Needs Go >= 1.25 (`go version`).
# Cold on 2 cores: about 6 minutes, 1.2 GB module cache, 4 GB build cache; warm: seconds.
set -euo pipefail

K8S=v1.34.12
K8S_STAGING=v0.34.12
ETCD=v3.6.16
KWOK=v0.7.0

here="$(cd "$(dirname "$0")" && pwd)"
script_hash="$(sha256sum "$here/build-control-plane.sh" | cut -c1-12)"
key="k8s-${K8S}-etcd-${ETCD}-kwok-${KWOK}-${script_hash}"
root="${DBOPS_K8S_CACHE:-$HOME/.cache/dbops/k8s}"
out="$root/$key"
bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)

complete() {
  local b
  for b in "${bins[@]}"; do [[ -x "$out/bin/$b" ]] || return 1; done
  [[ -f "$out/complete" ]]
}

if complete; then
  echo "$out/bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "build-control-plane: Go is not installed; install Go >= 1.25 (https://go.dev/dl/) and run again" >&2
  exit 3
fi
gov="$(go env GOVERSION | sed 's/^go//')"
if [[ "$(printf '%s\n1.25\n' "$gov" | sort -V | head -1)" != "1.25" ]]; then
  echo "build-control-plane: Go $gov is too old; Kubernetes $K8S needs Go >= 1.25" >&2
  exit 3
fi

mkdir -p "$root"
exec 9>"$root/.lock"
flock 9
if complete; then
  echo "$out/bin"
  exit 0
fi
rm -rf "$root"/*.tmp-*
tmp="$(mktemp -d "$root/$key.tmp-XXXXXX")"
mkdir -p "$tmp/bin"

export GOTOOLCHAIN=local GOFLAGS=-modcacherw CGO_ENABLED=0
started=$SECONDS
log() { echo "build-control-plane: $* ($((SECONDS - started)) s)" >&2; }

# kube-*: k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces the staging modules
# with local paths), so a wrapper module pins each staging module to its published version.
log "kubernetes $K8S: resolving modules"
mkdir -p "$tmp/kube" && cd "$tmp/kube"
go mod init dbops.local/control-plane >/dev/null 2>&1
gomod="$(go mod download -json "k8s.io/kubernetes@$K8S" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
go mod edit -go="$(sed -n 's/^go //p' "$gomod")"
godebug="$(sed -n 's/^godebug //p' "$gomod")"
[[ -n "$godebug" ]] && go mod edit -godebug="$godebug"
for m in $(sed -n 's/^[[:space:]]*\(k8s\.io\/[A-Za-z0-9._-]*\) v0\.0\.0$/\1/p' "$gomod"); do
  go mod edit -replace="$m=$m@$K8S_STAGING"
done
pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
go get "${pkgs[@]/%/@$K8S}" >&2
minor="$(echo "$K8S" | cut -d. -f2)"
ldflags="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$K8S -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done
log "kubernetes $K8S: building ${pkgs[*]##*/}"
go build -p 2 -trimpath -ldflags "$ldflags" -o "$tmp/bin/" "${pkgs[@]}" >&2

# etcd has replace directives too: the same wrapper trick, in a module of its own.
log "etcd $ETCD: building"
mkdir -p "$tmp/etcd" && cd "$tmp/etcd"
go mod init dbops.local/etcd >/dev/null 2>&1
go get "go.etcd.io/etcd/server/v3@$ETCD" >&2
go build -p 2 -trimpath -ldflags "-s -w" -o "$tmp/bin/etcd" go.etcd.io/etcd/server/v3 >&2

log "kwok $KWOK: building"
GOBIN="$tmp/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK" >&2

"$tmp/bin/kube-apiserver" --version >&2
"$tmp/bin/etcd" --version | head -1 >&2
rm -rf "$tmp/kube" "$tmp/etcd"
date -u +%FT%TZ >"$tmp/complete"
rm -rf "$out"
mv "$tmp" "$out"
log "done: $out/bin"
echo "$out/bin"
