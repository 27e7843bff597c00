#!/usr/bin/env bash
# The Rust toolchain for a machine that has none: rustup's minimal profile (cargo, rustc,
# the standard library) into ~/.cargo and ~/.rustup, non-interactively; and the C linker
# rustc needs on Linux (gcc, from Debian/Ubuntu's packages, when root or sudo allows).
# Called by `make rust` (so by every target that compiles) only when something is missing.
set -euo pipefail
export PATH="$PATH:$HOME/.cargo/bin"

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: installing the Rust toolchain with rustup (minimal profile)"
  if ! command -v curl >/dev/null 2>&1; then
    echo "curl is needed to download rustup: install curl, or Rust from https://rustup.rs" >&2
    exit 1
  fi
  curl --proto '=https' --tlsv1.2 https://sh.rustup.rs -sSf | sh -s -- -y --profile minimal
  "$HOME/.cargo/bin/cargo" --version
fi

if ! command -v cc >/dev/null 2>&1; then
  echo "no C compiler (cc): rustc needs one as its linker"
  if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install gcc (Debian/Ubuntu: apt-get install gcc libc6-dev) and run make again" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install gcc with your system's package manager and run make again" >&2
    exit 1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq gcc libc6-dev >/dev/null
fi
