#!/bin/bash
# Sweep overhead: the same 2 tiny runs, one at a time, by hand and by `sweep run --parallel=1`, interleaved.
set -u
REPO=/work/wt/sweep
V=$REPO/.venv/bin
GIN=$REPO/tests/testdata/tiny_sac_pendulum.gin
B1='train_eval.num_iterations = 20'; B2='train_eval.eval_interval = 10'
OUT=/tmp/swo/results.txt; : > $OUT
for rep in 1 2; do
  D=/tmp/swo/hand$rep; rm -rf $D
  echo "load before hand $rep: $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT
  t0=$(date +%s.%N)
  for lr in 0.001 0.0003; do
    $V/train_eval --gin_file=$GIN --root_dir=$D/lr$lr --gin_bindings="$B1" --gin_bindings="$B2" --gin_bindings="sac_agent.actor_learning_rate = $lr" --gin_bindings="train_eval.seed = 0" > /dev/null 2>&1
  done
  t1=$(date +%s.%N); echo "hand $rep: $(echo "$t1 - $t0" | bc) s for 2 runs" >> $OUT
  D=/tmp/swo/sweep$rep; rm -rf $D
  echo "load before sweep $rep: $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT
  t0=$(date +%s.%N)
  $V/sweep run --gin_file=$GIN --root_dir=$D --gin_bindings="$B1" --gin_bindings="$B2" --grid='sac_agent.actor_learning_rate = [1e-3, 3e-4]' --parallel=1 > /tmp/swo/sweep$rep.out 2>&1; rc=$?
  t1=$(date +%s.%N); echo "sweep $rep: $(echo "$t1 - $t0" | bc) s for 2 runs (exit $rc)" >> $OUT
  t0=$(date +%s.%N)
  $V/sweep run --gin_file=$GIN --root_dir=$D --gin_bindings="$B1" --gin_bindings="$B2" --grid='sac_agent.actor_learning_rate = [1e-3, 3e-4]' --parallel=1 > /tmp/swo/rerun$rep.out 2>&1; rc=$?
  t1=$(date +%s.%N); echo "sweep re-run $rep (nothing to do): $(echo "$t1 - $t0" | bc) s (exit $rc)" >> $OUT
done
