"""Times the real objects of a train_eval process, region by region.

`install()` wraps methods of the classes a train_eval job runs (tf_agents'
environment, policy, Actor and Learner; train_eval's writer, trainer, weights
and console) so that every moment of the main thread is charged to exactly one
region: the innermost one running (a region's own time excludes the regions
it calls). Time outside every region is 'loop (rest)'. Nothing else changes:
each wrapper calls the original.

An iteration is one train step (`learning.Trainer.train`) in a process that
trains, one environment step of `collection.Collector.run` in a collect job. After `warmup`
iterations the counts restart, and every `DUMP_EVERY` iterations the totals
are written to PROFILE_DIR/<job>.json: wall (perf_counter) and CPU
(process_time: every thread of the process while the region ran) per region,
and the CPU of each thread group (by thread name, from /proc) over the window.

benchmarks/profile_site/sitecustomize.py calls `install()` in every Python
process started with GIN_TRIGGERS_PROFILE_DIR set (train_eval's jobs inherit
the environment), so separate jobs are profiled too.
"""

import collections
import contextlib
import ctypes
import functools
import json
import os
import re
import sys
import threading
import time
from typing import Callable, Dict, Optional

DIR_VARIABLE = 'GIN_TRIGGERS_PROFILE_DIR'
WARMUP_VARIABLE = 'GIN_TRIGGERS_PROFILE_WARMUP'
DUMP_EVERY = 100
REST = 'loop (rest)'
SAMPLE_ALONE_BATCHES = 100


class Profile:
  """Exclusive wall and CPU time per region, on the main thread."""

  def __init__(self, path: str, warmup: int):
    self.path, self.warmup = path, warmup
    self.iterations, self.counted_as = 0, None
    self.extra: Dict[str, object] = {}
    self.env_steps_seen = 0
    self._stack = [REST]
    self._reset()

  def _reset(self):
    self.wall = collections.defaultdict(float)
    self.cpu = collections.defaultdict(float)
    self.calls = collections.Counter()
    self._mark = (time.perf_counter(), time.process_time())
    self._threads0 = thread_cpu()
    self._window_start = self._mark[0]
    self.window_iterations = 0

  def _charge(self):
    wall, cpu = time.perf_counter(), time.process_time()
    top = self._stack[-1]
    self.wall[top] += wall - self._mark[0]
    self.cpu[top] += cpu - self._mark[1]
    self._mark = (wall, cpu)

  @contextlib.contextmanager
  def region(self, name: str):
    if threading.current_thread() is not threading.main_thread():
      yield  # Another thread's time (background collection) is not the
      return  # main thread's: the thread line shows its CPU.
    self._charge()
    self._stack.append(name)
    self.calls[name] += 1
    try:
      yield
    finally:
      self._charge()
      self._stack.pop()

  def iteration(self, kind: str, count: int = 1) -> None:
    """Counts `count` iterations of `kind` (the first kind seen in a process
    wins unless a train step comes later: a training process counts train
    steps)."""
    if self.counted_as is None or (kind == 'train' and self.counted_as != 'train'):
      self.counted_as, self.iterations = kind, 0
    if kind != self.counted_as or count <= 0:
      return
    before, self.iterations = self.iterations, self.iterations + count
    if before < self.warmup <= self.iterations:
      self._reset()
    elif before >= self.warmup:
      dumped = self.window_iterations // DUMP_EVERY
      self.window_iterations += count
      if self.window_iterations // DUMP_EVERY > dumped:
        self.dump()

  def dump(self) -> None:
    self._charge()
    threads1 = thread_cpu()
    content = {
        'argv': sys.argv, 'iteration': self.counted_as,
        'iterations': self.window_iterations,
        'window_wall_s': time.perf_counter() - self._window_start,
        'wall_s': dict(self.wall), 'cpu_s': dict(self.cpu),
        'calls': dict(self.calls),
        'thread_cpu_s': {name: threads1.get(name, 0.0) - self._threads0.get(name, 0.0)
                         for name in threads1},
        **self.extra}
    tmp = self.path + '.tmp'
    with open(tmp, 'w') as f:
      json.dump(content, f, indent=1, sort_keys=True)
    os.replace(tmp, self.path)


def thread_cpu() -> Dict[str, float]:
  """CPU seconds (user + system) of this process's live threads: the main
  thread, threads named otherwise than the process (digits dropped), and
  'other threads' (unnamed: TensorFlow's pools, tf.data, Reverb)."""
  ticks = os.sysconf('SC_CLK_TCK')
  totals = collections.defaultdict(float)
  base = '/proc/self/task'
  with open('/proc/self/comm') as f:
    own_name = f.read().strip()
  for tid in os.listdir(base):
    try:
      with open(f'{base}/{tid}/stat') as f:
        stat = f.read()
    except OSError:
      continue
    name = stat[stat.index('(') + 1:stat.rindex(')')]
    fields = stat[stat.rindex(')') + 2:].split()
    if tid == str(os.getpid()):
      key = 'main thread'
    elif name == own_name:  # TensorFlow's and Reverb's threads keep it.
      key = 'other threads'
    else:
      key = re.sub(r'[\d_-]+$', '', name) or name
    totals[key] += (int(fields[11]) + int(fields[12])) / ticks
  return dict(totals)


PROFILE: Optional[Profile] = None


def _wrap(owner, attribute: str, region: str,
          before: Optional[Callable[[], None]] = None) -> None:
  original = getattr(owner, attribute)

  @functools.wraps(original)
  def timed(*args, **kwargs):
    if before:
      before(*args)
    with PROFILE.region(region):
      return original(*args, **kwargs)

  setattr(owner, attribute, timed)


def _wrap_method_of_function(owner, attribute: str, region: str) -> None:
  """As `_wrap`, for a tf.function defined on a class (a descriptor)."""
  original = owner.__dict__[attribute]

  def timed(self, *args, **kwargs):
    with PROFILE.region(region):
      return original.__get__(self, owner)(*args, **kwargs)

  setattr(owner, attribute, timed)


class _TimedTrigger:
  """A Learner trigger, timed; everything else passes through."""

  def __init__(self, trigger):
    self._trigger = trigger

  def __call__(self, *args, **kwargs):
    with PROFILE.region('triggers'):
      return self._trigger(*args, **kwargs)

  def __getattr__(self, name):
    return getattr(self._trigger, name)


_NAMED_THREADS = set()


def _name_os_thread() -> None:
  """Gives a thread other than the main one its Python name in /proc (Python
  3.11 does not), once, so that the thread line shows it, e.g. 'collect'."""
  thread = threading.current_thread()
  if thread is threading.main_thread() or thread.ident in _NAMED_THREADS:
    return
  _NAMED_THREADS.add(thread.ident)
  libc = ctypes.CDLL(None)
  libc.prctl(15, thread.name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def _collector_iteration(collector) -> None:
  """Counts the environment steps of the previous `Collector.run`: a collect
  job's iteration is one environment step."""
  _name_os_thread()
  steps = int(collector.env_steps.result())
  PROFILE.iteration('collect', steps - PROFILE.env_steps_seen)
  PROFILE.env_steps_seen = steps


def _sample_alone(trainer) -> None:
  """Wall and CPU of `next()` on the trainer's own dataset, serially, after
  training (one process only: its table has no rate limiter to block us)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  iterator = iter(trainer._dataset_fn())  # pylint: disable=protected-access
  if not isinstance(iterator, tf.data.Iterator):
    return  # The in-graph table: its sample is part of the train step.
  for _ in range(5):
    next(iterator)
  wall, cpu = time.perf_counter(), time.process_time()
  for _ in range(SAMPLE_ALONE_BATCHES):
    next(iterator)
  PROFILE.extra['sample_alone_ms'] = {
      'wall': 1000 * (time.perf_counter() - wall) / SAMPLE_ALONE_BATCHES,
      'cpu': 1000 * (time.process_time() - cpu) / SAMPLE_ALONE_BATCHES}


def install() -> None:
  """Wraps the regions' methods; PROFILE_DIR/<job>.json gets the profile."""
  global PROFILE
  directory = os.environ[DIR_VARIABLE]
  from benchmarks import actor_learner  # pylint: disable=g-import-not-at-top
  name = actor_learner.job_name(sys.orig_argv)
  PROFILE = Profile(os.path.join(directory, f'{name}.json'),
                    int(os.environ.get(WARMUP_VARIABLE, '300')))
  # pylint: disable=g-import-not-at-top
  from tf_agents.environments import py_environment
  from tf_agents.metrics import py_metric
  from tf_agents.policies import py_policy
  from tf_agents.train import actor
  from tf_agents.train import learner
  from train_eval import background_collection
  from train_eval import console
  from train_eval import collection
  from train_eval import experience_writer
  from train_eval import fed_replay
  from train_eval import graph_replay
  from train_eval import learning
  from train_eval import weights
  # pylint: enable=g-import-not-at-top
  _wrap(py_environment.PyEnvironment, 'step', 'environment')
  _wrap(py_environment.PyEnvironment, 'reset', 'environment')
  _wrap(py_policy.PyPolicy, 'action', 'policy')
  _wrap(experience_writer.ExperienceWriter, '__call__', 'replay insert')
  _wrap(experience_writer.ExperienceWriter, 'flush', 'replay insert')
  _wrap(graph_replay.GraphReplayWriter, '__call__', 'replay insert')
  _wrap(graph_replay.GraphReplay, 'settle', 'replay insert')
  _wrap(fed_replay.FedReplay, 'take_items_for_next_step',
        'new items (waiting, taking)')
  _wrap(background_collection.BackgroundCollector, 'wait',
        'waiting for collection')
  _wrap(py_metric.PyMetric, '__call__', 'summaries and metrics')
  _wrap(actor.Actor, 'write_metric_summaries', 'summaries and metrics')
  _wrap(actor.Actor, 'log_metrics', 'summaries and metrics')
  _wrap(actor.Actor, 'run', 'actor (driver, trajectories)')
  _wrap(collection.Collector, 'run', 'actor (driver, trajectories)',
        before=_collector_iteration)
  _wrap_method_of_function(learner.Learner, '_train',
                           'train step (with in-graph sample)')
  _wrap(learner.Learner, 'run', 'learner.run (rest)')
  _wrap(learning.Trainer, 'train', 'learner.run (rest)',
        before=lambda trainer: PROFILE.iteration('train'))
  _wrap(weights.Publisher, '__call__', 'weights push')
  _wrap(weights.Publisher, 'push', 'weights push')
  _wrap(weights.Subscriber, 'pull', 'weights pull')
  _wrap(console.Console, 'progress', 'console')

  learner_init = learner.Learner.__init__

  def init(self, *args, **kwargs):
    learner_init(self, *args, **kwargs)
    self.triggers = [_TimedTrigger(t) for t in self.triggers]

  learner.Learner.__init__ = init
  save_now = learning.Trainer.save_now

  def save_now_after_profile(self, *args, **kwargs):
    if PROFILE.window_iterations:
      PROFILE.dump()
      if name == 'all':
        _sample_alone(self)
        PROFILE.dump()
    return save_now(self, *args, **kwargs)

  learning.Trainer.save_now = save_now_after_profile
