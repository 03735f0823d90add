r"""Side-by-side benchmarks: our triggers and train_eval vs tf_agents'.

  .venv/bin/python -m benchmarks.run            # full, about 12-20 min on 2 cores
  .venv/bin/python -m benchmarks.run --quick    # under 3 min

Prints the table and writes benchmarks/results/latest.md and latest.json (and,
in full mode or with --profile, results/profile.md). `--render` rewrites the
markdown from latest.json without measuring. Every measure runs ours
and tf_agents' alternately; see report.METHOD. No timing is asserted anywhere.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

from benchmarks import common

QUICK = dict(
    mode='quick', idle_repeats=5, idle_calls=50000, loop_cycles=500,
    loop_chunk=50, sync_repeats=10, disk_mib=64, async_intervals=(1, 10),
    async_rounds=2, async_steps=30, profile_fires=0, construct_repeats=3,
    e2e_repeats=1, e2e_iterations=400, e2e_initial_collect=300, e2e_log=50,
    profile=False, profile_warmup=50, profile_iterations=100)
FULL = dict(
    mode='full', idle_repeats=15, idle_calls=200000, loop_cycles=2000,
    loop_chunk=100, sync_repeats=40, disk_mib=256, async_intervals=(1, 10),
    async_rounds=6, async_steps=60, profile_fires=30, construct_repeats=7,
    e2e_repeats=5, e2e_iterations=1500, e2e_initial_collect=500, e2e_log=100,
    profile=True, profile_warmup=100, profile_iterations=300)


def log(message: str) -> None:
  print(message, flush=True)


def run_profiles(params):
  results = {}
  with tempfile.TemporaryDirectory(prefix='gin_triggers_profile_') as tmp:
    for which in ('ours', 'theirs'):
      out = os.path.join(tmp, f'{which}.json')
      env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2',
                 PYTHONPATH=common.REPO_ROOT + os.pathsep +
                 os.environ.get('PYTHONPATH', ''))
      proc = subprocess.run(
          [sys.executable, '-m', 'benchmarks.profile_loop',
           f'--which={which}', f'--warmup={params["profile_warmup"]}',
           f'--iterations={params["profile_iterations"]}', f'--out={out}'],
          cwd=common.REPO_ROOT, env=env, capture_output=True, text=True,
          timeout=900)
      if proc.returncode != 0:
        raise RuntimeError(f'profile {which} failed:\n'
                           + (proc.stdout + proc.stderr)[-4000:])
      import json  # pylint: disable=g-import-not-at-top
      with open(out) as f:
        results[which] = json.load(f)
      b = results[which]['breakdown_ms_per_iteration']
      log(f'  profile {which}: ' + ', '.join(
          f'{k} {v:.2f} ms' for k, v in b.items()))
  return results


def notes_for(results, table):
  notes = []
  for row in table:
    if row[5].startswith('**no**'):
      notes.append(f'Target not met: {row[0]} (ours {row[1]}, tf_agents '
                   f'{row[2]}, {row[3]}; target {row[4]}).')
  profile = results.get('profile')
  if profile:
    parts = []
    for which in ('ours', 'theirs'):
      b = profile[which]['breakdown_ms_per_iteration']
      parts.append(f'{which}: iteration {b["iteration (wall)"]:.1f} ms = '
                   f'collect {b["collect: Actor.run"]:.1f} + train '
                   f'{b["train: Learner.run minus triggers"]:.1f} + triggers '
                   f'{b["triggers (all, inside Learner.run)"]:.3f} + rest '
                   f'{b["loop bookkeeping (rest)"]:.2f}')
    notes.append('Profile (profile.md), ms per loop iteration: '
                 + '; '.join(parts) + '.')
  return notes


def write_outputs(info, params, results):
  """latest.md and latest.json (and profile.md if profiled); returns the table and notes."""
  from benchmarks import report  # pylint: disable=g-import-not-at-top
  table = report.rows(results)
  notes = notes_for(results, table)
  os.makedirs(common.RESULTS_DIR, exist_ok=True)
  with open(os.path.join(common.RESULTS_DIR, 'latest.md'), 'w') as f:
    f.write(report.latest_markdown(info, params, results, table, notes))
  common.write_json(os.path.join(common.RESULTS_DIR, 'latest.json'), {
      'machine': info, 'params': params, 'results': results,
      'table': [dict(zip(report.HEADER, row)) for row in table],
      'notes': notes})
  if results.get('profile'):
    with open(os.path.join(common.RESULTS_DIR, 'profile.md'), 'w') as f:
      f.write(report.profile_markdown(info, results['profile']['ours'],
                                      results['profile']['theirs']))
  return table, notes


def render() -> int:
  """Rewrites the markdown (and latest.json's table) from latest.json."""
  import json  # pylint: disable=g-import-not-at-top
  from benchmarks import report  # pylint: disable=g-import-not-at-top
  with open(os.path.join(common.RESULTS_DIR, 'latest.json')) as f:
    saved = json.load(f)
  table, _ = write_outputs(saved['machine'], saved['params'],
                           saved['results'])
  log(report.text_table(table))
  return 0


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help='fewer repeats and iterations (under 3 minutes)')
  parser.add_argument('--profile', action='store_true',
                      help='also write results/profile.md in --quick mode')
  parser.add_argument('--render', action='store_true',
                      help='measure nothing: rewrite latest.md (and '
                      'profile.md) from results/latest.json')
  parser.add_argument('--skip', action='append', default=[],
                      choices=['idle', 'loop', 'sync', 'async', 'construct',
                               'e2e', 'profile'],
                      help='leave a measure out (repeatable; for debugging)')
  args = parser.parse_args(argv)
  if args.render:
    return render()
  params = dict(QUICK if args.quick else FULL)
  if args.profile:
    params['profile'] = True
  skip = set(args.skip)
  start = time.perf_counter()
  common.quiet_tensorflow()
  from absl import logging  # pylint: disable=g-import-not-at-top
  logging.set_verbosity(logging.WARNING)
  from benchmarks import end_to_end  # pylint: disable=g-import-not-at-top
  from benchmarks import micro  # pylint: disable=g-import-not-at-top
  from benchmarks import report  # pylint: disable=g-import-not-at-top

  info = common.machine_info()
  log(f'benchmarks ({params["mode"]}): {info["cores"]} cores, '
      f'{info["cpu_model"]}, load {info["load_average_at_start"]}')
  results = {}
  log('setup: tutorial SAC minitaur agent')
  setup = common.make_setup()
  loop = micro.TrainLoop(setup)

  if 'idle' not in skip:
    log('1. idle trigger call')
    results['idle_call'] = micro.idle_call(
        setup, params['idle_repeats'], params['idle_calls'], log=log)
  if 'loop' not in skip:
    log('1. train loop with / without trigger')
    results['loop'] = micro.loop_throughput(
        setup, loop, params['loop_cycles'], params['loop_chunk'], log=log)
  if 'sync' not in skip:
    log('3. synchronous save')
    results['sync_save'] = micro.sync_save(
        setup, params['sync_repeats'], params['disk_mib'],
        profile_fires=params['profile_fires'], log=log)
  if 'async' not in skip:
    log('4. async saving')
    results['async'] = micro.async_saving(
        setup, loop, params['async_intervals'], params['async_rounds'],
        params['async_steps'], profile_fires=params['profile_fires'], log=log)
  if 'construct' not in skip:
    log('2. construction')
    results['construction'] = micro.construction(
        setup, params['construct_repeats'], log=log)
  setup.env.close()
  if 'e2e' not in skip:
    log('5. end to end (subprocesses)')
    results['end_to_end'] = end_to_end.measure(
        params['e2e_repeats'], params['e2e_iterations'],
        params['e2e_initial_collect'], params['e2e_log'], log=log)
  if params['profile'] and 'profile' not in skip:
    log('profile of one loop iteration (subprocesses)')
    results['profile'] = run_profiles(params)

  results['elapsed_s'] = time.perf_counter() - start
  try:
    info['load_average_at_end'] = os.getloadavg()
  except OSError:
    pass
  table, notes = write_outputs(info, params, results)
  log('')
  log(report.text_table(table))
  for note in notes:
    log(f'note: {note}')
  log(f'\nwrote {os.path.relpath(common.RESULTS_DIR, os.getcwd())}/latest.md '
      f'and latest.json in {results["elapsed_s"] / 60:.1f} min'
      + (' (and profile.md)' if results.get('profile') else ''))
  return 0


if __name__ == '__main__':
  sys.exit(main())
