#!/usr/bin/env bash
# The Quick start's set-up: the Debian packages the training step and the tests need (as root; a
# clear line naming the command when not), then the npm packages. Idempotent: a second run installs
# nothing. The README's first command is `bash scripts/setup.sh && npm run demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "setup: Debian packages (python3-torch, python3-onnx, OpenBLAS, tesseract, chromium, fonts, redis-tools)"
bash scripts/setup-system.sh
echo "setup: npm packages (npm ci)"
# onnxruntime-node's install script would fetch CUDA files from outside the npm registry
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
