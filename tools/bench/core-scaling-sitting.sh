#!/bin/bash
# Both engines' one-run scaling (1 core / 1 thread / 2 threads in alternating blocks of one process:
# tools/bench/core-scaling.ts and train-step-resnet18.py --core-scaling), the two engines alternating,
# PASSES times per network. One JSON object per line: {engine, model, pass, ...the tool's result}.
# usage: tools/bench/core-scaling-sitting.sh "resnet18 leadgroup densenet121 vgg16" PASSES ROUNDS BLOCK
cd "$(dirname "$0")/../.."
models="$1"; passes="$2"; rounds="$3"; block="$4"
for m in $models; do
  pm=$m; [ $m = vgg16 ] && pm=vgg16bn
  for p in $(seq 1 $passes); do
    npx tsx tools/bench/core-scaling.ts --model $m --rounds $rounds --block $block --json 2>/dev/null |
      python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({**d, 'sittingEngine': 'leadwise', 'network': '$m', 'pass': $p, 'start': '$(date -u +%T)'}))"
    /usr/bin/python3 tools/bench/train-step-resnet18.py --model $pm --core-scaling $rounds --block $block --json 2>/dev/null |
      python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({**d, 'sittingEngine': 'pytorch', 'network': '$m', 'pass': $p, 'start': '$(date -u +%T)'}))"
  done
done
