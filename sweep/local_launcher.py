"""`--launcher=local`: each run a `train_eval` child process of the sweep."""

from typing import Dict, Optional

from sweep import run_dir as run_dir_lib
from sweep import run_process


class LocalLauncher:
  """Starts, watches and stops runs as child processes, each under its lock."""

  def __init__(self):
    self._runs: Dict[str, tuple] = {}  # item name -> (RunProcess, RunLock)

  def start(self, item) -> bool:
    """Locks the run's directory and starts it; False if another process holds the lock."""
    lock = run_dir_lib.RunLock(item.run_dir)
    if not lock.acquire():
      item.holder = lock.holder()
      return False
    self._runs[item.name] = (run_process.RunProcess(item.args, lock.fd), lock)
    return True

  def status(self, item, current: run_process.Status) -> run_process.Status:
    del current
    return self._runs[item.name][0].status

  def poll(self, item) -> Optional[int]:
    return self._runs[item.name][0].poll()

  def failure(self, item) -> str:
    return self._runs[item.name][0].failure()

  def terminate(self, item) -> None:
    self._runs[item.name][0].terminate()

  def release(self, item) -> None:
    self._runs.pop(item.name)[1].release()

  def close(self) -> None:
    pass
