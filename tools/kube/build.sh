#!/usr/bin/env bash
# Builds the real Kubernetes control-plane binaries (and etcd) for one pinned version into a
# cache outside git:  $KUBE_CACHE/vX.Y.Z/bin/{kube-apiserver,kube-controller-manager,
# kube-scheduler,kubectl,kube-proxy,etcd,etcdctl}.  Nothing prebuilt is downloaded: every
# binary is compiled here from the Go module proxy's sources, pinned by tools/kube/k8s/vX.Y.Z
# and tools/kube/etcd/vA.B.C.  A stamp holding the hash of the recipe (pins, flags, commands)
# makes a rebuild happen only when it changes.
set -euo pipefail
ver=${1:?usage: build.sh vX.Y.Z}
here=$(cd "$(dirname "$0")" && pwd)
cache=${KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterd/kube}
out=$cache/$ver/bin
k8sdir=$here/k8s/$ver
[ -f "$k8sdir/go.mod" ] || { echo "build.sh: $ver is not pinned (run tools/kube/pin.sh $ver)" >&2; exit 2; }
etcd_ver=$(cat "$k8sdir/etcd-version")
etcddir=$here/etcd/$etcd_ver
[ -f "$etcddir/go.mod" ] || { echo "build.sh: etcd $etcd_ver is not pinned (run tools/kube/pin-etcd.sh $etcd_ver)" >&2; exit 2; }

# One build per version at a time: a second caller (another clone's make test, say) waits, then finds the stamp.
mkdir -p "$cache"
exec 9>"$cache/.lock-$ver"
flock 9

# What `kubectl version` and /version report, as upstream's hack/lib/version.sh sets them.
major=1; minor=${ver#v1.}; minor=${minor%%.*}
build_date=$(date -u -d @"${SOURCE_DATE_EPOCH:-0}" +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$ver -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done
commands="kube-apiserver kube-controller-manager kube-scheduler kubectl kube-proxy"
etcd_ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module"

# The stamp is the recipe: the pins, the flags and the command list. Same recipe, nothing to do.
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
stamp=$( { cat "$k8sdir/go.mod" "$k8sdir/go.sum" "$etcddir/go.mod" "$etcddir/go.sum"; echo "$ldflags|$etcd_ldflags|$commands|$GOFLAGS|$CGO_ENABLED"; } | sha256sum | cut -c1-16)
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  exit 0
fi
started=$(date +%s)
mkdir -p "$out"
rm -f "$out/.stamp"

echo "kube: building Kubernetes $ver into $out" >&2
# shellcheck disable=SC2046
(cd "$k8sdir" && go build -trimpath -ldflags "$ldflags" -o "$out/" $(printf 'k8s.io/kubernetes/cmd/%s ' $commands))

echo "kube: building etcd $etcd_ver into $out" >&2
(cd "$etcddir" && go build -trimpath -ldflags "$etcd_ldflags" -o "$out/etcd" go.etcd.io/etcd/server/v3 \
  && go build -trimpath -ldflags "$etcd_ldflags" -o "$out/etcdctl" go.etcd.io/etcd/etcdctl/v3)

echo "$stamp" > "$out/.stamp"
echo "kube: $ver built in $(( $(date +%s) - started ))s ($(du -sh "$out" | cut -f1))" >&2
