//go:build tools

// Package tools pins the command that build-tools.sh builds, so `go mod tidy` keeps
// every module it needs in go.mod/go.sum. It is never compiled.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
