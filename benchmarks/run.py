r"""Runs the benchmarks one after another, then writes the index of their results.

  .venv/bin/python -m benchmarks.run [--quick] [--only NAME ...]
  .venv/bin/python -m benchmarks.run --index_only   # rewrites the index only

Each benchmark runs as `python -m benchmarks.NAME [--quick]` in a process of
its own and writes its own results file. Then benchmarks/results/README.md
gets one row per benchmark: its results file, its date and its headline
numbers, read from that file. reproduce_sac_minitaur takes hours: it is
listed, never run from here.
"""

import argparse
import dataclasses
import json
import os
import re
import statistics
import subprocess
import sys
from typing import Callable, Dict, List, Optional

from benchmarks import common

INDEX = os.path.join(common.RESULTS_DIR, 'README.md')
ISO_TIME = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d')


def read(name: str) -> str:
  with open(os.path.join(common.RESULTS_DIR, name)) as f:
    return f.read()


def markdown_table(text: str, column: str) -> List[Dict[str, str]]:
  """The rows, as {header: cell}, of the first table in `text` with `column`.

  Raises:
    ValueError: if no table has that column.
  """
  lines = text.splitlines()
  for i, line in enumerate(lines[:-1]):
    cells = [c.strip() for c in line.strip().strip('|').split('|')]
    if column in cells and lines[i + 1].startswith('|---'):
      rows = []
      for row in lines[i + 2:]:
        if not row.startswith('|'):
          break
        rows.append(dict(zip(cells, (c.strip() for c in
                                     row.strip().strip('|').split('|')))))
      return rows
  raise ValueError(f'no table with a column {column!r}')


def micro_headline(path: str) -> str:
  """Each measure with a target: the value checked, the target and whether met."""
  parts = []
  for row in json.loads(read(path))['rows']:
    if row['target']:
      of = row['target'].split()[0]
      parts.append(f'{row["measure"]} {row[of]:.3f}'
                   f'{"x" if of == "ratio" else ""} ({row["target"]}: '
                   f'{"yes" if row["met"] else "no"})')
  return '; '.join(parts)


def async_saving_headline(path: str) -> str:
  """Median time a fire blocks the loop and saves lost, per interval."""
  parts = []
  for row in markdown_table(read(path), 'trigger'):
    if row['trigger'] != 'ours sync':
      parts.append(f'interval {row["interval"]} {row["trigger"]} '
                   f'{row["median ms"]} ms, {row["lost"]} lost')
  return '; '.join(parts)


def durable_saving_headline(path: str) -> str:
  """Synchronous save with fsync ÷ without, against its target, and the load."""
  data = json.loads(read(path))
  load = data['machine']['load_average_at_start'][0]
  return (f'synchronous save with fsync ÷ without {data["save_ratio"]:.2f}x '
          f'(<= {data["target_ratio"]:g}: '
          f'{"yes" if data["save_ratio"] <= data["target_ratio"] else "no"}; '
          f'load average {load:.1f} on {data["machine"]["cores"]} cores)')


def replay_throughput_headline(path: str) -> str:
  """Train steps/s of each dataset, in-process Reverb server."""
  rows = markdown_table(read(path), 'dataset')
  return 'train steps/s: ' + ', '.join(
      f'{row["dataset"]} {row["train steps/s"]}' for row in rows
      if row['Reverb server'] in ('in-process', '-'))


def actor_learner_headline(path: str) -> str:
  """Median iterations/s of each variant and collection scaling."""
  data = json.loads(read(path))
  speeds = ', '.join(
      f'{variant} {statistics.median(r["iterations_per_s"] for r in runs):.1f}'
      for variant, runs in data['results'].items())
  scaling = ', '.join(f'{jobs} collector(s) {steps:.0f}'
                      for jobs, steps in data['scaling'].items())
  return f'iterations/s: {speeds}' + (
      f'; environment steps/s: {scaling}' if scaling else '')


def reproduce_configs_headline(path: str) -> str:
  """Each config's final score and whether it meets its target."""
  rows = json.loads(read(path))['rows']
  verdicts = {True: 'meets its target', False: 'misses its target',
              None: 'short run'}
  return '; '.join(f'{r["config"]} {r["mean"]:.1f} ({verdicts[r["meets"]]})'
                   for r in rows) + '; not run by benchmarks.run (hours)'


def profile_headline(path: str) -> str:
  """Each profiled process's iterations/s and its three largest regions' wall shares."""
  data = json.loads(read(path))
  parts = []
  for variant, result in data['results'].items():
    for job_name, job in sorted(result['jobs'].items()):
      total = sum(job['wall_s'].values())
      top = sorted(job['wall_s'].items(), key=lambda kv: -kv[1])[:3]
      parts.append(f'{variant} {job_name}: ' + ', '.join(
          f'{region} {100 * wall / total:.0f} %' for region, wall in top))
  return '; '.join(parts)


def reproduce_headline(path: str) -> str:
  """The recorded runs (hours each)."""
  runs = json.loads(read(path))
  return (f'{len(runs)} runs recorded: ' + ', '.join(
      f'{r["side"]} seed {r["seed"]} ({r["iterations"]} it.)' for r in runs)
          + '; not run by benchmarks.run (hours)')


@dataclasses.dataclass(frozen=True)
class Benchmark:
  """A module of benchmarks/, its results file and how to read its headline."""
  name: str
  results: str  # Under results/; its date and headline are read from it.
  link: str  # Under results/: what the index links to.
  what: str
  headline: Callable[[str], str]
  run: bool = True


BENCHMARKS = (
    Benchmark('micro', 'micro.json', 'micro.md',
              'trigger call, loop overhead, construction, synchronous save',
              micro_headline),
    Benchmark('async_saving', 'async_saving.md', 'async_saving.md',
              'time an async save blocks the loop, saves lost',
              async_saving_headline),
    Benchmark('durable_saving', 'durable_saving.json', 'durable_saving.md',
              'what fsync costs a policy save', durable_saving_headline),
    Benchmark('replay_throughput', 'replay_throughput.md',
              'replay_throughput.md',
              'learner sampling from Reverb, weight transfer',
              replay_throughput_headline),
    Benchmark('actor_learner', 'actor_learner.json', 'actor_learner.md',
              'iterations/s: tutorial loop vs train_eval, separate jobs',
              actor_learner_headline),
    Benchmark('profile_iteration', 'profile_iteration.json',
              'profile_iteration.md',
              'where a SAC minitaur iteration goes (wall, CPU), per job',
              profile_headline),
    Benchmark('sac_minitaur_peers', 'sac_minitaur_peers.json',
              'sac_minitaur_peers.md',
              'iterations/s: train_eval beside the tutorial loop, '
              'stable-baselines3 and SBX',
              actor_learner_headline, run=False),
    Benchmark('reproduce_sac_minitaur', 'reproduce_sac_minitaur/runs.json',
              'reproduce_sac_minitaur/',
              'learning curves: the tutorial vs train_eval, per seed',
              reproduce_headline, run=False),
    Benchmark('reproduce_configs', 'reproduce/results.json', 'reproduce/',
              'every packaged config with 3 seeds, against its target',
              reproduce_configs_headline, run=False),
)


def date_of(benchmark: Benchmark) -> str:
  """The newest date in its results file and the file linked (actor_learner.json has none)."""
  names = {benchmark.results, benchmark.link}
  dates = [date for name in names
           if os.path.isfile(os.path.join(common.RESULTS_DIR, name))
           for date in ISO_TIME.findall(read(name))]
  return max(dates)[:10] if dates else 'unknown'


def index_row(benchmark: Benchmark) -> str:
  """The index's table row of one benchmark."""
  link = f'[{benchmark.link}]({benchmark.link})'
  if not os.path.exists(os.path.join(common.RESULTS_DIR, benchmark.results)):
    return f'| `{benchmark.name}` | {benchmark.what} | {link} | — | not run yet |'
  return (f'| `{benchmark.name}` | {benchmark.what} | {link} | '
          f'{date_of(benchmark)} | '
          f'{benchmark.headline(benchmark.results)} |')


def write_index() -> str:
  """Writes results/README.md from the results files; returns its text."""
  text = '\n'.join([
      '# Benchmark results', '',
      'Written by `python -m benchmarks.run` from the results files below. '
      'Rerun one with `python -m benchmarks.NAME [--quick]`; each file names '
      'its machine, load and commit. Ratios: ours ÷ tf_agents.', '',
      '| benchmark | measures | results | date | headline |',
      '|---|---|---|---|---|',
      *(index_row(b) for b in BENCHMARKS), ''])
  with open(INDEX, 'w') as f:
    f.write(text)
  return text


def run(name: str, quick: bool) -> int:
  """Runs `python -m benchmarks.NAME`; returns its exit status."""
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(
      [common.REPO_ROOT] + ([os.environ['PYTHONPATH']]
                            if os.environ.get('PYTHONPATH') else [])))
  command = [sys.executable, '-m', f'benchmarks.{name}'] + (
      ['--quick'] if quick else [])
  print(f'$ {" ".join(command[1:])}', flush=True)
  return subprocess.run(command, cwd=common.REPO_ROOT, env=env).returncode


def main(argv: Optional[List[str]] = None) -> int:
  runnable = [b.name for b in BENCHMARKS if b.run]
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help="each benchmark's short form")
  parser.add_argument('--only', nargs='+', choices=runnable, default=runnable,
                      metavar='NAME', help=f'some of: {", ".join(runnable)}')
  parser.add_argument('--index_only', action='store_true',
                      help='run nothing; rewrite results/README.md')
  args = parser.parse_args(argv)
  failed = [] if args.index_only else [
      name for name in args.only if run(name, args.quick) != 0]
  print(write_index())
  if failed:
    print(f'failed: {", ".join(failed)}', file=sys.stderr)
  return 1 if failed else 0


if __name__ == '__main__':
  sys.exit(main())
