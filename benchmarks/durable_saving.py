r"""What fsync costs a policy save: our trigger with fsync (as shipped) and without.

  .venv/bin/python -m benchmarks.durable_saving            # about 2 minutes
  .venv/bin/python -m benchmarks.durable_saving --quick    # under a minute
  .venv/bin/python -m benchmarks.durable_saving --smoke --out=/tmp/durable

"without" is the same code with `triggers.durable.sync_path` made a no-op:
the save as it was before publication was made durable (same temporary
directory, same rename). "one at a time" is the shipped save with the new
tree's fsyncs in sequence (files bottom-up, each directory after its
contents), as before they ran concurrently. The variants are our
`PolicySavedModelTrigger` on the tutorial's SAC minitaur agent
(`common.make_setup`), in one process, taking turns with the order rotated,
each in its own directory on the disk of /tmp. Measures: a synchronous
policy checkpoint (a fire at interval 1; all three variants) and the
construction that exports the 3 SavedModels (with and without fsync).
Medians.
Writes `durable_saving.md` and `durable_saving.json` to benchmarks/results/,
or to `--out`.
"""

import argparse
import contextlib
import gc
import os
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional
from unittest import mock

from benchmarks import common

VARIANTS = ('fsync', 'no fsync', 'fsync one at a time')
WITH_AND_WITHOUT = VARIANTS[:2]
QUICK = dict(save_repeats=30, construct_repeats=2)
FULL = dict(save_repeats=100, construct_repeats=5)
SMOKE = dict(save_repeats=1, construct_repeats=1)
TARGET_RATIO = 1.1  # Synchronous save with fsync ÷ without.


def _variant(name: str):
  """A context in which saves run as `name` ('fsync' or 'no fsync')."""
  from triggers import durable  # pylint: disable=g-import-not-at-top
  if name == 'fsync':
    return contextlib.nullcontext()
  if name == 'fsync one at a time':
    return mock.patch.object(durable, 'sync_tree', _sync_tree_in_sequence)
  return mock.patch.object(durable, 'sync_path', lambda path: None)


def _sync_tree_in_sequence(root: str) -> None:
  """`durable.sync_tree` one fsync at a time: files, then their directory."""
  from triggers import durable  # pylint: disable=g-import-not-at-top
  if not os.path.isdir(root):
    durable.sync_path(root)
    return
  for dirpath, _, filenames in os.walk(root, topdown=False):
    for name in filenames:
      durable.sync_path(os.path.join(dirpath, name))
    durable.sync_path(dirpath)


def sync_save(setup: common.Setup, root: str, repeats: int
              ) -> Dict[str, List[float]]:
  """ms per synchronous policy checkpoint, per variant.

  Raises:
    RuntimeError: a variant wrote fewer checkpoints than asked.
  """
  triggers_by = {}
  for name in VARIANTS:
    with _variant(name):
      triggers_by[name] = common.make_trigger(
          'ours', os.path.join(root, f'save_{name.replace(" ", "_")}'), setup,
          1, save_greedy_policy=False, save_collect_policy=False)
  samples = {name: [] for name in VARIANTS}

  def save(name):
    setup.train_step.assign_add(1)
    value = setup.train_step.numpy()
    with _variant(name):
      start = time.perf_counter()
      triggers_by[name](value)
      samples[name].append(1000 * (time.perf_counter() - start))

  for name in VARIANTS:  # The first save of each traces.
    save(name)
    samples[name].clear()
  for i in range(repeats):  # Each variant first, second and third in turn.
    for name in VARIANTS[i % 3:] + VARIANTS[:i % 3]:
      save(name)
  for name, trigger in triggers_by.items():
    trigger.close()
    directory = os.path.join(root, f'save_{name.replace(" ", "_")}')
    if len(common.checkpoint_dirs(directory)) != repeats + 1:
      raise RuntimeError(f'{name}: fewer checkpoints than saves')
  return samples


def construction(setup: common.Setup, root: str, repeats: int
                 ) -> Dict[str, List[float]]:
  """Seconds to construct the trigger (3 SavedModels exported), with and without fsync."""
  samples = {name: [] for name in WITH_AND_WITHOUT}

  def build(name, i):
    gc.collect()
    with _variant(name):
      start = time.perf_counter()
      trigger = common.make_trigger(
          'ours', os.path.join(root, f'construct_{i}_{name.replace(" ", "_")}'),
          setup, 1000)
      seconds = time.perf_counter() - start
    trigger.close()
    if i >= 0:
      samples[name].append(seconds)

  build(VARIANTS[0], -1)  # One-time traces.
  common.alternate(repeats, lambda i: build(VARIANTS[0], i),
                   lambda i: build(VARIANTS[1], i))
  return samples


def markdown(mode: str, machine: Dict[str, object],
             results: Dict[str, Dict[str, List[float]]],
             elapsed_s: float) -> str:
  """The results file: command, machine, load, the table."""
  start, end = machine['load_average_at_start'], machine['load_average_at_end']
  rows = []
  for measure, unit, key, variant in (
      ('synchronous save', 'ms', 'save', 'fsync'),
      ('synchronous save, fsyncs one at a time (as before)', 'ms', 'save',
       'fsync one at a time'),
      ('construction (3 SavedModels)', 's', 'construction', 'fsync')):
    with_fsync = statistics.median(results[key][variant])
    without = statistics.median(results[key]['no fsync'])
    ratio = with_fsync / without
    targeted = (key, variant) == ('save', 'fsync')
    target = f'<= {TARGET_RATIO:g}' if targeted else 'info'
    met = ('—' if not targeted else
           'yes' if ratio <= TARGET_RATIO else '**no**')
    spread = lambda values: f'{min(values):.2f}-{max(values):.2f}'
    rows.append(
        f'| {measure} | {with_fsync:.2f} {unit} '
        f'[{spread(results[key][variant])}] | {without:.2f} {unit} '
        f'[{spread(results[key]["no fsync"])}] | {ratio:.3f}x | {target} | '
        f'{met} |')
  busy = (' The machine is busy (a load average above its core count): '
          'compare the variants within this run only.'
          if max(start + end) > machine['cores'] else '')
  return '\n'.join([
      '# Durable saving: what fsync costs a policy save', '',
      f'`python -m benchmarks.durable_saving'
      f'{"" if mode == "full" else " --" + mode}` ({elapsed_s / 60:.1f} min), '
      f'{machine["date"]}, {machine["cores"]} cores ({machine["cpu_model"]}), '
      f'tensorflow {machine["tensorflow"]}, commit {machine["git_commit"]}; '
      f'files on {machine["scratch_filesystem"]}.', '',
      f'Load average (1, 5, 15 min) at start {_load(start)}, at end '
      f'{_load(end)}.{busy}', '',
      '| measure | with fsync (median [min-max]) | without | ratio | target '
      '| met? |',
      '|---|---|---|---|---|---|',
      *rows, '',
      '"without" is the same save with `durable.sync_path` a no-op; method: '
      'the docstring of `benchmarks/durable_saving.py`.', ''])


def _load(load) -> str:
  return ', '.join(f'{x:.2f}' for x in load)


def _filesystem(path: str) -> str:
  """The type of the filesystem holding `path`, from /proc/mounts."""
  best, kind = '', 'unknown'
  with open('/proc/mounts') as f:
    for line in f:
      fields = line.split()
      if path.startswith(fields[1]) and len(fields[1]) > len(best):
        best, kind = fields[1], fields[2]
  return f'{kind} ({best})'


def main(argv: Optional[List[str]] = None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  mode = parser.add_mutually_exclusive_group()
  mode.add_argument('--quick', action='store_true', help='under a minute')
  mode.add_argument('--smoke', action='store_true',
                    help='one repeat, to check it runs; needs --out')
  parser.add_argument('--out', help='path of the results without .md / .json '
                      '(default: benchmarks/results/durable_saving)')
  args = parser.parse_args(argv)
  if args.smoke and not args.out:
    parser.error('--smoke writes its results only to an explicit --out')
  out = args.out or os.path.join(common.RESULTS_DIR, 'durable_saving')
  name = 'smoke' if args.smoke else 'quick' if args.quick else 'full'
  params = {'smoke': SMOKE, 'quick': QUICK, 'full': FULL}[name]
  common.quiet_tensorflow()
  start = time.perf_counter()
  machine = common.machine_info()
  log: Callable[[str], None] = lambda message: print(
      f'[{time.perf_counter() - start:5.1f} s] {message}', flush=True)
  with common.scratch_dir('durable') as root, common.absl_quiet():
    machine['scratch_filesystem'] = _filesystem(os.path.realpath(root))
    setup = common.make_setup()
    log('synchronous save')
    results = {'save': sync_save(setup, root, params['save_repeats'])}
    log('construction')
    results['construction'] = construction(setup, root,
                                           params['construct_repeats'])
    setup.env.close()
  machine['load_average_at_end'] = os.getloadavg()
  elapsed_s = time.perf_counter() - start
  text = markdown(name, machine, results, elapsed_s)
  os.makedirs(os.path.dirname(out), exist_ok=True)
  with open(out + '.md', 'w') as f:
    f.write(text)
  save = results['save']
  common.write_json(out + '.json', {
      'mode': name, 'params': params, 'machine': machine,
      'elapsed_s': elapsed_s, 'samples': results,
      'save_ratio': (statistics.median(save['fsync']) /
                     statistics.median(save['no fsync'])),
      'one_at_a_time_save_ratio': (
          statistics.median(save['fsync one at a time']) /
          statistics.median(save['no fsync'])),
      'target_ratio': TARGET_RATIO})
  print(text)
  return 0


if __name__ == '__main__':
  sys.exit(main())
