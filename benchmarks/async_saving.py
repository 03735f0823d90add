r"""Async saving: how long a save blocks the train loop, ours vs tf_agents'.

  .venv/bin/python -m benchmarks.async_saving            # 2-5 min on 2 cores
  .venv/bin/python -m benchmarks.async_saving --quick    # under a minute

The tutorial's SAC minitaur agent ((256, 256) networks, MinitaurBulletEnv-v0
specs) runs real train steps (compiled `agent.train`, batch 256, in-memory
transitions); after each, the trigger is called with `train_step.numpy()` as
`Learner.run` calls it. Three triggers take turns, in blocks of train steps
whose order rotates each round: ours with `async_saving=True`, tf_agents'
`PolicySavedModelTrigger(async_saving=True)`, and ours synchronous (the
reference). Each is flushed, untimed, after its block. A fire is timed from
the call to its return; saves requested / written / coalesced / lost are
counted per trigger (written = directories on disk; lost = requested and
neither written, coalesced, already present nor reported failed).

A second part times each piece of ours' fire directly after a train step, as
it runs in the loop (caches cold, TensorFlow's threads just finished).

Prints the tables and writes benchmarks/results/async_saving.md.
"""

import argparse
import os
import statistics
import threading
import time
from typing import Callable, Dict, List

from benchmarks import common

RESULT = os.path.join(common.RESULTS_DIR, 'async_saving.md')
QUICK = dict(mode='quick', rounds=2, steps={1: 20, 10: 60}, parts=30)
FULL = dict(mode='full', rounds=8, steps={1: 60, 10: 300}, parts=300)
VARIANTS = ('ours async', 'tf_agents async', 'ours sync')
TARGET_S = 0.2e-3


def percentiles(values: List[float]) -> Dict[str, float]:
  """median, p90 and max of `values` (seconds)."""
  ordered = sorted(values)
  return {'n': len(ordered), 'median': statistics.median(ordered),
          'p90': ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
          'max': ordered[-1]}


class TrainLoop:
  """Real train steps of `setup.agent` on in-memory transitions."""

  def __init__(self, setup: common.Setup):
    self.train_step = setup.train_step
    self._iterator = iter(common.in_memory_dataset(setup.agent))
    self._train = common.compiled_train(setup.agent)
    self.step()  # Traces.

  def step(self):
    self._train(next(self._iterator))
    return self.train_step.numpy()


def build(which: str, saved_model_dir: str, setup: common.Setup,
          interval: int):
  """One of VARIANTS, exporting the raw policy only (both trainers save its checkpoint)."""
  return common.make_trigger(
      'theirs' if which == 'tf_agents async' else 'ours', saved_model_dir,
      setup, interval, async_saving=(which != 'ours sync'),
      save_greedy_policy=False, save_collect_policy=False)


def flush(which: str, trigger) -> None:
  if which == 'tf_agents async':
    common.flush_tf_agents_async_savers()
  else:
    trigger.flush()


def scenario(trig, dirs, loop: TrainLoop, interval: int, rounds: int,
             steps: int, log) -> Dict[str, object]:
  """Blocking time per fire and save counts of each variant at `interval`."""
  blocked = {w: [] for w in VARIANTS}
  counts = {w: dict(requested=0, written=0, coalesced=0, already_present=0,
                    failed=0) for w in VARIANTS}

  def block(which):
    trigger = trig[which]
    start = int(loop.train_step.numpy())
    trigger.set_start(start)
    dirs_before = len(common.checkpoint_dirs(dirs[which]))
    writer = getattr(trigger, 'writer', None)
    before = {k: getattr(writer, k) for k in counts[which]} if writer else {}
    for _ in range(steps):
      value = loop.step()
      t0 = time.perf_counter()
      trigger(value)
      t1 = time.perf_counter()
      if (value - start) % interval == 0:  # Each fire, for both classes.
        blocked[which].append(t1 - t0)
        counts[which]['requested'] += 1
    flush(which, trigger)
    counts[which]['written'] += (len(common.checkpoint_dirs(dirs[which]))
                                 - dirs_before)
    for key in ('coalesced', 'already_present', 'failed'):
      if writer:
        counts[which][key] += getattr(writer, key) - before[key]
    if writer:  # Ours counts requests itself: the two must agree.
      assert writer.requested - before['requested'] == steps // interval

  for r in range(rounds):
    order = VARIANTS[r % 3:] + VARIANTS[:r % 3]
    for which in order:
      block(which)
  for which in VARIANTS:
    c = counts[which]
    c['lost'] = (c['requested'] - c['written'] - c['coalesced']
                 - c['already_present'] - c['failed'])
  stats = {w: percentiles(blocked[w]) for w in VARIANTS}
  for w in VARIANTS:
    log(f'  interval {interval:>2} {w:16s} median '
        f'{1e3 * stats[w]["median"]:.3f} ms, p90 {1e3 * stats[w]["p90"]:.3f}, '
        f'max {1e3 * stats[w]["max"]:.3f}; {counts[w]}')
  return {'interval': interval, 'stats': stats, 'counts': counts,
          'blocked_s': blocked}


def fire_parts(setup: common.Setup, loop: TrainLoop, ours, theirs, n: int,
               log) -> Dict[str, Dict[str, float]]:
  """Each piece of ours' async fire, timed right after a train step (writer idle).

  Pieces in the order a fire runs them; each is timed on its own, after its
  own train step, so each starts as cold as in the loop. `ours` and `theirs`
  are async triggers at interval 1.
  """
  import gin  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from triggers import policy_saved_model_trigger  # pylint: disable=g-import-not-at-top
  from triggers import variable_snapshot  # pylint: disable=g-import-not-at-top

  policy = setup.agent.policy
  snapshotter = variable_snapshot.Snapshotter(tf.train.Checkpoint(
      policy=policy, model_variables=policy.variables(),
      train_step=setup.train_step))
  gin_hash = policy_saved_model_trigger.GinConfigHash()
  gin_hash()
  cond = threading.Condition()
  waiting = threading.Event()
  stop = []

  def waiter():
    with cond:
      while not stop:
        waiting.set()
        cond.wait()

  thread = threading.Thread(target=waiter, daemon=True)
  thread.start()

  def notify_idle_thread():
    with cond:
      cond.notify_all()

  def before_notify():
    waiting.wait()
    waiting.clear()

  parts: Dict[str, Callable[[], object]] = {
      'a first TF op: train_step.numpy()': setup.train_step.numpy,
      'snapshot: Snapshotter.take() (7 reads)': snapshotter.take,
      'gin hash, config unchanged': gin_hash,
      'gin.operative_config_str() (avoided)': gin.operative_config_str,
      'hand-off: notify an idle thread': notify_idle_thread,
      'whole fire, ours async': lambda: ours(setup.train_step.numpy()),
      'whole fire, tf_agents async': lambda: theirs(setup.train_step.numpy()),
  }
  prepare = {'hand-off: notify an idle thread': before_notify,
             'whole fire, ours async': ours.flush,
             'whole fire, tf_agents async':
                 common.flush_tf_agents_async_savers}
  times = {name: [] for name in parts}
  for _ in range(n):
    for name, part in parts.items():
      prepare.get(name, lambda: None)()
      loop.step()
      t0 = time.perf_counter()
      part()
      times[name].append(time.perf_counter() - t0)
  with cond:
    stop.append(True)
    cond.notify_all()
  # tf_agents' AsyncPolicySaver.close() hangs if it runs just as a save
  # ends (its thread then waits without checking for close): flush first.
  common.flush_tf_agents_async_savers()
  result = {name: percentiles(values) for name, values in times.items()}
  for name, s in result.items():
    log(f'  {name:42s} median {1e6 * s["median"]:7.1f} us, '
        f'p90 {1e6 * s["p90"]:7.1f}')
  return result


def render(params, machine, load_end, scenarios, parts, wall_s) -> str:
  """The markdown report."""
  lines = [
      '# Async saving: time a save blocks the train loop, ours vs tf_agents',
      '',
      'Rerun: `.venv/bin/python -m benchmarks.async_saving` (`--quick`: '
      'under a minute). Method: see the docstring of '
      '`benchmarks/async_saving.py`.',
      '',
      f'Mode **{params["mode"]}**, {wall_s / 60:.1f} min, {machine["date"]}, '
      f'{machine["cores"]} cores ({machine["cpu_model"]}), tensorflow '
      f'{machine["tensorflow"]}, tf_agents {machine["tf_agents"]}, commit '
      f'{machine["git_commit"]}.',
      f'Load average (1, 5, 15 min) at start {_load(machine["load_average_at_start"])}, '
      f'at end {_load(load_end)}: the machine is shared; compare rows of '
      'one run, not runs.',
      '',
      '## Blocking time per fire',
      '',
      f'Target: ours async median <= {1e3 * TARGET_S:.1f} ms with no save '
      'lost. Share = median / median of ours sync at the same interval.',
      '',
      '| interval | trigger | fires | median ms | p90 ms | max ms | share of '
      'ours sync | requested | written | coalesced | lost |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  for sc in scenarios:
    sync = sc['stats']['ours sync']['median']
    for w in VARIANTS:
      s, c = sc['stats'][w], sc['counts'][w]
      lines.append(
          f'| {sc["interval"]} | {w} | {s["n"]} | {1e3 * s["median"]:.3f} | '
          f'{1e3 * s["p90"]:.3f} | {1e3 * s["max"]:.3f} | '
          f'{100 * s["median"] / sync:.1f}% | {c["requested"]} | '
          f'{c["written"]} | {c["coalesced"]} | {c["lost"]} |')
  lines += [
      '',
      'tf_agents drops a request while its thread writes (lost, not '
      'counted by it); ours replaces a waiting request by the newer one '
      '(coalesced, counted) and writes the newest.',
      '',
      "## Ours' fire, piece by piece",
      '',
      'Each piece timed on its own right after a train step, writer idle '
      f'({parts["n"]} times each).',
      '',
      '| piece | median us | p90 us |',
      '|---|---|---|',
  ]
  for name, s in parts['parts'].items():
    lines.append(f'| {name} | {1e6 * s["median"]:.1f} | {1e6 * s["p90"]:.1f} |')
  lines.append('')
  return '\n'.join(lines)


def _load(load) -> str:
  return ', '.join(f'{x:.2f}' for x in load) if load else 'unknown'


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--quick', action='store_true',
                      help='fewer rounds and steps: under a minute')
  args = parser.parse_args(argv)
  params = QUICK if args.quick else FULL
  common.quiet_tensorflow()
  start = time.perf_counter()
  machine = common.machine_info()
  log = lambda message: print(
      f'[{time.perf_counter() - start:5.1f} s] {message}', flush=True)
  with common.scratch_dir('async_saving') as root, common.absl_quiet():
    setup = common.make_setup()
    loop = TrainLoop(setup)
    # One directory per variant: ours finds its SavedModel there again.
    dirs = {w: os.path.join(root, w.replace(' ', '_')) for w in VARIANTS}
    scenarios, triggers_at = [], {}
    for interval, steps in params['steps'].items():
      log(f'Building the triggers at interval {interval}.')
      trig = {w: build(w, dirs[w], setup, interval) for w in VARIANTS}
      common.flush_tf_agents_async_savers()  # Their SavedModel is async.
      log(f'Blocking time per fire at interval {interval}:')
      scenarios.append(scenario(trig, dirs, loop, interval, params['rounds'],
                                steps, log))
      triggers_at[interval] = trig
    log("Ours' fire, piece by piece:")
    parts = {'n': params['parts'],
             'parts': fire_parts(setup, loop, triggers_at[1]['ours async'],
                                 triggers_at[1]['tf_agents async'],
                                 params['parts'], log)}
    for trig in triggers_at.values():
      trig['ours async'].close()
      trig['ours sync'].close()
    common.close_tf_agents_async_savers()
  text = render(params, machine, os.getloadavg(), scenarios, parts,
                time.perf_counter() - start)
  os.makedirs(common.RESULTS_DIR, exist_ok=True)
  with open(RESULT, 'w') as f:
    f.write(text)
  print(text)
  return 0


if __name__ == '__main__':
  raise SystemExit(main())
