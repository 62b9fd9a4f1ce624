#!/usr/bin/env bash
# Install the EDA tools the generator drives (Debian packages), when they are missing:
#   verilator (lint + fast simulation), iverilog (second simulator), yosys (synthesis),
#   nextpnr-ice40 + fpga-icestorm (iCE40 place and route, bitstreams).
# Safe to run again: it does nothing when every tool is present.
set -euo pipefail

declare -A PKG_OF=(
  [verilator]=verilator
  [iverilog]=iverilog
  [yosys]=yosys
  [nextpnr-ice40]=nextpnr-ice40
  [icepack]=fpga-icestorm
)

missing=()
for tool in "${!PKG_OF[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PKG_OF[$tool]}")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-eda: all EDA tools present ($(verilator --version | head -1); $(iverilog -V 2>/dev/null | head -1 | cut -d' ' -f1-4); $(yosys -V))"
  exit 0
fi

# shellcheck disable=SC2207
missing=($(printf '%s\n' "${missing[@]}" | sort -u))
echo "setup-eda: installing ${missing[*]}"

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-eda: apt-get not found. This script supports Debian/Ubuntu only." >&2
  echo "  Install these packages with your system's package manager: ${missing[*]}" >&2
  echo "  (Verilator 5.x, Icarus Verilog 11+, Yosys 0.23+, nextpnr-ice40, icestorm)" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "setup-eda: not root and no sudo. Run as root:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-eda: done ($(verilator --version | head -1); $(yosys -V))"
