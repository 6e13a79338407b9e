# Sourced by scripts/main and scripts/test: makes .venv (once) and activates it.
# A python that already has torch and triton (a GPU image) is reused through
# --system-site-packages; otherwise the pinned CPU build of torch is installed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv --system-site-packages .venv
fi
# shellcheck disable=SC1091
source .venv/bin/activate
pip_install() { python -m pip install -q --disable-pip-version-check "$@"; }
if ! python -c "import torch, triton" 2>/dev/null; then
    # torch first, pinned: a bare 'torch' requirement could pull a multi-GB CUDA build.
    pip_install "torch==2.13.0"
    pip_install "triton==3.6.0"
fi
need=()
# Triton's interpreter (the CPU path of the kernels) needs numpy < 2.3.
python - <<'PY' 2>/dev/null || need+=("numpy<2.3")
import torch
if not torch.cuda.is_available():
    import numpy
    assert tuple(int(x) for x in numpy.__version__.split(".")[:2]) < (2, 3)
PY
for extra in "$@"; do
    case "$extra" in
        test) python -c "import pytest, hypothesis" 2>/dev/null || need+=("pytest>=8" "hypothesis>=6.100")
              # optional dependency of the library; its integration tests need it
              python -c "import transformers" 2>/dev/null || need+=("transformers==5.24.0") ;;
    esac
done
if [ ${#need[@]} -gt 0 ]; then pip_install "${need[@]}"; fi
export PYTHONPATH="$root/src${PYTHONPATH:+:$PYTHONPATH}"
