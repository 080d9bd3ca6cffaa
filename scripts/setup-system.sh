#!/usr/bin/env bash
# Installs the Debian packages the project needs where they are missing (idempotent, quiet).
set -euo pipefail
# fonts-noto-core, fonts-urw-base35: the typefaces of the OCR scene benchmark (bench/ocr-scene)
# redis-tools: redis-cli and the server binary the tests start private Redis servers with (not the
# redis-server package, which would start a second Redis service beside the machine's own)
pkgs=(python3-torch python3-torchvision python3-onnx libopenblas0-pthread tesseract-ocr fonts-dejavu-core fonts-noto-core fonts-urw-base35 chromium redis-tools)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup-system: missing Debian packages ${missing[*]}; run as root: sudo bash scripts/setup-system.sh (or apt-get install them)" >&2; exit 1; fi
  echo "setup-system: installing ${missing[*]} with their dependencies (apt-get; one to four minutes)"
  apt-get update -qq
  # a line per 50 packages unpacked and set up, so a long install is seen to move
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" 2>&1 | awk '
    /^Unpacking / { u++; if (u % 50 == 0) printf "setup-system: %d packages unpacked\n", u }
    /^Setting up / { s++; if (s % 50 == 0) printf "setup-system: %d packages set up\n", s }
    /^E: / { print > "/dev/stderr" }
    END { printf "setup-system: %d packages set up\n", s }'
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "setup-system: apt-get install failed (above)" >&2; exit 1; }
fi
