#!/usr/bin/env bash
# The project's test command (README): unit, property, golden-frame, CLI and end-to-end tests,
# then the interop scripts. Runs the same locally and in CI (`.ci/run`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== cargo test --workspace"
cargo test --workspace

# ---------------------------------------------------------------------------------------------
# Interop scripts (third-party MAVLink clients against the running bridge + simulator).
# The list is fixed on purpose: add a script here when it is ready, e.g.
#   INTEROP_SCRIPTS=(scripts/interop-pymavlink.sh scripts/interop-mavsdk.sh)
# They run one after the other; a missing or failing script fails the run.
# ---------------------------------------------------------------------------------------------
INTEROP_SCRIPTS=(scripts/interop-siyi-sdk.sh scripts/interop-mavlink.sh)

for script in "${INTEROP_SCRIPTS[@]+"${INTEROP_SCRIPTS[@]}"}"; do
  if [[ -f "${script}" ]]; then
    echo "== interop: ${script}"
    bash "${script}" </dev/null
  else
    echo "ERROR: interop script ${script} is listed but missing" >&2
    exit 1
  fi
done

echo "== all tests passed"
