r"""SAC minitaur in one process and split into jobs: iterations/s and collection scaling.

1. Iterations/s, side by side in one run (each variant once per round, the
   order rotated): tf_agents' tutorial loop (`benchmarks/tf_agents_loop.py`),
   `train_eval --job=all`, and `train_eval --collectors=N` for each N in
   `--collectors`. All train sac_minitaur.gin's agent on the same data ratio;
   evaluation off. The speed is train steps between the first and last
   progress lines over the time between them, so startup, the SavedModel
   exports and the initial collection count for none. Next to each: the
   sampled:inserted ratio the replay table saw during training, and for the
   split runs how many train steps the collectors' weights lagged. With
   `--thread_variants` (default), `all` and `collectors=1` once more with
   TensorFlow's default thread pools (`--job_threads=JOB=0,0`) against
   train_eval's default of 1 intra-op and 1 inter-op thread per job. With
   `--reverb_variant` (default), `all` and `collectors=1` once more with
   `ReverbReplay.in_graph = False`: sampling from a Reverb server (in the
   process, or the replay job over gRPC) instead of an in-graph table.
   With `--peers=sb3,sbx`, stable-baselines3 and SBX too
   (`benchmarks/peer_sac.py`, in virtualenvs of their own that the benchmark
   installs under benchmarks/.venvs), with the same hyperparameters.
2. Collection scaling: environment steps/s into one replay server from 1, 2
   and 4 collect jobs, the learner off (a weights push and no rate limit).

  .venv/bin/python -m benchmarks.actor_learner --quick   # about 6 minutes
  .venv/bin/python -m benchmarks.actor_learner           # about 35 minutes
  .venv/bin/python -m benchmarks.actor_learner --peers=sb3,sbx \
      --no-thread_variants --scaling= --iterations=1000 --initial_collect=2000 \
      --rounds=2 --results=sac_minitaur_peers             # about 12 minutes

Writes benchmarks/results/actor_learner.md and .json. Run it on a quiet
machine: every variant shares the same 2 cores.
"""

import argparse
import bisect
import contextlib
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

import psutil

from benchmarks import common
from benchmarks import peer_venvs

# absl: "I1124 04:55:35.230000 140 file.py:104] step = 10: loss = 91.9".
ABSL_TIME = r'^[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d\.\d+)\s+\d+\s+\S+\] '
LOSS_LINE = re.compile(ABSL_TIME + r'step = (\d+): loss = ')
WEIGHTS_LINE = re.compile(ABSL_TIME + r'Collector \d+: \d+ environment steps, '
                          r'weights of train step (\d+)\.')
REPLAY_STATS = re.compile(r'Replay table: (\d+) items inserted, (\d+) sampled')
TUTORIAL_LINE = re.compile(r'^\[([\d.]+)s\] step = (\d+): loss = ')
# Our console's progress line (also relayed as '[train] train [...] ...').
PROGRESS_LINE = re.compile(r'train \[[#.]+\] +\d+% (\d+)/\d+ ')
QUICK = dict(iterations=1500, initial_collect=1000, log_interval=100, rounds=1,
             scaling_secs=30)
FULL = dict(iterations=6000, initial_collect=1000, log_interval=250, rounds=3,
            scaling_secs=90)


def _seconds(match) -> float:
  hours, minutes, seconds = (int(match.group(3)), int(match.group(4)),
                             float(match.group(5)))
  return hours * 3600 + minutes * 60 + seconds


def absl_points(text: str, pattern=LOSS_LINE) -> List[Tuple[float, int]]:
  """(seconds, step) of each matching absl line (midnight-safe)."""
  points, offset, last = [], 0.0, None
  for line in text.splitlines():
    match = pattern.match(line)
    if not match:
      continue
    t = _seconds(match) + offset
    if last is not None and t < last:
      offset += 86400
      t += 86400
    last = t
    points.append((t, int(match.group(6))))
  return points


def weights_lag(train_points, collector_points) -> Optional[float]:
  """Median train steps the learner was ahead of a collector's newest weights."""
  times = [t for t, _ in train_points]
  lags = []
  for t, version in collector_points:
    i = bisect.bisect_left(times, t)
    if 0 < i < len(times):
      (t0, s0), (t1, s1) = train_points[i - 1], train_points[i]
      lags.append(s0 + (s1 - s0) * (t - t0) / (t1 - t0) - version)
  return statistics.median(lags) if lags else None


# A variant with TensorFlow's own thread pools instead of train_eval's
# default of one intra-op and one inter-op thread per job.
TF_THREADS = ' (TF default threads)'
# Sampling a Reverb server (in the process, or the replay job over gRPC), as
# before the in-graph tables (`graph_replay.py`, `fed_replay.py`).
REVERB = ' (Reverb)'
# One process collecting, then training, in turn (the tutorial's order).
SERIAL = ' (serial)'
VARIANT_ARGS = {
    SERIAL: ['--gin_bindings=train_eval.collect_while_training = False'],
    TF_THREADS: [f'--job_threads={job}=0,0'
                 for job in ('all', 'train', 'collect')],
    REVERB: ['--gin_bindings=ReverbReplay.in_graph = False'],
}


def base_variant(variant: str) -> str:
  """'all' for 'all (TF default threads)', 'all (Reverb)' or 'all (serial)'."""
  for suffix in VARIANT_ARGS:
    variant = variant.replace(suffix, '')
  return variant


def command(variant: str, root_dir: str, params: Dict) -> List[str]:
  for suffix, extra_args in VARIANT_ARGS.items():
    if variant.endswith(suffix):
      return command(base_variant(variant), root_dir, params) + extra_args
  if variant in peer_venvs.INSTALLS:
    return [peer_venvs.ensure(variant), '-m', 'benchmarks.peer_sac',
            f'--library={variant}', f'--num_iterations={params["iterations"]}',
            f'--initial_collect_steps={params["initial_collect"]}',
            f'--log_interval={params["log_interval"]}']
  if variant == 'tutorial':
    return [sys.executable, '-m', 'benchmarks.tf_agents_loop',
            f'--root_dir={root_dir}', f'--num_iterations={params["iterations"]}',
            f'--initial_collect_steps={params["initial_collect"]}',
            f'--log_interval={params["log_interval"]}', '--eval_interval=0']
  args = [sys.executable, '-m', 'train_eval.train_eval',
          f'--root_dir={root_dir}', '--gin_file=sac_minitaur.gin',
          f'--gin_bindings=train_eval.num_iterations = {params["iterations"]}',
          '--gin_bindings=train_eval.eval_interval = 0',
          '--gin_bindings=train_eval.initial_collect_steps = '
          f'{params["initial_collect"]}',
          f'--gin_bindings=train_eval.log_interval = {params["log_interval"]}']
  if variant.startswith('collectors='):
    args.append(f'--{variant}')
  return args


def job_name(cmdline: List[str]) -> Optional[str]:
  """'tutorial', 'all', 'launcher', 'replay', 'train', 'collect-0', 'eval' or None."""
  joined = ' '.join(cmdline)
  if 'benchmarks.tf_agents_loop' in joined:
    return 'tutorial'
  peer = re.search(r'benchmarks.peer_sac .*--library=(\w+)', joined)
  if peer:
    return peer.group(1)
  if 'train_eval.train_eval' not in joined:
    return None
  job = re.search(r'--job=(\w+)', joined)
  if not job:
    return 'launcher' if '--collectors' in joined else 'all'
  task = re.search(r'--task=(\d+)', joined)  # Absent for task 0.
  if job.group(1) == 'collect':
    return f'collect-{task.group(1) if task else 0}'
  return job.group(1)


def cpu_by_job(process: psutil.Process) -> Dict[str, float]:
  """CPU seconds (user + system) of `process` and its descendants, by job."""
  totals = {}
  for member in [process] + process.children(recursive=True):
    try:
      name = job_name(member.cmdline()) or 'other'
      times = member.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
      continue
    totals[name] = totals.get(name, 0.0) + times.user + times.system
  return totals


def progress_step(variant: str, line: str) -> Optional[int]:
  """The train step a progress line reports, or None."""
  if own_loop(variant):
    match = TUTORIAL_LINE.match(line)
    return int(match.group(2)) if match else None
  match = PROGRESS_LINE.search(line)
  return int(match.group(1)) if match else None


def own_loop(variant: str) -> bool:
  """The tutorial loop and the peers: loops of their own, which print the
  tutorial's progress line and sample 256 items per train step."""
  return variant == 'tutorial' or variant in peer_venvs.INSTALLS


def run_variant(variant: str, params: Dict,
                extra_env: Optional[Dict[str, str]] = None) -> Dict:
  """Runs one variant in a fresh root_dir; returns its speed, CPU by job and ratios.

  The speed and the CPU per train step are taken between the first and the
  last progress lines, as they arrive. `extra_env` is added to the
  processes' environment (PYTHONPATH entries go first).
  """
  with tempfile.TemporaryDirectory(prefix='actor_learner_') as tmp:
    root_dir = os.path.join(tmp, 'run')
    extra_env = dict(extra_env or {})
    paths = [extra_env.pop('PYTHONPATH', None), common.REPO_ROOT,
             os.environ.get('PYTHONPATH')]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **extra_env,
               PYTHONPATH=os.pathsep.join(p for p in paths if p))
    start = time.monotonic()
    proc = subprocess.Popen(command(variant, root_dir, params),
                            cwd=common.REPO_ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tree = psutil.Process(proc.pid)
    points, output = [], []
    try:
      for line in proc.stdout:
        output.append(line)
        step = progress_step(variant, line)
        if step is not None:
          points.append((time.monotonic(), step, cpu_by_job(tree)))
    except BaseException:
      # Interrupted (or a measure failed): no job may outlive the benchmark.
      for member in tree.children(recursive=True) + [tree]:
        with contextlib.suppress(psutil.NoSuchProcess):
          member.kill()
      raise
    wall = time.monotonic() - start
    if proc.wait() != 0 or len(points) < 2:
      raise RuntimeError(f'{variant} exited {proc.returncode} with '
                         f'{len(points)} progress lines:\n'
                         + ''.join(output)[-4000:])
    (t0, s0, cpu0), (t1, s1, cpu1) = points[0], points[-1]
    result = {'variant': variant, 'process_wall_s': round(wall, 1),
              'iterations_per_s': (s1 - s0) / (t1 - t0),
              'cpu_ms_per_step': {job: round(1000 * (cpu1[job] - cpu0.get(job, 0.0)) / (s1 - s0), 2)
                                  for job in sorted(cpu1)}}
    if own_loop(variant):
      result['sampled_per_inserted'] = 'by construction: 256 per step'
      return result
    logs = os.path.join(root_dir, 'logs')
    read = lambda name: open(os.path.join(logs, name)).read()
    one_process = base_variant(variant) == 'all'
    main_log = 'all.log' if one_process else 'train.log'
    # A learner with its own table (`fed_replay`) logs that table's counts.
    stats = REPLAY_STATS.findall(read(main_log)) or REPLAY_STATS.findall(
        read('replay.log'))
    if stats:
      inserted, sampled = map(int, stats[-1])
      during = inserted - params['initial_collect']
      result['sampled_per_inserted'] = round(sampled / during, 1) if during > 0 else None
    if not one_process:
      train_points = absl_points(read(main_log))
      lags = [weights_lag(train_points, absl_points(read(name), WEIGHTS_LINE))
              for name in sorted(os.listdir(logs)) if name.startswith('collect-')]
      lags = [lag for lag in lags if lag is not None]
      result['weights_lag_steps'] = round(statistics.median(lags), 1) if lags else None
    return result


def iterations_per_s(variants: List[str], params: Dict, log) -> Dict[str, List[Dict]]:
  results = {v: [] for v in variants}
  for round_index in range(params['rounds']):
    shift = round_index % len(variants)
    for variant in variants[shift:] + variants[:shift]:
      result = run_variant(variant, params)
      results[variant].append(result)
      log(f'  {variant}: {result["iterations_per_s"]:.1f} it/s '
          f'(ratio {result.get("sampled_per_inserted")}, lag '
          f'{result.get("weights_lag_steps")})')
  return results


def collection_scaling(collector_counts: List[int], seconds: float, log) -> Dict[int, float]:
  """Environment steps/s into one replay server, per number of collect jobs."""
  from benchmarks import collection_scaling as scaling  # pylint: disable=g-import-not-at-top
  results = {}
  for count in collector_counts:
    results[count] = scaling.measure(count, seconds)
    log(f'  {count} collector(s): {results[count]:.0f} environment steps/s')
  return results


def describe(variant: str) -> str:
  """What a variant runs, for the results' table."""
  if variant in peer_venvs.INSTALLS:
    return peer_venvs.description(variant)
  if variant == 'tutorial':
    return "tf_agents' tutorial loop (benchmarks/tf_agents_loop.py)"
  threads = ", TensorFlow's default threads" if variant.endswith(TF_THREADS) else ''
  if variant.endswith(REVERB) and base_variant(variant) == 'all':
    return ('train_eval --gin_file=sac_minitaur.gin (one process, a Reverb '
            'server in the process: ReverbReplay.in_graph = False)')
  if variant.endswith(REVERB):
    return (f'train_eval ... --{base_variant(variant)} (separate jobs, the '
            'learner sampling the replay job over gRPC: '
            'ReverbReplay.in_graph = False)')
  if variant.endswith(SERIAL):
    return ('train_eval --gin_file=sac_minitaur.gin (one process, collect '
            'then train in turn: train_eval.collect_while_training = False)')
  if base_variant(variant) == 'all':
    return f'train_eval --gin_file=sac_minitaur.gin (one process{threads})'
  return f'train_eval ... --{base_variant(variant)} (separate jobs{threads})'


def report(params: Dict, results: Dict, scaling: Dict[int, float]) -> str:
  def median(variant, key):
    values = [r[key] for r in results[variant] if isinstance(r.get(key), (int, float))]
    return statistics.median(values) if values else None

  def cpu_by_process(variant):
    runs = results[variant]
    jobs = sorted({job for r in runs for job in r['cpu_ms_per_step']})
    return {job: statistics.median(r['cpu_ms_per_step'].get(job, 0.0) for r in runs)
            for job in jobs}

  base = median('tutorial', 'iterations_per_s')
  ours = median('all', 'iterations_per_s') if 'all' in results else None
  lines = ['# SAC minitaur: one process and separate jobs' + (
               ', beside the peers' if set(results) & set(peer_venvs.INSTALLS) else ''),
           '',
           f'`python -m benchmarks.actor_learner {" ".join(params["argv"])}` '
           f'({params["mode"]}), '
           f'{datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}, '
           f'load average at start {params["load_at_start"]}, at end '
           f'{common.load_average()}, commit '
           f'{common.git_commit()}.', '',
           f'{params["iterations"]} train steps per run after {params["initial_collect"]} '
           f'initial steps, evaluation off, {params["rounds"]} round(s), the '
           'order rotated each round; speed between the first and last '
           'progress lines (median over rounds). CPU: all processes of a run, '
           'user + system, per train step (median over rounds).', '',
           '| variant | what | iterations/s [min-max] | × one process | × tutorial | '
           'CPU ms/it | sampled:inserted | weights lag (train steps) |',
           '|---|---|---|---|---|---|---|---|']
  for variant, runs in results.items():
    speeds = [r['iterations_per_s'] for r in runs]
    mid = statistics.median(speeds)
    ratio = results[variant][-1].get('sampled_per_inserted', '-')
    lag = median(variant, 'weights_lag_steps')
    versus_ours = f'{mid / ours:.2f}x' if ours else '-'
    lines.append(
        f'| {variant} | {describe(variant)} | {mid:.1f} [{min(speeds):.1f}-{max(speeds):.1f}] | '
        f'{versus_ours} | {mid / base:.2f}x | {sum(cpu_by_process(variant).values()):.1f} | '
        f'{ratio} | {"-" if lag is None else lag} |')
  lines += ['', '## CPU per train step, by process (ms; median over rounds)', '',
            'All processes of a run, user + system time, between the same two '
            'progress lines as the speed. 2 cores give 2000 ms of CPU per '
            'second: at full use, iterations/s = 2000 / total.', '',
            '| variant | total | by process |', '|---|---|---|']
  for variant in results:
    by_job = cpu_by_process(variant)
    lines.append(f'| {variant} | {sum(by_job.values()):.1f} | ' + ', '.join(
        f'{job} {ms:.1f}' for job, ms in by_job.items()) + ' |')
  if scaling:
    lines += ['', '## Collection scaling (learner off)', '',
              '| collect jobs | environment steps/s | per job |', '|---|---|---|']
    for count, steps in scaling.items():
      lines.append(f'| {count} | {steps:.0f} | {steps / count:.0f} |')
  return '\n'.join(lines) + '\n'


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--quick', action='store_true')
  parser.add_argument('--collectors', default='1,2')
  parser.add_argument('--peers', default='',
                      help='peer sides, e.g. sb3,sbx (benchmarks/peer_sac.py, '
                      'installed into benchmarks/.venvs by the benchmark)')
  parser.add_argument('--scaling', default='1,2,4',
                      help='collect job counts for the scaling measure; empty: skip')
  parser.add_argument('--thread_variants', action=argparse.BooleanOptionalAction,
                      default=True, help='also run all and collectors=1 with '
                      "TensorFlow's default thread pools")
  for name in ('iterations', 'initial_collect', 'rounds', 'log_interval'):
    parser.add_argument(f'--{name}', type=int, help="overrides the mode's")
  parser.add_argument('--reverb_variant', action=argparse.BooleanOptionalAction,
                      default=True, help='also run all and collectors=1 '
                      'sampling Reverb instead of an in-graph table')
  parser.add_argument('--results', default='actor_learner',
                      help='name of the results files in benchmarks/results')
  args = parser.parse_args(argv)
  # A SIGTERM unwinds like Ctrl-C, so run_variant stops the run's jobs too.
  signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
  params = dict(QUICK if args.quick else FULL, mode='quick' if args.quick else 'full',
                load_at_start=common.load_average(),
                argv=sys.argv[1:] if argv is None else argv)
  overrides = {name: getattr(args, name) for name in (
      'iterations', 'initial_collect', 'rounds', 'log_interval')
               if getattr(args, name) is not None}
  params.update(overrides)
  if overrides:
    params['mode'] += ' mode, overridden'
  log = lambda line: print(line, flush=True)
  peers = [p for p in args.peers.split(',') if p]
  for peer in peers:
    if peer not in peer_venvs.INSTALLS:
      parser.error(f'--peers: unknown side {peer!r}; choose from '
                   f'{", ".join(sorted(peer_venvs.INSTALLS))}')
    peer_venvs.ensure(peer, log)  # Installs before any timing.
  variants = (['tutorial', 'all'] + [f'collectors={n}' for n in args.collectors.split(',') if n]
              + peers)
  if args.reverb_variant:
    variants.insert(2, 'all' + REVERB)
    if 'collectors=1' in variants:
      variants.insert(variants.index('collectors=1') + 1,
                      'collectors=1' + REVERB)
  if args.thread_variants:
    variants += ['all' + TF_THREADS, 'collectors=1' + TF_THREADS]
  log(f'Iterations/s: {", ".join(variants)}')
  results = iterations_per_s(variants, params, log)
  scaling = {}
  if args.scaling:
    log('Collection scaling')
    scaling = collection_scaling([int(n) for n in args.scaling.split(',')],
                                 params['scaling_secs'], log)
  markdown = report(params, results, scaling)
  os.makedirs(common.RESULTS_DIR, exist_ok=True)
  results_path = os.path.join(common.RESULTS_DIR, args.results)
  with open(results_path + '.md', 'w') as f:
    f.write(markdown)
  with open(results_path + '.json', 'w') as f:
    json.dump({'params': params, 'results': results,
               'scaling': {str(k): v for k, v in scaling.items()}}, f, indent=1)
  print(markdown)
  return 0


if __name__ == '__main__':
  sys.exit(main())
