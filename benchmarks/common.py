"""Shared pieces of the benchmarks: the tutorial's SAC minitaur agent, data, triggers, machine info.

Everything here is measurement scaffolding; nothing in `triggers/` or
`train_eval/` is modified. Timings use `time.perf_counter`.
"""

import contextlib
import dataclasses
import datetime
import json
import logging as std_logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from typing import Callable, Dict, List, Optional

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(REPO_ROOT, 'benchmarks', 'results')
ENV_NAME = 'MinitaurBulletEnv-v0'
BATCH_SIZE = 256
HUGE_INTERVAL = 10**12


def quiet_tensorflow() -> None:
  """Silences TF's C++ and Python chatter (set before importing TF)."""
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  import warnings  # pylint: disable=g-import-not-at-top
  warnings.filterwarnings('ignore')


# ----------------------------------------------------------------------------
# Ours and tf_agents' in turn


def alternate(n: int, run_ours: Callable[[int], None],
              run_theirs: Callable[[int], None]) -> None:
  """Runs ours, theirs, ours, theirs... `n` times each.

  The first of each pair alternates too (ours first on even rounds, theirs
  first on odd ones) so neither always runs right after the other's writes.
  """
  for i in range(n):
    if i % 2 == 0:
      run_ours(i)
      run_theirs(i)
    else:
      run_theirs(i)
      run_ours(i)


# ----------------------------------------------------------------------------
# The tutorial's agent and data


@dataclasses.dataclass
class Setup:
  env: object
  agent: object
  train_step: object
  time_step_spec: object
  action_spec: object


def make_setup() -> Setup:
  """The tutorial's SAC agent on MinitaurBulletEnv-v0 (train_eval.agents.sac_agent defaults)."""
  from tf_agents.environments import suite_pybullet  # pylint: disable=g-import-not-at-top
  from tf_agents.train.utils import spec_utils  # pylint: disable=g-import-not-at-top
  from tf_agents.train.utils import train_utils  # pylint: disable=g-import-not-at-top
  from train_eval import agents  # pylint: disable=g-import-not-at-top
  env = suite_pybullet.load(ENV_NAME)
  _, action_spec, time_step_spec = spec_utils.get_tensor_specs(env)
  train_step = train_utils.create_train_step()
  agent = agents.sac_agent(time_step_spec, action_spec, train_step)
  return Setup(env, agent, train_step, time_step_spec, action_spec)


def in_memory_dataset(agent, batch_size: int = BATCH_SIZE, pool: int = 4,
                      seed: int = 0):
  """Batches of (batch_size, 2) transitions like Reverb's, from memory.

  Observations and actions are drawn inside their specs; step types are MID
  and discounts 1, so every transition is a valid one for SAC.
  """
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(seed)

  def fill(spec):
    shape = (pool, batch_size, 2) + tuple(spec.shape)
    dtype = spec.dtype.as_numpy_dtype
    if spec.dtype.is_floating:
      low = np.maximum(getattr(spec, 'minimum', -1.0), -3.0)
      high = np.minimum(getattr(spec, 'maximum', 1.0), 3.0)
      return rng.uniform(low, high, size=shape).astype(dtype)
    return np.ones(shape, dtype=dtype)  # StepType.MID

  spec = agent.collect_data_spec
  data = tf.nest.map_structure(fill, spec)
  data = data._replace(discount=np.ones_like(data.discount))
  return tf.data.Dataset.from_tensor_slices(data).repeat()


def compiled_train(agent):
  from tf_agents.utils import common  # pylint: disable=g-import-not-at-top
  return common.function(agent.train)


# ----------------------------------------------------------------------------
# Triggers, ours and tf_agents'


def make_trigger(which: str, saved_model_dir: str, setup: Setup, interval: int,
                 **kwargs):
  if which == 'ours':
    import triggers  # pylint: disable=g-import-not-at-top
    cls = triggers.PolicySavedModelTrigger
  else:
    from tf_agents.train import triggers as tfa_triggers  # pylint: disable=g-import-not-at-top
    cls = tfa_triggers.PolicySavedModelTrigger
  return cls(saved_model_dir, setup.agent, setup.train_step, interval=interval,
             **kwargs)


def _tf_agents_async_savers() -> List[object]:
  """The `AsyncPolicySaver` behind each live thread (tf_agents keeps no list)."""
  from tf_agents.policies import async_policy_saver  # pylint: disable=g-import-not-at-top
  owners = (getattr(getattr(thread, '_target', None), '__self__', None)
            for thread in threading.enumerate())
  return [owner for owner in owners
          if isinstance(owner, async_policy_saver.AsyncPolicySaver)]


def flush_tf_agents_async_savers() -> None:
  for saver in _tf_agents_async_savers():
    saver.flush()


def close_tf_agents_async_savers() -> int:
  """Flushes, then closes every live `AsyncPolicySaver` (tf_agents never closes them).

  tf_agents' trigger keeps only the raw policy's saver; the collect and greedy
  savers' threads are non-daemon and would keep the process alive at exit.
  `close()` can hang when called just as a save ends (the thread then waits
  without checking for close), so each is flushed first. Returns how many
  were closed.
  """
  savers = _tf_agents_async_savers()
  for saver in savers:
    saver.flush()
    saver.close()
  return len(savers)


def dir_bytes(path: str) -> int:
  total = 0
  for dirpath, _, filenames in os.walk(path):
    for name in filenames:
      total += os.path.getsize(os.path.join(dirpath, name))
  return total


def checkpoint_dirs(saved_model_dir: str) -> List[str]:
  directory = os.path.join(saved_model_dir, 'checkpoints')
  if not os.path.isdir(directory):
    return []
  return sorted(name for name in os.listdir(directory)
                if name.startswith('policy_checkpoint_'))


@contextlib.contextmanager
def scratch_dir(prefix: str):
  """A fresh temporary directory on the same disk as the repository's /tmp."""
  path = tempfile.mkdtemp(prefix=f'gin_triggers_bench_{prefix}_')
  try:
    yield path
  finally:
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def absl_quiet():
  """Keeps absl INFO lines (e.g. 'Saving checkpoint to ...') out of timed regions' output."""
  from absl import logging  # pylint: disable=g-import-not-at-top
  old = logging.get_verbosity()
  logging.set_verbosity(logging.ERROR)
  std_logger = std_logging.getLogger('tensorflow')
  old_std = std_logger.level
  std_logger.setLevel(std_logging.ERROR)
  try:
    yield
  finally:
    logging.set_verbosity(old)
    std_logger.setLevel(old_std)


# ----------------------------------------------------------------------------
# Machine and versions


def _cpu_model() -> str:
  try:
    with open('/proc/cpuinfo') as f:
      for line in f:
        if line.startswith('model name'):
          return line.split(':', 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or 'unknown'


def _memory_gib() -> Optional[float]:
  try:
    with open('/proc/meminfo') as f:
      for line in f:
        if line.startswith('MemTotal:'):
          return round(int(line.split()[1]) / 2**20, 1)
  except OSError:
    pass
  return None


def load_average() -> str:
  """The 1, 5 and 15-minute load averages, e.g. '1.33 1.56 2.98'."""
  return ' '.join(f'{x:.2f}' for x in os.getloadavg())


def git_commit() -> str:
  try:
    commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True
                            ).stdout.strip()
    dirty = subprocess.run(['git', 'status', '--porcelain', '--',
                            'triggers', 'train_eval', 'configs'],
                           cwd=REPO_ROOT, capture_output=True, text=True
                           ).stdout.strip()
    return commit + (' (+ uncommitted changes in triggers/train_eval/configs)'
                     if dirty else '')
  except (OSError, subprocess.CalledProcessError):
    return 'unknown'


def _dist_version(name: str) -> str:
  from importlib import metadata  # pylint: disable=g-import-not-at-top
  try:
    return metadata.version(name)
  except metadata.PackageNotFoundError:
    return 'unknown'


def machine_info() -> Dict[str, object]:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tf_agents  # pylint: disable=g-import-not-at-top
  try:
    load = os.getloadavg()
  except OSError:
    load = None
  return {
      'date': datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
      'host': platform.node(),
      'cores': os.cpu_count(),
      'cpu_model': _cpu_model(),
      'memory_gib': _memory_gib(),
      'platform': platform.platform(),
      'load_average_at_start': load,
      'python': sys.version.split()[0],
      'tensorflow': tf.__version__,
      'tf_agents': tf_agents.__version__,
      'reverb': _dist_version('dm-reverb'),
      'git_commit': git_commit(),
  }


def write_json(path: str, content) -> None:
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w') as f:
    json.dump(content, f, indent=1, sort_keys=True, default=str)


def write_results(path: str, markdown: str, content) -> None:
  """Writes `path`.md (the report) and `path`.json (the numbers behind it)."""
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path + '.md', 'w') as f:
    f.write(markdown)
  write_json(path + '.json', content)
