"""Measures 1-4, in this process, ours and tf_agents' triggers alternately.

All of them share one tutorial SAC minitaur agent ((256, 256) layers) and its
`train_step`; train steps are real `agent.train` calls (compiled, batch 256)
on an in-memory dataset of valid transitions.
"""

import os
import time
from typing import Callable, Dict

import numpy as np

from benchmarks import common

WHICH = ('ours', 'theirs')


class TrainLoop:
  """Real train steps; `run(n, trigger)` calls `trigger(step)` after each, as the Learner does."""

  def __init__(self, setup: common.Setup):
    self.setup = setup
    self._iterator = iter(common.in_memory_dataset(setup.agent))
    self._train = common.compiled_train(setup.agent)
    self._train(next(self._iterator))  # Traces.

  def step(self):
    self._train(next(self._iterator))
    return self.setup.train_step.numpy()  # np.int64, as Learner.run passes it.

  def run(self, n: int, trigger=None) -> float:
    """Seconds for `n` train steps, `trigger` called after each if given."""
    start = time.perf_counter()
    if trigger is None:
      for _ in range(n):
        self.step()
    else:
      for _ in range(n):
        trigger(self.step())
    return time.perf_counter() - start


# ----------------------------------------------------------------------------
# 1. Idle trigger call and train-loop throughput


def idle_call(setup: common.Setup, repeats: int, calls: int,
              log=print) -> Dict[str, object]:
  """ns per `trigger(step)` that does not fire (interval 10**12)."""
  results = {}
  with common.scratch_dir('idle') as root, common.absl_quiet():
    trig = {w: common.make_trigger(w, os.path.join(root, w), setup,
                                   common.HUGE_INTERVAL,
                                   save_greedy_policy=False,
                                   save_collect_policy=False)
            for w in WHICH}
    for label, value in (('np.int64 (as Learner.run passes)',
                          np.int64(12345)), ('int', 12345)):
      series = {w: common.Series() for w in WHICH}

      def block(which, value=value, series=series):
        fn = trig[which]
        start = time.perf_counter()
        for _ in range(calls):
          fn(value)
        series[which].add((time.perf_counter() - start) / calls * 1e9)

      def noop(value):
        del value
      start = time.perf_counter()
      for _ in range(calls):
        noop(value)
      baseline = (time.perf_counter() - start) / calls * 1e9

      common.alternate(repeats, lambda i: block('ours'),
                       lambda i: block('theirs'))
      results[label] = {
          'ours_ns': series['ours'].summary(),
          'theirs_ns': series['theirs'].summary(),
          'ratio': common.ratio(series['ours'].median,
                                series['theirs'].median),
          'empty_python_call_ns': baseline,
          'calls_per_block': calls,
      }
      log(f'  idle call ({label}): ours {series["ours"].median:.0f} ns, '
          f'theirs {series["theirs"].median:.0f} ns')
    for t in trig.values():
      if hasattr(t, 'close'):
        t.close()
  return results


def loop_throughput(setup: common.Setup, loop: TrainLoop, cycles: int,
                    chunk: int, log=print) -> Dict[str, object]:
  """Train steps/s without a trigger, with ours, with theirs (interval 10**12).

  Interleaved at the finest grain, so the machine's load is common to all
  three: each cycle runs one train step per variant (none, ours, theirs, in
  an order that rotates every cycle), each timed on its own (the step, then
  `trigger(train_step.numpy())` as `Learner.run` calls it). Throughput =
  1 / median step time (n = `cycles` per variant); min and max are over
  chunks of `chunk` cycles (mean throughput per chunk). The trigger call is
  also timed on its own, giving its exact share of the loop.
  """
  variants = ('none', 'ours', 'theirs')
  times = {v: [] for v in variants}
  trigger_times = {w: [] for w in WHICH}
  with common.scratch_dir('loop') as root, common.absl_quiet():
    trig = {w: common.make_trigger(w, os.path.join(root, w), setup,
                                   common.HUGE_INTERVAL,
                                   save_greedy_policy=False,
                                   save_collect_policy=False)
            for w in WHICH}
    loop.run(20)  # Warm up.
    orders = [('none', 'ours', 'theirs'), ('theirs', 'none', 'ours'),
              ('ours', 'theirs', 'none'), ('none', 'theirs', 'ours'),
              ('ours', 'none', 'theirs'), ('theirs', 'ours', 'none')]
    perf = time.perf_counter
    step = loop.step
    for i in range(cycles):
      for v in orders[i % len(orders)]:
        fn = trig.get(v)
        t0 = perf()
        value = step()
        t1 = perf()
        if fn is not None:
          fn(value)
          t2 = perf()
          trigger_times[v].append(t2 - t1)
        else:
          t2 = t1
        times[v].append(t2 - t0)
    trig['ours'].close()

  def per_step(v):
    return float(np.median(times[v]))

  def chunks(v):
    series = common.Series()
    values = times[v]
    for k in range(0, len(values) - chunk + 1, chunk):
      series.add(chunk / sum(values[k:k + chunk]))
    return series

  result = {'cycles': cycles, 'chunk': chunk}
  for v in variants:
    summary = chunks(v).summary()
    summary['median_step_throughput'] = 1.0 / per_step(v)
    result[f'{v}_steps_per_s'] = summary
  none = np.asarray(times['none'])
  for w in WHICH:
    result[f'{w}_ratio_with_without'] = per_step('none') / per_step(w)
    result[f'{w}_paired_ratio'] = float(np.median(none / np.asarray(times[w])))
    result[f'{w}_mean_ratio'] = float(none.mean() / np.mean(times[w]))
    share = sum(trigger_times[w]) / sum(times[w])
    result[f'{w}_trigger_share'] = share
    result[f'{w}_trigger_call_ns_median'] = float(
        np.median(trigger_times[w]) * 1e9)
  log(f'  loop: none {1 / per_step("none"):.1f}, ours '
      f'{1 / per_step("ours"):.1f}, theirs {1 / per_step("theirs"):.1f} '
      f'steps/s; trigger share ours {100 * result["ours_trigger_share"]:.4f}%'
      f', theirs {100 * result["theirs_trigger_share"]:.4f}%')
  return result


# ----------------------------------------------------------------------------
# 2. Construction


def construction(setup: common.Setup, repeats: int,
                 log=print) -> Dict[str, object]:
  """Seconds to construct each trigger (three SavedModels) into a fresh directory.

  Python's gen-2 garbage collections take 0.2-0.5 s in this process (its heap
  holds many traced TF functions) and land on whichever construction crosses
  the threshold, so `gc.collect()` runs (untimed) before each; collections
  that still happen inside a timed construction are recorded. One untimed
  construction of each goes first.
  """
  from tf_agents.policies import policy_saver  # pylint: disable=g-import-not-at-top
  series = {w: common.Series() for w in WHICH}
  own = {w: common.Series() for w in WHICH}
  cpu = {w: common.Series() for w in WHICH}
  gc_seconds = {w: common.Series() for w in WHICH}
  sizes = {}
  pending = {}

  # Time inside tf_agents' PolicySaver (__init__ traces, save exports), which
  # both triggers call the same number of times; the rest is the trigger's own.
  in_saver = {'s': 0.0}
  originals = {name: getattr(policy_saver.PolicySaver, name)
               for name in ('__init__', 'save')}

  def timed(original):
    def wrapper(self, *args, **kwargs):
      start = time.perf_counter()
      try:
        return original(self, *args, **kwargs)
      finally:
        in_saver['s'] += time.perf_counter() - start
    return wrapper

  for name, original in originals.items():
    setattr(policy_saver.PolicySaver, name, timed(original))
  try:
    _construct(root_prefix='construct', setup=setup, repeats=repeats,
               series=series, own=own, cpu=cpu, gc_seconds=gc_seconds,
               sizes=sizes, pending=pending, in_saver=in_saver)
  finally:
    for name, original in originals.items():
      setattr(policy_saver.PolicySaver, name, original)
  log(f'  construction: ours {series["ours"].median:.2f} s, theirs '
      f'{series["theirs"].median:.2f} s; own code (outside PolicySaver) ours '
      f'{1000 * own["ours"].median:.1f} ms, theirs '
      f'{1000 * own["theirs"].median:.1f} ms')
  return {'ours_s': series['ours'].summary(),
          'theirs_s': series['theirs'].summary(),
          'ratio': common.ratio(series['ours'].median,
                                series['theirs'].median),
          'ours_own_code_s': own['ours'].summary(),
          'theirs_own_code_s': own['theirs'].summary(),
          'ours_cpu_s': cpu['ours'].summary(),
          'theirs_cpu_s': cpu['theirs'].summary(),
          'cpu_ratio': common.ratio(cpu['ours'].median, cpu['theirs'].median),
          'ours_gc_s': gc_seconds['ours'].summary(),
          'theirs_gc_s': gc_seconds['theirs'].summary(),
          'ours_bytes': sizes['ours'], 'theirs_bytes': sizes['theirs']}


def _construct(root_prefix, setup, repeats, series, own, cpu, gc_seconds,
               sizes, pending, in_saver):
  """The timed constructions of `construction`."""
  import gc  # pylint: disable=g-import-not-at-top

  def on_gc(phase, info):
    del info
    if phase == 'start':
      pending['start'] = time.perf_counter()
    elif 'start' in pending:
      pending['total'] = (pending.get('total', 0.0) + time.perf_counter()
                          - pending.pop('start'))

  with common.scratch_dir(root_prefix) as root, common.absl_quiet():

    def build(which, i):
      directory = os.path.join(root, f'{which}_{i}')
      gc.collect()
      pending.clear()
      in_saver['s'] = 0.0
      gc.callbacks.append(on_gc)
      try:
        start, start_cpu = time.perf_counter(), time.process_time()
        trigger = common.make_trigger(which, directory, setup, 1000)
        series[which].add(time.perf_counter() - start)
        cpu[which].add(time.process_time() - start_cpu)
        own[which].add(series[which].values[-1] - in_saver['s'])
      finally:
        gc.callbacks.remove(on_gc)
      gc_seconds[which].add(pending.get('total', 0.0))
      sizes[which] = common.dir_bytes(directory)
      if hasattr(trigger, 'close'):
        trigger.close()

    # One untimed construction of each first: the first in a process pays
    # one-time costs (imports, first traces) that are no trigger's.
    build('ours', 'warmup')
    build('theirs', 'warmup')
    for w in WHICH:
      for kept in (series, own, cpu, gc_seconds):
        kept[w].values.clear()
    common.alternate(repeats, lambda i: build('ours', i),
                     lambda i: build('theirs', i))


# ----------------------------------------------------------------------------
# 3. Synchronous checkpoint save, and the disk's sequential write speed


def disk_write_speed(directory: str, mib: int, repeats: int
                     ) -> Dict[str, object]:
  """MB/s writing `mib` MiB in 1 MiB blocks, without and with fsync."""
  block = os.urandom(1 << 20)
  series = {'no_fsync': common.Series(), 'fsync': common.Series()}

  def write(kind, i):
    path = os.path.join(directory, f'disk_{kind}_{i}')
    start = time.perf_counter()
    with open(path, 'wb') as f:
      for _ in range(mib):
        f.write(block)
      if kind == 'fsync':
        f.flush()
        os.fsync(f.fileno())
    seconds = time.perf_counter() - start
    os.remove(path)
    series[kind].add(mib * (1 << 20) / seconds / 1e6)

  common.alternate(repeats, lambda i: write('no_fsync', i),
                   lambda i: write('fsync', i))
  return {'mib': mib, 'no_fsync_MBps': series['no_fsync'].summary(),
          'fsync_MBps': series['fsync'].summary()}


def sync_save(setup: common.Setup, repeats: int, disk_mib: int,
              profile_fires: int = 0, log=print) -> Dict[str, object]:
  """Seconds per synchronous policy checkpoint and its bytes on disk."""
  series = {w: common.Series() for w in WHICH}
  with common.scratch_dir('sync') as root, common.absl_quiet():
    dirs = {w: os.path.join(root, w) for w in WHICH}
    trig = {w: common.make_trigger(w, dirs[w], setup, 1) for w in WHICH}

    def save(which):
      setup.train_step.assign_add(1)
      value = setup.train_step.numpy()
      start = time.perf_counter()
      trig[which](value)
      series[which].add(time.perf_counter() - start)

    save('ours')  # Warm up (first saves trace/allocate).
    save('theirs')
    for w in WHICH:
      series[w].values.clear()
    common.alternate(repeats, lambda i: save('ours'),
                     lambda i: save('theirs'))
    sizes = {}
    files = {}
    for w in WHICH:
      names = common.checkpoint_dirs(dirs[w])
      assert len(names) == repeats + 1, (w, len(names))
      path = os.path.join(dirs[w], 'checkpoints', names[-1])
      sizes[w] = common.dir_bytes(path)
      files[w] = sorted(
          os.path.relpath(os.path.join(d, f), path)
          for d, _, fs in os.walk(path) for f in fs)
    profiles = {}
    if profile_fires:
      for w in WHICH:
        profiles[w] = profile_calls(
            lambda w=w: trig[w](setup.train_step.numpy()), profile_fires,
            before=lambda: setup.train_step.assign_add(1))
    trig['ours'].close()
    disk = disk_write_speed(root, disk_mib, 2)
  result = {'ours_s': series['ours'].summary(),
            'theirs_s': series['theirs'].summary(),
            'ratio': common.ratio(series['ours'].median,
                                  series['theirs'].median),
            'ours_bytes': sizes['ours'], 'theirs_bytes': sizes['theirs'],
            'bytes_ratio': common.ratio(sizes['ours'], sizes['theirs']),
            'ours_files': files['ours'], 'theirs_files': files['theirs'],
            'disk': disk, 'profile': profiles}
  for w in WHICH:
    result[f'{w}_MBps'] = sizes[w] / series[w].median / 1e6
  log(f'  sync save: ours {1000 * series["ours"].median:.1f} ms '
      f'({sizes["ours"]} B), theirs {1000 * series["theirs"].median:.1f} ms '
      f'({sizes["theirs"]} B); disk {disk["fsync_MBps"]["median"]:.0f} MB/s '
      f'fsync, {disk["no_fsync_MBps"]["median"]:.0f} MB/s no fsync')
  return result


# ----------------------------------------------------------------------------
# 4. Async saving: time blocked per save, saves requested vs written


def async_saving(setup: common.Setup, loop: TrainLoop, intervals,
                 rounds: int, steps: int, profile_fires: int = 0,
                 log=print) -> Dict[str, object]:
  """Train loop with an async trigger every `interval` steps, ours and theirs in turn.

  One trigger of each is built with `async_saving=True`; for each interval in
  `intervals` (set on both before the scenario) each round runs `steps` train
  steps with ours, then with theirs (alternating who goes first), flushing
  each (untimed) after its block so its background writes do not spill into
  the other's. A call is a save request when it moves the trigger's last
  trigger value.
  """
  results = {}
  with common.scratch_dir('async') as root, common.absl_quiet():
    dirs = {w: os.path.join(root, w) for w in WHICH}
    trig = {w: common.make_trigger(w, dirs[w], setup, 1, async_saving=True)
            for w in WHICH}
    common.flush_tf_agents_async_savers()  # Their SavedModels are async too.
    ours_writer = trig['ours'].writer
    for interval in intervals:
      for w in WHICH:
        trig[w]._interval = interval  # pylint: disable=protected-access
      results[interval] = _async_scenario(
          trig, dirs, ours_writer, loop, interval, rounds, steps, log)
    profile = None
    if profile_fires:
      # The caller's part of ours' async fire, with the writer idle.
      trig['ours']._interval = 1  # pylint: disable=protected-access

      def before():
        trig['ours'].flush()
        setup.train_step.assign_add(1)

      profile = profile_calls(
          lambda: trig['ours'](setup.train_step.numpy()), profile_fires,
          before=before)
      profile['decomposition'] = _fire_decomposition(
          setup, trig['ours'], before, profile_fires)
    trig['ours'].close()
    closed = common.close_tf_agents_async_savers()
  return {'scenarios': results, 'tf_agents_savers_closed': closed,
          'profile_ours_fire': profile}


def _async_scenario(trig, dirs, ours_writer, loop, interval, rounds, steps,
                    log):
  blocked = {w: common.Series() for w in WHICH}
  idle = {w: common.Series() for w in WHICH}
  speed = {w: common.Series() for w in WHICH}
  requested = {w: 0 for w in WHICH}
  dirs_before = {w: len(common.checkpoint_dirs(dirs[w])) for w in WHICH}
  writer_before = {k: getattr(ours_writer, k) for k in
                   ('requested', 'written', 'coalesced', 'already_present')}

  def flush(which):
    if which == 'ours':
      trig['ours'].flush()
    else:
      common.flush_tf_agents_async_savers()

  def block(which):
    fn = trig[which]
    start = time.perf_counter()
    for _ in range(steps):
      value = loop.step()
      before = fn._last_trigger_value  # pylint: disable=protected-access
      t0 = time.perf_counter()
      fn(value)
      t1 = time.perf_counter()
      if fn._last_trigger_value != before:  # pylint: disable=protected-access
        blocked[which].add(t1 - t0)
        requested[which] += 1
      else:
        idle[which].add(t1 - t0)
    speed[which].add(steps / (time.perf_counter() - start))
    flush(which)

  common.alternate(rounds, lambda i: block('ours'), lambda i: block('theirs'))
  written = {w: len(common.checkpoint_dirs(dirs[w])) - dirs_before[w]
             for w in WHICH}
  writer = {k: getattr(ours_writer, k) - v for k, v in writer_before.items()}
  counts = {
      'ours': {'requested': requested['ours'],
               'writer_requested': writer['requested'],
               'written': writer['written'],
               'dirs_on_disk': written['ours'],
               'coalesced': writer['coalesced'],
               'already_present': writer['already_present']},
      'theirs': {'requested': requested['theirs'],
                 'dirs_on_disk': written['theirs']},
  }
  counts['ours']['lost_silently'] = (
      counts['ours']['requested'] - counts['ours']['dirs_on_disk']
      - counts['ours']['coalesced'] - counts['ours']['already_present'])
  counts['theirs']['lost_silently'] = (
      counts['theirs']['requested'] - counts['theirs']['dirs_on_disk'])
  log(f'  async (interval {interval}): blocked ours '
      f'{1000 * blocked["ours"].median:.2f} ms, theirs '
      f'{1000 * blocked["theirs"].median:.2f} ms; ours {counts["ours"]}, '
      f'theirs {counts["theirs"]}')
  return {'interval': interval, 'rounds': rounds, 'steps_per_round': steps,
          'ours_blocked_s': blocked['ours'].summary(),
          'theirs_blocked_s': blocked['theirs'].summary(),
          'ours_idle_call_s': idle['ours'].summary(),
          'theirs_idle_call_s': idle['theirs'].summary(),
          'ours_loop_steps_per_s': speed['ours'].summary(),
          'theirs_loop_steps_per_s': speed['theirs'].summary(),
          'ratio': common.ratio(blocked['ours'].median,
                                blocked['theirs'].median),
          'counts': counts}


def profile_calls(call: Callable[[], None], fires: int,
                  before: Callable[[], None] = lambda: None, top: int = 15
                  ) -> Dict[str, object]:
  """cProfile of `fires` calls of `call` (`before` runs unprofiled first): top functions by cumulative time."""
  import cProfile  # pylint: disable=g-import-not-at-top
  import pstats  # pylint: disable=g-import-not-at-top
  profiler = cProfile.Profile()
  for _ in range(fires):
    before()
    profiler.enable()
    call()
    profiler.disable()
  stats = pstats.Stats(profiler)
  rows = []
  for (filename, line, func), (_, nc, tt, ct, _) in stats.stats.items():
    short = filename.split('site-packages/')[-1].split(common.REPO_ROOT + '/')[-1]
    rows.append({'function': f'{short}:{line}({func})',
                 'ncalls_per_call': nc / fires,
                 'tottime_ms_per_call': 1000 * tt / fires,
                 'cumtime_ms_per_call': 1000 * ct / fires})
  rows.sort(key=lambda r: -r['cumtime_ms_per_call'])
  selected = [r for r in rows
              if r['function'].startswith('triggers/')
              or any(k in r['function'] for k in _SELECTED)]
  return {'calls': fires, 'by_cumtime': rows[:top], 'selected': selected}


# Functions whose time the report names, besides everything in triggers/.
_SELECTED = ('operative_config_str', '_gather_serialized_tensors',
             'save_checkpoint', 'checkpoint.py:2252(write)', 'save_v2(',
             'merge_v2_checkpoints(', 'post_process_policy', '_sha256')


def _fire_decomposition(setup, trigger, before, n):
  """Real (uninstrumented) medians of ours' async fire and of its parts, in ms.

  Parts are called the way `_save_fn` and `CheckpointWriter.save` call them:
  the writer's `Snapshotter.take()` (one tf.function read of every variable,
  then a copy; TF's `_gather_serialized_tensors` ran once, at construction).
  `gin.operative_config_str()` now runs on the writer thread, timed for
  reference.
  """
  import gin  # pylint: disable=g-import-not-at-top
  from tensorflow.python.training.saving import saveable_object  # pylint: disable=g-import-not-at-top
  checkpoint = trigger.writer._checkpoint  # pylint: disable=protected-access
  serialized = checkpoint._saver._gather_serialized_tensors(None)[0]  # pylint: disable=protected-access

  def read_each_once():
    for tensors in serialized.values():
      for tensor in tensors.values():
        if isinstance(tensor, saveable_object.SaveSpec):
          tensor = tensor.tensor
        np.array(tensor, copy=True)

  def read_savespecs():
    for tensors in serialized.values():
      for tensor in tensors.values():
        if isinstance(tensor, saveable_object.SaveSpec):
          tensor.tensor  # pylint: disable=pointless-statement

  parts = {
      'whole_fire': lambda: trigger(setup.train_step.numpy()),
      'take':
          trigger.writer._snapshotter.take,  # pylint: disable=protected-access
      'gather':
          lambda: checkpoint._saver._gather_serialized_tensors(None),  # pylint: disable=protected-access
      'read_each_once':
          read_each_once,
      'read_savespecs':
          read_savespecs,
      'gin_operative_config_str': gin.operative_config_str,
      'post_process_policy': setup.agent.post_process_policy,
  }
  series = {name: common.Series() for name in parts}
  for _ in range(n):
    for name, fn in parts.items():
      before()
      start = time.perf_counter()
      fn()
      series[name].add(1000 * (time.perf_counter() - start))
  trigger.flush()
  return {name: s.summary() for name, s in series.items()}
