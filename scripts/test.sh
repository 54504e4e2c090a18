#!/bin/bash
# The whole test suite, as the README and CI run it: set up (with test dependencies), lint, type-check,
# then every test inside a throwaway network namespace with no uplink (scripts/isolated.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-test-deps
echo "[test] lint and format" >&2
npm run --silent lint
echo "[test] type-check" >&2
npm run --silent typecheck
echo "[test] tests" >&2
scripts/isolated.sh npx vitest run "$@"
