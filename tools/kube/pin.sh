#!/usr/bin/env bash
# Writes tools/kube/k8s/vX.Y.Z/go.mod and go.sum: a module of our own that requires
# k8s.io/kubernetes at that version, pins every staging module (k8s.io/api, client-go, ...)
# to the matching v0.Y.Z, and lists the commands we build as `tool` lines.
# Run once per new Kubernetes version; the result is committed, upstream source is not.
set -euo pipefail
ver=${1:?usage: pin.sh vX.Y.Z}
here=$(cd "$(dirname "$0")" && pwd)
dir=$here/k8s/$ver
minor_patch=${ver#v1.}
staging=v0.$minor_patch
mkdir -p "$dir"
cd "$dir"
rm -f go.mod go.sum
go mod init clusterd.local/kube >/dev/null 2>&1
# The staging modules upstream replaces with ./staging/src/... paths; those replaces do not
# apply to a dependent module, so pin each to its published release instead.
upstream_mod=$(go mod download -json "k8s.io/kubernetes@$ver" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
mods=$(sed -n '/^replace (/,/^)/p' "$upstream_mod" | awk '$2=="=>" && $3 ~ /^\.\/staging/ {print $1}')
for m in $mods; do
  go mod edit -replace "$m=$m@$staging"
done
go mod edit -require "k8s.io/kubernetes@$ver"
# Keep upstream's language version, so any Go at or above it builds without a toolchain switch.
go mod edit -go "$(awk '$1=="go"{print $2; exit}' "$upstream_mod")"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl kube-proxy; do
  go mod edit -tool "k8s.io/kubernetes/cmd/$cmd"
done
go mod tidy
# The etcd release kubeadm of this version pins (constants.DefaultEtcdVersion, "3.7.0-0" -> v3.7.0).
src=$(go list -m -f '{{.Dir}}' k8s.io/kubernetes)
etcd=$(sed -n 's/^\s*DefaultEtcdVersion = "\([0-9.]*\)-[0-9]*"/\1/p' "$src/cmd/kubeadm/app/constants/constants.go")
echo "v$etcd" > etcd-version
[ -f "$here/etcd/v$etcd/go.mod" ] || "$here/pin-etcd.sh" "v$etcd"
echo "pinned $ver (etcd v$etcd) in $dir"
