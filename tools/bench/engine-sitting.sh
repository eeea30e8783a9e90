#!/bin/bash
# The issue-14 sitting: Leadwise 1 thread, 2 threads direct, 2 threads queued, PyTorch 1 and 2 threads,
# and both engines' 1 thread with the whole process held to one core (taskset -c 0: V8's garbage
# collector and compiler threads, which use the idle second core in the 1-thread runs, share it),
# alternating per round, tab-separated (model, round, configuration, time, load, img/s, step ms, CPU ms).
# usage: tools/bench/engine-sitting.sh "resnet18 leadgroup" ROUNDS STEPS   (PyTorch: Debian python3-torch, /usr/bin/python3)
cd "$(dirname "$0")/../.."
models="$1"; rounds="$2"; steps="$3"
lw() { # threads queue model [taskset prefix...]
  local t=$1 q=$2 m=$3; shift 3
  LEADWISE_THREADS=$t LEADWISE_KERNEL_QUEUE=$q "$@" npx tsx tools/bench/train-throughput.ts --profile standard --models $m --input 128x160 --width 0.25 --steps $steps --warmup 2 --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin)[0]; print(d['trainImagesPerS'], d['trainStepMs'], d['trainCpuMsPerStep'], sep='\t')"
}
pt() { # threads model [taskset prefix...]
  local t=$1 m=$2; shift 2
  "$@" /usr/bin/python3 tools/bench/train-step-resnet18.py --model $m --threads $t --steps $steps --warmup 2 --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['trainImagesPerS'], d['medianStepMs'], d['medianStepCpuMs'], sep='\t')"
}
for m in $models; do
  pm=$m; [ $m = vgg16 ] && pm=vgg16bn
  for r in $(seq 1 $rounds); do
    echo -e "$m\tr$r\tleadwise-1t\t$(date -u +%T)\t$(cut -d' ' -f1 /proc/loadavg)\t$(lw 1 0 $m)"
    echo -e "$m\tr$r\tleadwise-2t\t$(date -u +%T)\t$(cut -d' ' -f1 /proc/loadavg)\t$(lw 2 0 $m)"
    echo -e "$m\tr$r\tleadwise-2t-queue\t$(date -u +%T)\t$(cut -d' ' -f1 /proc/loadavg)\t$(lw 2 1 $m)"
    echo -e "$m\tr$r\tpytorch-1t\t$(date -u +%T)\t$(cut -d' ' -f1 /proc/loadavg)\t$(pt 1 $pm)"
    echo -e "$m\tr$r\tpytorch-2t\t$(date -u +%T)\t$(cut -d' ' -f1 /proc/loadavg)\t$(pt 2 $pm)"
    echo -e "$m\tr$r\tleadwise-1core\t$(date -u +%T)\t$(cut -d' ' -f1 /proc/loadavg)\t$(lw 1 0 $m taskset -c 0)"
    echo -e "$m\tr$r\tpytorch-1core\t$(date -u +%T)\t$(cut -d' ' -f1 /proc/loadavg)\t$(pt 1 $pm taskset -c 0)"
  done
done
