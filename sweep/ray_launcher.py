"""`--launcher=ray`: each run a `train_eval` child process of a Ray actor on some node.

The sweep's root must be on storage every node reaches (a shared mount): each
run writes its directory from the node that runs it, and the sweep decides
from the same files which runs are finished. On a cluster of several nodes
the sweep checks that each node sees the root and refuses it otherwise.

  sweep run --gin_file=sac_pendulum.gin --root_dir=/shared/sweeps/lr \
      --grid='sac_agent.actor_learning_rate = [1e-4, 3e-4]' --seeds=3 \
      --launcher=ray --ray_address=auto
"""

import os
import uuid
from typing import Dict, List, Optional

os.environ.setdefault('RAY_DEDUP_LOGS', '0')
import ray  # pylint: disable=g-import-not-at-top,wrong-import-position
from ray.util import scheduling_strategies  # pylint: disable=g-import-not-at-top,wrong-import-position

from sweep import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top,wrong-import-position
from sweep import run_process  # pylint: disable=g-import-not-at-top,wrong-import-position
from train_eval import errors  # pylint: disable=g-import-not-at-top,wrong-import-position


@ray.remote
class RunActor:
  """Holds one run's lock and process on the node Ray placed it on."""

  def __init__(self):
    self._process: Optional[run_process.RunProcess] = None
    self._lock: Optional[run_dir_lib.RunLock] = None

  def start(self, run_dir: str, args: List[str]) -> Optional[str]:
    """Locks `run_dir` and starts the run; None, or the lock holder's pid if taken."""
    self._lock = run_dir_lib.RunLock(run_dir)
    if not self._lock.acquire():
      return self._lock.holder()
    self._process = run_process.RunProcess(args, self._lock.fd)
    return None

  def poll(self):
    """(status, exit status or None, failure line or None)."""
    code = self._process.poll()
    failure = None
    if code is not None:
      failure = self._process.failure()
      self._lock.release()
    return self._process.status, code, failure

  def terminate(self) -> None:
    self._process.terminate()


@ray.remote(num_cpus=0)
def _sees(path: str) -> bool:
  return os.path.exists(path)


class RayLauncher:
  """Starts each run in a `RunActor` asking Ray for `cpus_per_run` CPUs."""

  def __init__(self, ray_address: Optional[str], cpus_per_run: int):
    if ray_address:
      ray.init(address=ray_address, log_to_driver=False)
    else:
      ray.init(include_dashboard=False, log_to_driver=False,
               object_store_memory=100 * 1024 * 1024)
    self._cpus = cpus_per_run
    self._actors: Dict[str, object] = {}
    self._polled: Dict[str, tuple] = {}

  def cluster_parallel(self) -> int:
    """Runs that fit the cluster's CPUs at once."""
    cpus = int(ray.cluster_resources().get('CPU', 1))
    return max(1, cpus // max(self._cpus, 1))

  def check_root_reachable(self, root_dir: str) -> None:
    """Raises unless every alive node sees `root_dir` (a marker file written here).

    Raises:
      errors.RootDirError: naming a node that does not.
    """
    nodes = [n for n in ray.nodes() if n.get('Alive')]
    if len(nodes) < 2:
      return
    marker = os.path.join(os.path.abspath(root_dir), f'.reach-{uuid.uuid4().hex}')
    open(marker, 'w').close()
    try:
      for node in nodes:
        strategy = scheduling_strategies.NodeAffinitySchedulingStrategy(
            node['NodeID'], soft=False)
        if not ray.get(_sees.options(scheduling_strategy=strategy).remote(marker)):
          raise errors.RootDirError(
              f'--root_dir={root_dir} is not reachable from the Ray node '
              f'{node["NodeManagerAddress"]}: runs need a root_dir on storage '
              'every node mounts at the same path.')
    finally:
      os.remove(marker)

  def start(self, item) -> bool:
    actor = RunActor.options(num_cpus=self._cpus).remote()
    holder = ray.get(actor.start.remote(os.path.abspath(item.run_dir), item.args))
    if holder is not None:
      item.holder = holder
      ray.kill(actor)
      return False
    self._actors[item.name] = actor
    return True

  def status(self, item, current: run_process.Status) -> run_process.Status:
    del current
    self._polled[item.name] = ray.get(self._actors[item.name].poll.remote())
    return self._polled[item.name][0]

  def poll(self, item) -> Optional[int]:
    return self._polled[item.name][1]

  def failure(self, item) -> str:
    return self._polled[item.name][2]

  def terminate(self, item) -> None:
    self._actors[item.name].terminate.remote()

  def release(self, item) -> None:
    ray.kill(self._actors.pop(item.name))
    self._polled.pop(item.name)

  def close(self) -> None:
    ray.shutdown()
