#!/bin/bash
# CPU and wall of the same 2 tiny runs by hand and by `sweep run --parallel=1` (CPU is less load-bound than wall).
set -u
REPO=/work/wt/sweep
V=$REPO/.venv/bin
GIN=$REPO/tests/testdata/tiny_sac_pendulum.gin
B1='train_eval.num_iterations = 20'; B2='train_eval.eval_interval = 10'
OUT=/tmp/swo/results2.txt; : > $OUT
D=/tmp/swo/hand3; rm -rf $D
echo "load before hand: $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT
/usr/bin/time -f "hand: %e s wall, %U s user, %S s sys for 2 runs" -a -o $OUT bash -c "
  for lr in 0.001 0.0003; do
    $V/train_eval --gin_file=$GIN --root_dir=$D/lr\$lr --gin_bindings='$B1' --gin_bindings='$B2' --gin_bindings=\"sac_agent.actor_learning_rate = \$lr\" --gin_bindings='train_eval.seed = 0' > /dev/null 2>&1
  done"
D=/tmp/swo/sweep3; rm -rf $D
echo "load before sweep: $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT
/usr/bin/time -f "sweep: %e s wall, %U s user, %S s sys for 2 runs" -a -o $OUT $V/sweep run --gin_file=$GIN --root_dir=$D --gin_bindings="$B1" --gin_bindings="$B2" --grid='sac_agent.actor_learning_rate = [1e-3, 3e-4]' --parallel=1 > /tmp/swo/sweep3.out 2>&1
/usr/bin/time -f "sweep re-run (nothing to do): %e s wall, %U s user, %S s sys" -a -o $OUT $V/sweep run --gin_file=$GIN --root_dir=$D --gin_bindings="$B1" --gin_bindings="$B2" --grid='sac_agent.actor_learning_rate = [1e-3, 3e-4]' --parallel=1 > /tmp/swo/rerun3.out 2>&1
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> $OUT
