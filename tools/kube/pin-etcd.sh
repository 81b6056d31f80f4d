#!/usr/bin/env bash
# Writes tools/kube/etcd/vA.B.C/go.mod and go.sum: a module of our own that builds etcd and
# etcdctl at that release from the Go module proxy. A module apart from Kubernetes', so
# that minimal version selection never mixes the two dependency graphs.
set -euo pipefail
ver=${1:?usage: pin-etcd.sh vA.B.C}
here=$(cd "$(dirname "$0")" && pwd)
dir=$here/etcd/$ver
mkdir -p "$dir"
cd "$dir"
rm -f go.mod go.sum
go mod init clusterd.local/etcd >/dev/null 2>&1
go mod edit -require "go.etcd.io/etcd/server/v3@$ver" -require "go.etcd.io/etcd/etcdctl/v3@$ver"
go mod edit -tool go.etcd.io/etcd/server/v3 -tool go.etcd.io/etcd/etcdctl/v3
upstream_mod=$(go mod download -json "go.etcd.io/etcd/server/v3@$ver" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
go mod edit -go "$(awk '$1=="go"{print $2; exit}' "$upstream_mod")"
go mod tidy
echo "pinned etcd $ver in $dir"
