#!/usr/bin/env bash
# Checks .goreleaser.yaml with goreleaser at a pinned version, built from the
# Go module proxy (the first run takes a few minutes; later runs use the
# build cache). Usage: scripts/release-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GORELEASER_VERSION=v2.15.1
bin="$(go env GOPATH)/bin/goreleaser"
if ! "$bin" --version 2>/dev/null | grep -q "${GORELEASER_VERSION#v}"; then
  echo "release-check: installing goreleaser $GORELEASER_VERSION"
  GOFLAGS=-mod=mod go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
fi
"$bin" check
