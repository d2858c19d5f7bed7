#!/usr/bin/env bash
# GPU checks, run whenever a CUDA machine is at hand (never by tests or CI); fits in 8 minutes on one H100:
#   bash benchmarks/gpu.sh [OUT]      (OUT default: runs/gpu; ../shared/data beside the repository)
# 1. benchmarks/classifier.py and benchmarks/gan.py on CUDA: samples/s at full width, fp32 / channels-last / bf16;
# 2. one EmoDB fold of the paper preset (full-width VGG19 and GANs) with the improved GAN, Table 2 with sadness
#    reduced: imbalanced and gan_texture, seed 1. Paste the printed tables into docs/benchmarks.md with the card.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/gpu}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/card.txt"
timeout 120 python benchmarks/classifier.py --device cuda 2>&1 | tee "$OUT/classifier.txt"
timeout 120 python benchmarks/gan.py --device cuda 2>&1 | tee "$OUT/gan.txt"
timeout 300 seraug experiment --corpus emodb --root ../shared/data/emodb --protocol table2 --reduce sadness \
    --folds groups --n-groups 5 --max-folds 1 --preset paper --strategies imbalanced,gan_texture --seeds 1 \
    --device cuda --out "$OUT/paper-fold1" 2>&1 | tail -n 40 | tee "$OUT/paper-fold1.txt"
echo "wrote $OUT: card.txt, classifier.txt, gan.txt, paper-fold1.txt (re-run to resume the fold if cut off)"
