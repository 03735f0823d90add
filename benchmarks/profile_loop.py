r"""Where the time of one tutorial-loop iteration goes: collect vs train vs triggers.

Runs one loop in this process (ours: `train_eval.experiment.train_eval` on
sac_minitaur.gin; theirs: `benchmarks.tf_agents_loop`), with timers wrapped
around, at class level and in this process only:

  tf_agents.train.actor.Actor.run          the collect step (1 env step)
  tf_agents.train.learner.Learner.run      the train step, including ...
  IntervalTrigger.__call__ (ours and tf_agents', so every Learner trigger,
                            including the Learner's own checkpoint trigger)

An iteration runs from the end of one `Learner.run` to the end of the next.
After `warmup` iterations, `iterations` are timed, then `iterations` more run
under cProfile (main thread only). Writes a JSON file that `benchmarks.run`
turns into results/profile.md.

  python -m benchmarks.profile_loop --which=ours --out=/tmp/p.json
"""

import argparse
import cProfile
import json
import os
import pstats
import sys
import time

from benchmarks import common


class Instrument:
  """Class-level timing wrappers; counts iterations by `Learner.run` calls."""

  def __init__(self, warmup: int, iterations: int):
    self.warmup = warmup
    self.iterations = iterations
    self.learner_runs = 0
    self.timing = False
    self.totals = {}
    self.calls = {}
    self.phase_start = None
    self.phase_seconds = None
    self.profiler = cProfile.Profile()
    self.profiled_iterations = 0

  def _add(self, name, seconds):
    if self.timing:
      self.totals[name] = self.totals.get(name, 0.0) + seconds
      self.calls[name] = self.calls.get(name, 0) + 1

  def _wrap(self, cls, attr, name_fn):
    original = getattr(cls, attr)
    instrument = self

    def wrapper(obj, *args, **kwargs):
      start = time.perf_counter()
      try:
        return original(obj, *args, **kwargs)
      finally:
        instrument._add(name_fn(obj), time.perf_counter() - start)

    setattr(cls, attr, wrapper)

  def install(self):
    from tf_agents.train import actor  # pylint: disable=g-import-not-at-top
    from tf_agents.train import interval_trigger as tfa_interval  # pylint: disable=g-import-not-at-top
    from tf_agents.train import learner  # pylint: disable=g-import-not-at-top
    from triggers import interval_trigger as our_interval  # pylint: disable=g-import-not-at-top

    def trigger_name(obj):
      cls = type(obj)
      owner = 'ours' if cls.__module__.startswith('triggers') else 'tf_agents'
      name = cls.__name__
      if cls is tfa_interval.IntervalTrigger:
        name = 'IntervalTrigger (Learner checkpoint)'
      return f'trigger: {owner} {name}'

    self._wrap(actor.Actor, 'run', lambda obj: 'collect: Actor.run')
    self._wrap(our_interval.IntervalTrigger, '__call__', trigger_name)
    self._wrap(tfa_interval.IntervalTrigger, '__call__', trigger_name)

    original_run = learner.Learner.run
    instrument = self

    def learner_run(obj, *args, **kwargs):
      start = time.perf_counter()
      result = original_run(obj, *args, **kwargs)
      instrument._add('train: Learner.run (incl. triggers)',
                      time.perf_counter() - start)
      instrument._after_learner_run()
      return result

    learner.Learner.run = learner_run

  def _after_learner_run(self):
    self.learner_runs += 1
    n = self.learner_runs
    if n == self.warmup:
      self.timing = True
      self.phase_start = time.perf_counter()
    elif n == self.warmup + self.iterations:
      self.phase_seconds = time.perf_counter() - self.phase_start
      self.timing = False
      self.profiler.enable()
    elif n == self.warmup + 2 * self.iterations:
      self.profiler.disable()
      self.profiled_iterations = self.iterations

  def result(self):
    k = self.iterations
    per_iter_ms = {name: 1000 * total / k for name, total in self.totals.items()}
    trigger_ms = sum(v for n, v in per_iter_ms.items()
                     if n.startswith('trigger:'))
    learner_ms = per_iter_ms.get('train: Learner.run (incl. triggers)', 0.0)
    collect_ms = per_iter_ms.get('collect: Actor.run', 0.0)
    iteration_ms = 1000 * self.phase_seconds / k
    breakdown = {
        'iteration (wall)': iteration_ms,
        'collect: Actor.run': collect_ms,
        'train: Learner.run minus triggers': learner_ms - trigger_ms,
        'triggers (all, inside Learner.run)': trigger_ms,
        'loop bookkeeping (rest)': iteration_ms - collect_ms - learner_ms,
    }
    return {
        'iterations_timed': k,
        'breakdown_ms_per_iteration': breakdown,
        'timers_ms_per_iteration': per_iter_ms,
        'calls': self.calls,
        'profile': _top_functions(self.profiler, self.profiled_iterations),
    }


def _top_functions(profiler, iterations, n=15):
  stats = pstats.Stats(profiler)
  rows = []
  for (filename, line, func), (cc, nc, tt, ct, _) in stats.stats.items():
    short = filename
    for marker in ('site-packages/', '/work/main/'):
      if marker in short:
        short = short.split(marker, 1)[1]
    rows.append({'function': f'{short}:{line}({func})', 'ncalls': nc,
                 'tottime_ms_per_iter': 1000 * tt / max(iterations, 1),
                 'cumtime_ms_per_iter': 1000 * ct / max(iterations, 1)})
  by_tot = sorted(rows, key=lambda r: -r['tottime_ms_per_iter'])[:n]
  by_cum = sorted(rows, key=lambda r: -r['cumtime_ms_per_iter'])[:n]
  for r in by_tot + by_cum:
    r['ncalls_per_iter'] = r['ncalls'] / max(iterations, 1)
  return {'iterations': iterations, 'by_tottime': by_tot, 'by_cumtime': by_cum}


def run_ours(root_dir, total_iterations, initial_collect):
  from train_eval import agents  # pylint: disable=g-import-not-at-top,unused-import
  from train_eval import experiment  # pylint: disable=g-import-not-at-top
  from train_eval import gin_config  # pylint: disable=g-import-not-at-top
  gin_config.parse(['sac_minitaur.gin'], [
      f'train_eval.num_iterations = {total_iterations}',
      'train_eval.eval_interval = 0',
      f'train_eval.initial_collect_steps = {initial_collect}',
      'train_eval.log_interval = 0',
  ])
  experiment.train_eval(root_dir)
  # What ours' PolicySavedModelTrigger pays per save for the manifest's gin
  # hash, with train_eval's gin state (sac_minitaur.gin parsed, loop run).
  import gin  # pylint: disable=g-import-not-at-top
  series = common.Series()
  for _ in range(20):
    start = time.perf_counter()
    text = gin.operative_config_str()
    series.add(1000 * (time.perf_counter() - start))
  return {'gin_operative_config_str_ms': series.summary(),
          'gin_operative_config_lines': len(text.splitlines())}


def run_theirs(root_dir, total_iterations, initial_collect):
  from benchmarks import tf_agents_loop  # pylint: disable=g-import-not-at-top
  loop, close = tf_agents_loop.build(root_dir, initial_collect)
  try:
    loop(total_iterations, 0)
  finally:
    close()


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--which', choices=['ours', 'theirs'], required=True)
  parser.add_argument('--warmup', type=int, default=100)
  parser.add_argument('--iterations', type=int, default=300)
  parser.add_argument('--initial_collect_steps', type=int, default=500)
  parser.add_argument('--out', required=True)
  args = parser.parse_args()
  common.quiet_tensorflow()
  from absl import logging  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.WARNING)
  instrument = Instrument(args.warmup, args.iterations)
  instrument.install()
  total = args.warmup + 2 * args.iterations + 1
  with common.scratch_dir(f'profile_{args.which}') as root:
    run = run_ours if args.which == 'ours' else run_theirs
    extra = run(os.path.join(root, 'run'), total, args.initial_collect_steps)
  result = instrument.result()
  result.update(extra or {})
  result['which'] = args.which
  result['warmup'] = args.warmup
  common.write_json(args.out, result)


if __name__ == '__main__':
  sys.exit(main())
