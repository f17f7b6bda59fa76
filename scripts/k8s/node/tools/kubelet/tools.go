//go:build tools

// Package tools pins the node commands that scripts/k8s/node/build.sh builds (kubelet,
// kube-proxy), so `go mod tidy` keeps every module they need in go.mod/go.sum. Never compiled.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
