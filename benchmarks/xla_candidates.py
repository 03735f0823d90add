r"""Would XLA (`jit_compile`) speed up SAC minitaur's train step or policy action?

Same process, same agent (the tutorial's, `common.make_setup`), alternating
rounds: the SAC train step on one in-memory batch of 256 as the Learner
compiles it (`tf.function(agent.train)`) against `jit_compile=True`, and the
collect policy's action on a real MinitaurBulletEnv time step through
`PyTFEagerPolicy` (`tf.function(policy.action)`) against `jit_compile=True`.
Wall and process CPU per call, medians over rounds; the TF threads are
train_eval's default (1 intra-op, 1 inter-op).

  .venv/bin/python -m benchmarks.xla_candidates    # about 2 minutes

Writes benchmarks/results/xla_candidates.md and .json.
"""

import argparse
import datetime
import os
import statistics
import sys
import time

from benchmarks import common

RESULTS = os.path.join(common.RESULTS_DIR, 'xla_candidates')


def per_call(fn, calls: int):
  """(wall ms, CPU ms) per call of `fn` over `calls` calls."""
  wall, cpu = time.perf_counter(), time.process_time()
  for _ in range(calls):
    fn()
  return (1000 * (time.perf_counter() - wall) / calls,
          1000 * (time.process_time() - cpu) / calls)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--rounds', type=int, default=5)
  parser.add_argument('--train_calls', type=int, default=100)
  parser.add_argument('--action_calls', type=int, default=300)
  parser.add_argument('--write', action=argparse.BooleanOptionalAction, default=True)
  args = parser.parse_args(argv)
  common.quiet_tensorflow()
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.policies import py_tf_eager_policy  # pylint: disable=g-import-not-at-top
  tf.config.threading.set_intra_op_parallelism_threads(1)
  tf.config.threading.set_inter_op_parallelism_threads(1)
  load_at_start = common.load_average()
  setup = common.make_setup()
  agent = setup.agent
  experience = next(iter(common.in_memory_dataset(agent)))
  train = {'tf.function': tf.function(agent.train),
           'jit_compile': tf.function(agent.train, jit_compile=True)}
  policy = py_tf_eager_policy.PyTFEagerPolicy(agent.collect_policy,
                                              use_tf_function=True)
  xla_policy = py_tf_eager_policy.PyTFEagerPolicy(agent.collect_policy,
                                                  use_tf_function=True)
  xla_policy._policy_action_fn = tf.function(  # pylint: disable=protected-access
      agent.collect_policy.action, jit_compile=True)
  time_step = setup.env.reset()
  action = {'tf.function': lambda: policy.action(time_step),
            'jit_compile': lambda: xla_policy.action(time_step)}
  measures = {'SAC train step (batch 256)': (
      {k: (lambda f=f: f(experience).loss.numpy()) for k, f in train.items()},
      args.train_calls),
              'collect policy action (PyTFEagerPolicy)': (action, args.action_calls)}
  samples = {m: {k: [] for k in fns} for m, (fns, _) in measures.items()}
  for name, (fns, calls) in measures.items():
    for fn in fns.values():  # Traces and compiles.
      for _ in range(5):
        fn()
  for round_index in range(args.rounds):
    for name, (fns, calls) in measures.items():
      order = list(fns) if round_index % 2 == 0 else list(fns)[::-1]
      for key in order:
        samples[name][key].append(per_call(fns[key], calls))
    print(f'round {round_index + 1}/{args.rounds}', flush=True)
  lines = ['# XLA candidates: SAC minitaur train step and policy action', '',
           f'`python -m benchmarks.xla_candidates`, '
           f'{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}, '
           f'load average at start {load_at_start}, at end {common.load_average()}, '
           f'commit {common.git_commit()}; {args.rounds} rounds, order alternating; '
           'medians.', '',
           '| measure | tf.function wall ms | jit_compile wall ms | × (wall) | '
           'tf.function CPU ms | jit_compile CPU ms | × (CPU) |',
           '|---|---|---|---|---|---|---|']
  table = {}
  for name, by_key in samples.items():
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in by_key.items()}
    table[name] = med
    (pw, pc), (xw, xc) = med['tf.function'], med['jit_compile']
    lines.append(f'| {name} | {pw:.2f} | {xw:.2f} | {xw / pw:.2f} | {pc:.2f} | '
                 f'{xc:.2f} | {xc / pc:.2f} |')
  markdown = '\n'.join(lines) + '\n'
  print(markdown)
  if args.write:
    common.write_results(RESULTS, markdown, {'medians_ms': table, 'samples_ms': samples})
  return 0


if __name__ == '__main__':
  sys.exit(main())
