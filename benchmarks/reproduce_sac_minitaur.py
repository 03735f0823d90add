r"""Reproduces "SAC minitaur with the Actor-Learner API": the tutorial's loop vs ours.

Runs, one after the other and each in its own process, tf_agents' tutorial as
written (`benchmarks/tf_agents_loop.py`) and our
`train_eval --gin_file=sac_minitaur.gin` as a `sweep run` of its seeds (in
runs/reproduce_sac_minitaur/sweep_<side>_<iterations>/, so `sweep report`
reads it too), with the same seeds; records eval
AverageReturn and AverageEpisodeLength at every evaluation (every 10000 train
steps, step 0 included) and the wall and CPU time of each run. Never in CI: a
full run takes most of an hour on 2 cores.

  .venv/bin/python -m benchmarks.reproduce_sac_minitaur --seeds=0,1,2
  .venv/bin/python -m benchmarks.reproduce_sac_minitaur --sides=ours --seeds=0
  .venv/bin/python -m benchmarks.reproduce_sac_minitaur --sides=ours \
      --seeds=0,1,2 --parallel_seeds     # the three seeds at once
  .venv/bin/python -m benchmarks.reproduce_sac_minitaur --iterations=20000 \
      --eval_interval=5000 --out=/tmp/short      # a shortened check
  .venv/bin/python -m benchmarks.reproduce_sac_minitaur --report_only

Writes under --out (default benchmarks/results/reproduce_sac_minitaur/): one
CSV per run (`<side>_seed<seed>.csv`: step, AverageReturn,
AverageEpisodeLength, elapsed_s), `runs.json` (wall time, CPU time, load
average, commit, command of each run), `README.md` (the tables) and
`curves.png` (mean and min-max over seeds of both sides). The policies of our
runs stay in runs/reproduce_sac_minitaur/ for `policies video`.
"""

import argparse
import csv
import datetime
import itertools
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Sequence

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, 'benchmarks', 'results',
                           'reproduce_sac_minitaur')
RUNS_DIR = os.path.join(REPO_ROOT, 'runs', 'reproduce_sac_minitaur')
SIDES = ('tutorial', 'ours', 'ours_collectors2')
LABELS = {'tutorial': "tf_agents' tutorial loop",
          'ours': 'train_eval --gin_file=sac_minitaur.gin',
          'ours_collectors2': '... --collectors=2 (separate jobs)'}
EVAL_LINE = re.compile(
    r'step = (\d+): AverageReturn = (-?[\d.]+(?:e[-+]?\d+)?), '
    r'AverageEpisodeLength = ([\d.]+(?:e[-+]?\d+)?)')
FIELDS = ('step', 'AverageReturn', 'AverageEpisodeLength', 'elapsed_s')
# Evaluations at or after this fraction of the run make its "final" score.
FINAL_FRACTION = 0.8


def command(side: str, seed: int, iterations: int, eval_interval: int,
            root_dir: str, parallel: int = 1) -> List[str]:
  """The command line of one run: the tutorial's loop, or a `sweep run` of ours.

  Ours runs as a sweep of seeds 0..seed in `root_dir` (finished seeds are
  skipped, so seeds run one per call when given in order), `parallel` at a
  time.
  """
  if side == 'tutorial':
    return [sys.executable, '-m', 'benchmarks.tf_agents_loop',
            f'--root_dir={root_dir}', f'--seed={seed}',
            f'--num_iterations={iterations}',
            f'--eval_interval={eval_interval}']
  return [os.path.join(os.path.dirname(sys.executable), 'sweep'), 'run',
          f'--root_dir={root_dir}', '--gin_file=sac_minitaur.gin',
          f'--seeds={seed + 1}', f'--parallel={parallel}',
          f'--gin_bindings=train_eval.num_iterations = {iterations}',
          f'--gin_bindings=train_eval.eval_interval = {eval_interval}'] + (
              ['--collectors=2'] if side == 'ours_collectors2' else [])


def sweep_rows(run_dir: str, start: float) -> List[Dict[str, float]]:
  """The CSV rows of one of our runs, from its eval events (elapsed from `start`, s)."""
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  from train_eval import summaries  # pylint: disable=g-import-not-at-top
  returns = summaries.scalars(run_dir, *summaries.EVAL_RETURN)
  lengths = summaries.scalars(run_dir, 'eval', 'Metrics/AverageEpisodeLength')
  times = summaries.wall_times(run_dir, *summaries.EVAL_RETURN)
  return [{'step': step, 'AverageReturn': value,
           'AverageEpisodeLength': lengths.get(step, float('nan')),
           'elapsed_s': round(times[step] - start, 1)}
          for step, value in returns.items()]


def _children_cpu_seconds() -> float:
  usage = resource.getrusage(resource.RUSAGE_CHILDREN)
  return usage.ru_utime + usage.ru_stime


def run_one(side: str, seed: int, iterations: int, eval_interval: int,
            out_dir: str, log_dir: str,
            parallel_seeds: Sequence[int] = ()) -> List[Dict[str, object]]:
  """Runs one side with one seed; writes its CSV and full log; returns its record.

  With `parallel_seeds` (ours or ours_collectors2: seeds 0..seed), those
  seeds run at once in one sweep; each gets its CSV and a record with the
  sweep's wall time and its share of the CPU time.
  """
  together = list(parallel_seeds) or [seed]
  if side == 'tutorial':
    root_dir = os.path.join(RUNS_DIR, f'{side}_seed{seed}_{iterations}')
    if os.path.exists(root_dir):
      raise SystemExit(f'{root_dir} exists (an earlier run); move it away '
                       'first.')
  else:
    root_dir = os.path.join(RUNS_DIR, f'sweep_{side}_{iterations}')
  args = command(side, seed, iterations, eval_interval, root_dir,
                 parallel=len(together))
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONUNBUFFERED='1',
             PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
  rows = []
  loads = []
  stop = threading.Event()

  def sample_load():
    while not stop.wait(30):
      loads.append(os.getloadavg()[0])

  sampler = threading.Thread(target=sample_load, daemon=True)
  cpu_before = _children_cpu_seconds()
  start = time.monotonic()
  started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(
      timespec='seconds')
  commit = _git_commit()  # The code the run starts from.
  sampler.start()
  log_path = os.path.join(log_dir, f'{side}_seed{seed}.log')
  with open(log_path, 'w') as log:
    process = subprocess.Popen(args, cwd=REPO_ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for line in process.stdout:
      log.write(line)
      match = EVAL_LINE.search(line)
      if side != 'tutorial':
        print(f'  {side}: {line.rstrip()}', flush=True)
      elif match:
        rows.append({'step': int(match.group(1)),
                     'AverageReturn': float(match.group(2)),
                     'AverageEpisodeLength': float(match.group(3)),
                     'elapsed_s': round(time.monotonic() - start, 1)})
        print(f'  {side} seed {seed}: {match.group(0)} '
              f'({rows[-1]["elapsed_s"]:.0f} s)', flush=True)
    returncode = process.wait()
  wall = time.monotonic() - start
  stop.set()
  if returncode != 0:
    raise SystemExit(f'{side} seed {seed} exited {returncode}; see {log_path}.')
  cpu = (_children_cpu_seconds() - cpu_before) / len(together)
  records = []
  for each in together:
    run_dir = root_dir
    if side != 'tutorial':
      run_dir = os.path.join(root_dir, 'default', f'seed={each}')
      rows = sweep_rows(run_dir, time.time() - wall)
    with open(os.path.join(out_dir, f'{side}_seed{each}.csv'), 'w',
              newline='') as f:
      writer = csv.DictWriter(f, FIELDS)
      writer.writeheader()
      writer.writerows(rows)
    records.append({
        'side': side, 'seed': each, 'iterations': iterations,
        'eval_interval': eval_interval, 'wall_s': round(wall, 1),
        'cpu_s': round(cpu, 1), 'seeds_at_once': len(together),
        'load_average_mean': (round(statistics.mean(loads), 2) if loads
                              else None),
        'started_at': started_at, 'commit': commit,
        'command': ' '.join(args[1:]), 'root_dir': run_dir,
    })
  return records


def _git_commit() -> str:
  result = subprocess.run(['git', 'describe', '--always', '--dirty'],
                          cwd=REPO_ROOT, capture_output=True, text=True)
  return result.stdout.strip()


def read_runs(out_dir: str) -> Dict[str, Dict[int, List[Dict[str, float]]]]:
  """side -> seed -> rows, from the CSVs in `out_dir`."""
  curves = {side: {} for side in SIDES}
  for side in SIDES:
    for name in sorted(os.listdir(out_dir)):
      match = re.fullmatch(rf'{side}_seed(\d+)\.csv', name)
      if match:
        with open(os.path.join(out_dir, name)) as f:
          curves[side][int(match.group(1))] = [
              {k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
  return curves


def final_score(rows: Sequence[Dict[str, float]]) -> Optional[float]:
  """Mean AverageReturn over the evaluations in the last 20% of the run."""
  if not rows:
    return None
  last = max(r['step'] for r in rows)
  tail = [r['AverageReturn'] for r in rows
          if r['step'] >= FINAL_FRACTION * last and r['step'] > 0]
  return statistics.mean(tail) if tail else None


def permutation_p(a: Sequence[float], b: Sequence[float]) -> Optional[float]:
  """Two-sided exact permutation test of equal means; None if too few values."""
  if len(a) < 2 or len(b) < 2:
    return None
  pooled = list(a) + list(b)
  observed = abs(statistics.mean(a) - statistics.mean(b))
  count = total = 0
  for chosen in itertools.combinations(range(len(pooled)), len(a)):
    first = [pooled[i] for i in chosen]
    second = [pooled[i] for i in range(len(pooled)) if i not in chosen]
    total += 1
    if abs(statistics.mean(first) - statistics.mean(second)) >= observed - 1e-12:
      count += 1
  return count / total


def judge(tutorial: Sequence[float], ours: Sequence[float]) -> Dict[str, object]:
  """Compares per-seed final scores: difference, its standard error, verdict.

  "Within seed noise": the difference of the means is at most twice its
  standard error, sqrt(s_t^2/n_t + s_o^2/n_o) (about a 95% interval), with
  each side's s the standard deviation over its seeds. Needs >= 2 seeds each.
  """
  result = {'n_tutorial': len(tutorial), 'n_ours': len(ours)}
  if not tutorial or not ours:
    return result
  diff = statistics.mean(ours) - statistics.mean(tutorial)
  result['difference'] = diff
  if len(tutorial) >= 2 and len(ours) >= 2:
    se = math.sqrt(statistics.variance(tutorial) / len(tutorial) +
                   statistics.variance(ours) / len(ours))
    result['standard_error'] = se
    result['within_noise'] = abs(diff) <= 2 * se
    result['permutation_p'] = permutation_p(tutorial, ours)
  return result


def _fmt(value, digits=1) -> str:
  return '-' if value is None else f'{value:.{digits}f}'


def report(out_dir: str) -> str:
  """Writes README.md and curves.png in `out_dir` from its CSVs; returns the markdown."""
  curves = read_runs(out_dir)
  runs_path = os.path.join(out_dir, 'runs.json')
  runs = json.load(open(runs_path)) if os.path.exists(runs_path) else []
  steps = sorted({int(r['step']) for side in SIDES
                  for rows in curves[side].values() for r in rows})
  lines = ['# SAC minitaur: the tutorial loop vs `train_eval`', '',
           'Made by `python -m benchmarks.reproduce_sac_minitaur` (see its '
           'docstring); numbers from the CSVs in this directory.', '',
           '## Eval AverageReturn (mean ± standard deviation over seeds, '
           '[min, max])', '',
           '| step | ' + ' | '.join(LABELS[s] for s in SIDES) + ' |',
           '|---|' + '---|' * len(SIDES)]
  for step in steps:
    cells = []
    for side in SIDES:
      values = [r['AverageReturn'] for rows in curves[side].values()
                for r in rows if int(r['step']) == step]
      if not values:
        cells.append('-')
        continue
      spread = (f' ± {statistics.stdev(values):.2f}' if len(values) > 1
                else '')
      cells.append(f'{statistics.mean(values):.2f}{spread} '
                   f'[{min(values):.2f}, {max(values):.2f}] (n={len(values)})')
    lines.append(f'| {step} | ' + ' | '.join(cells) + ' |')
  lines += ['', '## Runs', '',
            '| side | seed | iterations | wall | seeds at once | CPU | final score '
            '| mean load | started (UTC) | commit at start |',
            '|---|---|---|---|---|---|---|---|---|---|']
  for run in runs:
    rows = curves[run['side']].get(run['seed'], [])
    lines.append(
        f'| {run["side"]} | {run["seed"]} | {run["iterations"]} | '
        f'{run["wall_s"] / 60:.1f} min | {run.get("seeds_at_once", 1)} | '
        f'{run["cpu_s"] / 60:.1f} min | '
        f'{_fmt(final_score(rows), 2)} | {_fmt(run["load_average_mean"], 2)} | '
        f'{run["started_at"]} | {run["commit"]} |')
  scores = {side: [final_score(rows) for rows in curves[side].values()
                   if rows] for side in SIDES}
  lines += ['', '## Same result?', '',
            f'Final score: the mean eval AverageReturn over the evaluations in '
            f'the last {100 - FINAL_FRACTION * 100:.0f}% of a run, one per seed. '
            '"Within seed noise" means the difference of the two sides\' means '
            'is at most twice its standard error (sqrt(s_t²/n_t + s_o²/n_o), s '
            "the standard deviation over a side's seeds); the exact permutation "
            'p-value is shown beside it (with 3 seeds a side it cannot go below '
            '0.1, so only the standard-error rule can flag a difference).', '',
            f'- tutorial final scores: {[round(s, 2) for s in scores["tutorial"]]}']
  for side in SIDES[1:]:
    if not scores[side]:
      continue
    verdict = judge(scores['tutorial'], scores[side])
    lines.append(f'- {side} final scores: '
                 f'{[round(s, 2) for s in scores[side]]}')
    if 'difference' in verdict:
      lines.append(f'  - difference ({side} - tutorial): '
                   f'{verdict["difference"]:.2f}')
    if 'standard_error' in verdict:
      lines.append(
          f'  - standard error {verdict["standard_error"]:.2f}; within seed '
          f'noise: **{"yes" if verdict["within_noise"] else "no"}**; '
          f'permutation p = {verdict["permutation_p"]:.2f}')
    else:
      lines.append('  - fewer than 2 seeds on a side: no verdict.')
  markdown = '\n'.join(lines) + '\n'
  with open(os.path.join(out_dir, 'README.md'), 'w') as f:
    f.write(markdown)
  if steps:
    plot(curves, os.path.join(out_dir, 'curves.png'))
  return markdown


def plot(curves, out: str) -> None:
  """Mean curve and min-max band over seeds, one colour per side."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  from matplotlib import pyplot  # pylint: disable=g-import-not-at-top
  figure, axis = pyplot.subplots(figsize=(8, 4.5))
  for side in SIDES:
    by_step = {}
    for rows in curves[side].values():
      for r in rows:
        by_step.setdefault(int(r['step']), []).append(r['AverageReturn'])
    if not by_step:
      continue
    steps = sorted(by_step)
    means = [statistics.mean(by_step[s]) for s in steps]
    line, = axis.plot(steps, means, marker='o',
                      label=f'{LABELS[side]} ({len(curves[side])} seed{"s" if len(curves[side]) != 1 else ""})')
    axis.fill_between(steps, [min(by_step[s]) for s in steps],
                      [max(by_step[s]) for s in steps], alpha=0.2,
                      color=line.get_color())
  axis.set_xlabel('train step')
  axis.set_ylabel('eval AverageReturn (20 episodes)')
  axis.set_title('SAC MinitaurBulletEnv-v0: mean over seeds, band = min-max')
  axis.grid(True, alpha=0.3)
  axis.legend()
  figure.tight_layout()
  figure.savefig(out, dpi=100)
  pyplot.close(figure)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--seeds', default='0', help='e.g. 0,1,2')
  parser.add_argument('--sides', default='tutorial,ours',
                      help='tutorial, ours, or both (the order they run in)')
  parser.add_argument('--iterations', type=int, default=100000)
  parser.add_argument('--eval_interval', type=int, default=10000)
  parser.add_argument('--out', default=DEFAULT_OUT)
  parser.add_argument('--parallel_seeds', action='store_true',
                      help='ours or ours_collectors2 only: run '
                      '--seeds=0,1,... at once, as one sweep (wall time then '
                      'counts them together)')
  parser.add_argument('--report_only', action='store_true',
                      help='rewrite README.md and curves.png from the CSVs')
  args = parser.parse_args(argv)
  os.makedirs(args.out, exist_ok=True)
  if not args.report_only:
    log_dir = os.path.join(RUNS_DIR, 'logs')
    os.makedirs(log_dir, exist_ok=True)
    sides = [s.strip() for s in args.sides.split(',')]
    unknown = set(sides) - set(SIDES)
    if unknown:
      parser.error(f'--sides: unknown {sorted(unknown)}; use {SIDES}.')
    runs_path = os.path.join(args.out, 'runs.json')
    seeds = [int(s) for s in args.seeds.split(',')]
    if args.parallel_seeds and (len(sides) != 1 or sides == ['tutorial'] or
                                seeds != list(range(len(seeds)))):
      parser.error('--parallel_seeds runs one side of ours (--sides=ours or '
                   'ours_collectors2) with --seeds=0,1,...')
    for seed in seeds[-1:] if args.parallel_seeds else seeds:
      for side in sides:
        print(f'{side} seed {seed}: {args.iterations} iterations', flush=True)
        records = run_one(side, seed, args.iterations, args.eval_interval,
                          args.out, log_dir,
                          parallel_seeds=seeds if args.parallel_seeds else ())
        runs = json.load(open(runs_path)) if os.path.exists(runs_path) else []
        done = {(r['side'], r['seed']) for r in records}
        runs = [r for r in runs if (r['side'], r['seed']) not in done] + records
        with open(runs_path, 'w') as f:
          json.dump(runs, f, indent=1)
        print(f'{side} seed {seed}: {records[0]["wall_s"] / 60:.1f} min '
              f'wall, {records[0]["cpu_s"] / 60:.1f} min CPU per seed',
              flush=True)
  print(report(args.out))
  return 0


if __name__ == '__main__':
  sys.exit(main())
