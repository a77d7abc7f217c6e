#!/usr/bin/env bash
# Installs ccctl with its test extras, plus what real-service tests need from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e '.[test]'
