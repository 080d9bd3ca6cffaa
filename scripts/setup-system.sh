#!/usr/bin/env bash
# Installs the Debian packages the project needs where they are missing (idempotent, quiet).
set -euo pipefail
pkgs=(python3-torch python3-torchvision python3-onnx libopenblas0-pthread tesseract-ocr fonts-dejavu-core chromium)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup-system: missing Debian packages ${missing[*]}; run as root: sudo bash scripts/setup-system.sh (or apt-get install them)" >&2; exit 1; fi
  echo "setup-system: installing ${missing[*]} (apt-get; a minute or more)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
