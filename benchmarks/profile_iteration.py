r"""Where a steady SAC minitaur iteration's time goes, in one process and per job.

Runs `train_eval --gin_file=sac_minitaur.gin` (the tutorial's agent: (256, 256),
batch 256, replay 10,000, one environment step and one train step per
iteration, evaluation off) with every process profiled by
`benchmarks/profile_hook.py`: the real objects' methods are wrapped, and each
moment of a process's main thread is charged to the innermost region running
(environment, policy, replay insert, train step, summaries and metrics,
triggers, weights, ... and the loop's rest). Each variant runs once, one after
the other: `--job=all` (collecting on a second thread, whose time is not
the main thread's: the thread line shows its CPU), `--job=all` collecting
and training in turn (`all (serial)`: the split of an iteration's work) and
`--collectors=1` by default.

  .venv/bin/python -m benchmarks.profile_iteration             # about 6 minutes
  .venv/bin/python -m benchmarks.profile_iteration --quick --no-write   # a look

Writes benchmarks/results/profile_iteration.md and .json.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
from typing import Dict, List

from benchmarks import actor_learner
from benchmarks import common
from benchmarks import profile_hook

RESULTS = os.path.join(common.RESULTS_DIR, 'profile_iteration')
SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'profile_site')
# The split, then what train_eval adds; anything else after them.
ORDER = ['environment', 'policy', 'replay insert', 'new items (waiting, taking)',
         'train step (with in-graph sample)', 'waiting for collection', 'summaries and metrics',
         'triggers', 'weights push', 'weights pull',
         'actor (driver, trajectories)', 'learner.run (rest)', 'console',
         profile_hook.REST]
FULL = dict(iterations=2000, initial_collect=2000, warmup=300)
QUICK = dict(iterations=600, initial_collect=500, warmup=150)
JOB_ORDER = ['all', 'train', 'collect-0', 'collect-1', 'replay']


def profile_variant(variant: str, params: Dict) -> Dict:
  """Runs `variant` profiled; returns run_variant's result plus 'jobs'."""
  with tempfile.TemporaryDirectory(prefix='profile_') as directory:
    result = actor_learner.run_variant(variant, params, extra_env={
        'PYTHONPATH': SITE_DIR, profile_hook.DIR_VARIABLE: directory,
        profile_hook.WARMUP_VARIABLE: str(params['warmup'])})
    jobs = {}
    for name in os.listdir(directory):
      if name.endswith('.json'):
        with open(os.path.join(directory, name)) as f:
          jobs[name[:-len('.json')]] = json.load(f)
  result['jobs'] = jobs
  return result


def ms(seconds: float, iterations: int) -> float:
  return 1000 * seconds / iterations


def job_table(name: str, job: Dict, cpu_ms_per_step: Dict[str, float]) -> List[str]:
  n = job['iterations']
  wall_total = ms(sum(job['wall_s'].values()), n)
  cpu_total = ms(sum(job['cpu_s'].values()), n)
  lines = [f'### {name}: {n} {job["iteration"]} iterations profiled, '
           f'{n / job["window_wall_s"]:.1f} it/s', '',
           '| region | wall ms/it | % wall | CPU ms/it | calls/it |',
           '|---|---|---|---|---|']
  regions = [r for r in ORDER if r in job['wall_s']] + sorted(
      set(job['wall_s']) - set(ORDER))
  for region in regions:
    wall = ms(job['wall_s'][region], n)
    calls = job['calls'].get(region)
    lines.append(f'| {region} | {wall:.2f} | {100 * wall / wall_total:.0f} % | '
                 f'{ms(job["cpu_s"].get(region, 0.0), n):.2f} | '
                 f'{"-" if calls is None else f"{calls / n:.2f}"} |')
  lines.append(f'| **total** | **{wall_total:.2f}** | 100 % | **{cpu_total:.2f}** | |')
  sample = job.get('sample_alone_ms')
  if sample:
    lines += ['', f'Sample alone (`next()` on this process\'s own dataset, '
              f'{profile_hook.SAMPLE_ALONE_BATCHES} batches after training, '
              f'serially): {sample["wall"]:.2f} ms wall, {sample["cpu"]:.2f} ms CPU '
              'per batch of 256. In the loop it runs on tf.data\'s threads, '
              'overlapped; the train step waits only for a prefetched batch.']
  threads = {k: ms(v, n) for k, v in job['thread_cpu_s'].items() if ms(v, n) >= 0.05}
  lines += ['', 'CPU by thread (ms/it): ' + ', '.join(
      f'{k} {v:.2f}' for k, v in sorted(threads.items(), key=lambda kv: -kv[1]))]
  if name in cpu_ms_per_step:
    lines.append(f'(psutil, whole process, per train step: {cpu_ms_per_step[name]:.2f} ms)')
  return lines + ['']


def report(params: Dict, results: Dict[str, Dict]) -> str:
  lines = ['# Where a SAC minitaur iteration goes', '',
           f'`python -m benchmarks.profile_iteration`, {params["date"]}, load '
           f'average at start {params["load_at_start"]}, at end '
           f'{common.load_average()}, commit {common.git_commit()}.', '',
           f'sac_minitaur.gin ((256, 256), batch 256, replay 10,000), '
           f'{params["initial_collect"]} random steps, {params["iterations"]} '
           f'iterations of 1 environment step + 1 train step, evaluation off; '
           f'the first {params["warmup"]} iterations of each process are not '
           'profiled.', '',
           'Wall: each moment of the main thread goes to the innermost region '
           'running (a region excludes the regions it calls), so the rows sum '
           'to the iteration. CPU: the whole process (every thread) while the '
           'region ran, so work on background threads (tf.data sampling, '
           "Reverb's server, TensorFlow's pools) is charged to whatever the "
           'main thread was doing; the thread line splits it by thread.', '',
           'Regions: environment = `PyEnvironment.step/reset`; policy = '
           '`PyPolicy.action` (the py/TF boundary included); replay insert = '
           "train_eval's `ExperienceWriter` (append, item, flush: a collector "
           "waiting for the rate limiter waits here) or the in-graph table's "
           "writer and `settle`; train step = the "
           "Learner's `tf.function` (the batch's dequeue or in-graph sample "
           "inside it); waiting for collection = the main thread waiting for "
           "the collection thread to finish the iteration's steps; "
           'summaries and metrics = the Actor\'s metric observers and summary '
           'writes; triggers = the Learner\'s triggers; actor = the Actor and '
           'its driver around those; learner.run (rest) = `Learner.run` and '
           '`Trainer.train` around the train step; loop (rest) = the train '
           "loop and everything not wrapped.", '']
  for variant, result in results.items():
    lines += [f'## `{variant}`: {result["iterations_per_s"]:.1f} it/s '
              f'(whole run, unprofiled measure: progress lines)', '']
    for name in sorted(result['jobs'], key=lambda j: (
        JOB_ORDER.index(j) if j in JOB_ORDER else len(JOB_ORDER), j)):
      lines += job_table(name, result['jobs'][name], result['cpu_ms_per_step'])
    others = {job: cpu for job, cpu in result['cpu_ms_per_step'].items()
              if job not in result['jobs']}
    if others:
      lines += ['Unprofiled processes, CPU per train step (psutil): ' + ', '.join(
          f'{job} {cpu:.2f} ms' for job, cpu in sorted(others.items())), '']
  return '\n'.join(lines)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--variants', default='all,all (serial),collectors=1')
  parser.add_argument('--quick', action='store_true',
                      help='600 iterations after 500 random steps, 150 not profiled')
  parser.add_argument('--iterations', type=int)
  parser.add_argument('--initial_collect', type=int)
  parser.add_argument('--warmup', type=int,
                      help='iterations of each process not profiled')
  parser.add_argument('--write', action=argparse.BooleanOptionalAction, default=True)
  args = parser.parse_args(argv)
  sizes = QUICK if args.quick else FULL
  params = dict(iterations=args.iterations or sizes['iterations'],
                initial_collect=args.initial_collect or sizes['initial_collect'],
                warmup=args.warmup or sizes['warmup'], log_interval=100,
                load_at_start=common.load_average(),
                date=datetime.datetime.now(datetime.timezone.utc).isoformat(
                    timespec='seconds'))
  results = {}
  for variant in args.variants.split(','):
    print(f'Profiling {variant}', flush=True)
    results[variant] = profile_variant(variant, params)
  markdown = report(params, results)
  print(markdown)
  if args.write:
    common.write_results(RESULTS, markdown, {'params': params, 'results': results})
  return 0


if __name__ == '__main__':
  sys.exit(main())
