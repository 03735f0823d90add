r"""Our PolicySavedModelTrigger vs tf_agents', measure by measure, in one process.

  .venv/bin/python -m benchmarks.micro            # a few minutes on 2 cores
  .venv/bin/python -m benchmarks.micro --quick    # under 2 minutes
  .venv/bin/python -m benchmarks.micro --smoke --out=/tmp/micro  # checks it runs

Both triggers get the tutorial's SAC minitaur agent (`common.make_setup`) and
are used through their public API only: the constructor, `trigger(step)` with
`train_step.numpy()` as `Learner.run` passes it, and ours' `close()`. Ours and
tf_agents' take turns (`common.alternate`), so the machine's load falls on
both. Values are medians over repeats. Writes `micro.md` (the table) and
`micro.json` (rows, samples, machine) to benchmarks/results/, or to `--out`.
"""

import argparse
import dataclasses
import gc
import os
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional

import numpy as np

from benchmarks import common

WHICH = ('ours', 'tf_agents')
QUICK = dict(idle_repeats=5, idle_calls=20000, loop_cycles=300,
             construct_repeats=3, sync_repeats=10)
FULL = dict(idle_repeats=15, idle_calls=200000, loop_cycles=2000,
            construct_repeats=7, sync_repeats=40)
SMOKE = dict(idle_repeats=1, idle_calls=100, loop_cycles=3,
             construct_repeats=1, sync_repeats=1)
FORMATS = {'ns': '{:,.0f} ns', 's': '{:.2f} s', 'ms': '{:.2f} ms',
           'B': '{:,.0f} B', '%': '{:.3f}%', '': '{:.3f}'}


@dataclasses.dataclass(frozen=True)
class Target:
  """`of` (`'ours'` or `'ratio'`, ours ÷ tf_agents) `op` (`'<='`, `'>='`) `bound`."""
  of: str
  op: str
  bound: float

  def __str__(self) -> str:
    return f'{self.of} {self.op} {self.bound:g}'


@dataclasses.dataclass
class Row:
  """One measure: ours' and tf_agents' values in `unit` (a key of FORMATS).

  `samples` holds the raw values (in seconds, or in `unit`) the row is from.
  """
  measure: str
  unit: str
  ours: float
  tf_agents: float
  target: Optional[Target] = None
  samples: Dict[str, List[float]] = dataclasses.field(default_factory=dict)

  @property
  def ratio(self) -> float:
    return self.ours / self.tf_agents

  @property
  def met(self) -> Optional[bool]:
    """Whether the target is met; None without one."""
    if self.target is None:
      return None
    value = self.ratio if self.target.of == 'ratio' else self.ours
    if self.target.op == '<=':
      return value <= self.target.bound
    return value >= self.target.bound

  def cells(self) -> List[str]:
    """measure, ours, tf_agents, ratio, target, met? as table cells."""
    fmt = FORMATS[self.unit]
    met = {None: '—', True: 'yes', False: '**no**'}[self.met]
    return [self.measure, fmt.format(self.ours), fmt.format(self.tf_agents),
            f'{self.ratio:.3f}x', str(self.target or 'info'), met]

  def to_json(self) -> Dict[str, object]:
    return dict(measure=self.measure, unit=self.unit, ours=self.ours,
                tf_agents=self.tf_agents, ratio=self.ratio,
                target=None if self.target is None else str(self.target),
                met=self.met, samples=self.samples)


def medians_row(measure: str, unit: str, samples: Dict[str, List[float]],
                target: Optional[Target] = None) -> Row:
  return Row(measure, unit, statistics.median(samples['ours']),
             statistics.median(samples['tf_agents']), target, samples)


def build_pair(setup: common.Setup, root: str, name: str, interval: int,
               **kwargs) -> Dict[str, object]:
  """Ours and tf_agents' trigger, each in its own new directory under `root`."""
  return {w: common.make_trigger(w, os.path.join(root, f'{name}_{w}'), setup,
                                 interval, **kwargs) for w in WHICH}


def train_step_fn(setup: common.Setup) -> Callable[[], np.int64]:
  """One compiled SAC train step (batch 256, in-memory data) per call; returns the step."""
  iterator = iter(common.in_memory_dataset(setup.agent))
  train = common.compiled_train(setup.agent)

  def step():
    train(next(iterator))
    return setup.train_step.numpy()

  step()  # Traces.
  return step


def idle_call(idle: Dict[str, object], repeats: int, calls: int) -> Row:
  """ns per `trigger(step)` that does not fire, mean over `calls` per repeat."""
  samples = {w: [] for w in WHICH}
  value = np.int64(12345)

  def block(which):
    trigger = idle[which]
    start = time.perf_counter()
    for _ in range(calls):
      trigger(value)
    samples[which].append((time.perf_counter() - start) / calls * 1e9)

  common.alternate(repeats, lambda i: block('ours'),
                   lambda i: block('tf_agents'))
  return medians_row('idle trigger call', 'ns', samples)


def train_loop(idle: Dict[str, object], step: Callable[[], np.int64],
               cycles: int) -> List[Row]:
  """Train steps with no trigger, with ours, with tf_agents' (not firing).

  Each cycle runs one step of each variant, in an order that rotates, so the
  load is common to all three. Throughput ratio: median step time without a
  trigger ÷ with it (the step and the trigger call). Share: time in the
  trigger call ÷ loop time.
  """
  variants = ('none',) + WHICH
  step_s = {v: [] for v in variants}
  call_s = {w: [] for w in WHICH}
  for i in range(cycles):
    shift = i % len(variants)
    for v in variants[shift:] + variants[:shift]:
      t0 = time.perf_counter()
      value = step()
      t1 = time.perf_counter()
      if v != 'none':
        idle[v](value)
        call_s[v].append(time.perf_counter() - t1)
      step_s[v].append(time.perf_counter() - t0)
  without = statistics.median(step_s['none'])
  throughput = {w: without / statistics.median(step_s[w]) for w in WHICH}
  share = {w: 100 * sum(call_s[w]) / sum(step_s[w]) for w in WHICH}
  return [
      Row('loop throughput, with trigger ÷ without', '', throughput['ours'],
          throughput['tf_agents'], Target('ours', '>=', 0.99), step_s),
      Row('share of loop time in the trigger call', '%', share['ours'],
          share['tf_agents']),
  ]


def construction(setup: common.Setup, root: str, repeats: int) -> Row:
  """Seconds to construct a trigger exporting 3 SavedModels into a new directory.

  One untimed construction of each first (one-time traces); `gc.collect()`
  runs untimed before each, so a collection of earlier garbage lands in none.
  """
  samples = {w: [] for w in WHICH}

  def build(which, i):
    gc.collect()
    start = time.perf_counter()
    trigger = common.make_trigger(
        which, os.path.join(root, f'construct_{which}_{i}'), setup, 1000)
    seconds = time.perf_counter() - start
    if which == 'ours':
      trigger.close()
    if i >= 0:
      samples[which].append(seconds)

  build('ours', -1)
  build('tf_agents', -1)
  common.alternate(repeats, lambda i: build('ours', i),
                   lambda i: build('tf_agents', i))
  return medians_row('construction (3 SavedModels)', 's', samples,
                     Target('ratio', '<=', 1.0))


def sync_save(setup: common.Setup, root: str, repeats: int) -> List[Row]:
  """ms per synchronous checkpoint (a fire at interval 1), and its bytes on disk.

  Raises:
    RuntimeError: if a trigger wrote fewer checkpoints than it was asked to.
  """
  pair = build_pair(setup, root, 'sync', 1, save_greedy_policy=False,
                    save_collect_policy=False)
  samples = {w: [] for w in WHICH}

  def save(which):
    setup.train_step.assign_add(1)
    value = setup.train_step.numpy()
    start = time.perf_counter()
    pair[which](value)
    samples[which].append(1000 * (time.perf_counter() - start))

  save('ours')  # The first save of each traces.
  save('tf_agents')
  for values in samples.values():
    values.clear()
  common.alternate(repeats, lambda i: save('ours'),
                   lambda i: save('tf_agents'))
  pair['ours'].close()
  sizes = {}
  for w in WHICH:
    directory = os.path.join(root, f'sync_{w}')
    names = common.checkpoint_dirs(directory)
    if len(names) != repeats + 1:
      raise RuntimeError(f'{w} wrote {len(names)} checkpoints of {repeats + 1}')
    sizes[w] = common.dir_bytes(
        os.path.join(directory, 'checkpoints', names[-1]))
  return [medians_row('synchronous save', 'ms', samples,
                      Target('ratio', '<=', 1.0)),
          Row('bytes per checkpoint', 'B', sizes['ours'], sizes['tf_agents'])]


def measure(params: Dict[str, int], log: Callable[[str], None]) -> List[Row]:
  """Every measure of this module, in order; returns the rows."""
  rows = []
  with common.scratch_dir('micro') as root, common.absl_quiet():
    setup = common.make_setup()
    step = train_step_fn(setup)
    idle = build_pair(setup, root, 'idle', common.HUGE_INTERVAL,
                      save_greedy_policy=False, save_collect_policy=False)
    log('idle trigger call')
    rows.append(idle_call(idle, params['idle_repeats'], params['idle_calls']))
    log('train loop with and without the trigger')
    rows += train_loop(idle, step, params['loop_cycles'])
    idle['ours'].close()
    log('construction')
    rows.append(construction(setup, root, params['construct_repeats']))
    log('synchronous save')
    rows += sync_save(setup, root, params['sync_repeats'])
    setup.env.close()
  return rows


def markdown(mode: str, machine: Dict[str, object], rows: List[Row],
             elapsed_s: float) -> str:
  """The results file: command, machine, load and the table."""
  start, end = machine['load_average_at_start'], machine['load_average_at_end']
  busy = (' The machine is busy (a load average above its core count): '
          'absolute times vary from run to run; compare ours and tf_agents '
          'within this run.' if max(start + end) > machine['cores'] else '')
  lines = [
      "# Micro benchmarks: our PolicySavedModelTrigger vs tf_agents'", '',
      f'`python -m benchmarks.micro{"" if mode == "full" else " --" + mode}` '
      f'({elapsed_s / 60:.1f} min), '
      f'{machine["date"]}, {machine["cores"]} cores ({machine["cpu_model"]}), '
      f'tensorflow {machine["tensorflow"]}, tf_agents {machine["tf_agents"]}, '
      f'commit {machine["git_commit"]}.', '',
      f'Load average (1, 5, 15 min) at start {_load(start)}, at end '
      f'{_load(end)}.{busy}', '',
      '| measure | ours | tf_agents | ratio | target | met? |',
      '|---|---|---|---|---|---|',
  ]
  lines += ['| ' + ' | '.join(row.cells()) + ' |' for row in rows]
  lines += ['', 'Medians; ratio: ours ÷ tf_agents; method: the docstrings of '
            '`benchmarks/micro.py`.', '']
  return '\n'.join(lines)


def _load(load) -> str:
  return ', '.join(f'{x:.2f}' for x in load)


def main(argv: Optional[List[str]] = None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  mode = parser.add_mutually_exclusive_group()
  mode.add_argument('--quick', action='store_true', help='under 2 minutes')
  mode.add_argument('--smoke', action='store_true',
                    help='one repeat of everything, to check it runs; '
                    'needs --out')
  parser.add_argument('--out', help='path of the results without .md / .json '
                      '(default: benchmarks/results/micro)')
  args = parser.parse_args(argv)
  if args.smoke and not args.out:
    parser.error('--smoke writes its results only to an explicit --out')
  out = args.out or os.path.join(common.RESULTS_DIR, 'micro')
  name = 'smoke' if args.smoke else 'quick' if args.quick else 'full'
  params = {'smoke': SMOKE, 'quick': QUICK, 'full': FULL}[name]
  common.quiet_tensorflow()
  start = time.perf_counter()
  machine = common.machine_info()
  log = lambda message: print(
      f'[{time.perf_counter() - start:5.1f} s] {message}', flush=True)
  rows = measure(params, log)
  machine['load_average_at_end'] = os.getloadavg()
  elapsed_s = time.perf_counter() - start
  text = markdown(name, machine, rows, elapsed_s)
  os.makedirs(os.path.dirname(out), exist_ok=True)
  with open(out + '.md', 'w') as f:
    f.write(text)
  common.write_json(out + '.json', {
      'mode': name, 'params': params, 'machine': machine,
      'elapsed_s': elapsed_s, 'rows': [row.to_json() for row in rows]})
  print(text)
  return 0


if __name__ == '__main__':
  sys.exit(main())
