//go:build tools

// Package tools pins the commands scripts/prometheus/build.sh builds, so `go mod tidy` keeps every
// module they need in go.mod/go.sum. It is never compiled.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
