"""Runs a sweep's runs, K at a time, on a launcher; stops them all on request.

A run whose directory is locked by another process waits for it; once free,
a run finished on disk is not started again. One run failing does not stop
the others.
"""

import dataclasses
import os
import time
from typing import Callable, List, Optional

from sweep import run_dir as run_dir_lib
from sweep import run_process

POLL_SECS = 0.5


@dataclasses.dataclass
class Item:
  """One run to schedule.

  Attributes:
    name: its directory under the sweep root, e.g. 'lr=0.001/seed=0'.
    run_dir: that directory's path.
    args: train_eval's flags for it.
    num_iterations: the train step it ends at; finished when saved there.
    status: what the table shows.
    started: whether this sweep started it (False: finished earlier).
    stop_reason: set when the sweep stopped it early (e.g. 'pruned').
  """
  name: str
  run_dir: str
  args: List[str]
  num_iterations: int
  status: run_process.Status = dataclasses.field(
      default_factory=run_process.Status)
  started: bool = False
  stop_reason: Optional[str] = None
  holder: Optional[str] = None  # Who holds its lock, while it waits.
  terminated: bool = False


class Scheduler:
  """Starts items from `take` while fewer than `parallel` run."""

  def __init__(self, launcher, parallel: int, on_change: Callable[[List[Item]], None],
               stop_requested: Callable[[], bool]):
    """Args:
      launcher: starts a run (`LocalLauncher` or `RayLauncher`).
      parallel: runs at once (>= 1).
      on_change: called with every item after each poll (the table).
      stop_requested: True once the sweep must stop every run.
    """
    self._launcher = launcher
    self._parallel = parallel
    self._on_change = on_change
    self._stop_requested = stop_requested
    self.items: List[Item] = []

  def run(self, take: Callable[[], Optional[Item]],
          watch: Callable[[Item], None] = lambda item: None) -> List[Item]:
    """Runs until `take` has no more and every run ended, or a stop request.

    Args:
      take: the next item, or None when there is none (now).
      watch: called with each running item after each poll (pruning may set
        its `stop_reason`, which stops it).

    Returns:
      Every item, each ended (done, failed, stopped) or still queued.
    """
    exhausted = False
    stopping = False
    while True:
      running = [i for i in self.items if i.status.state == run_process.RUNNING]
      for item in running:
        watch(item)
        if (item.stop_reason or stopping) and not item.terminated:
          self._terminate(item)
        self._poll(item)
      if self._stop_requested() and not stopping:
        stopping = True
        for item in self.items:
          if item.status.state == run_process.RUNNING:
            self._terminate(item)
          elif item.status.state == run_process.WAITING:
            item.status.state = run_process.QUEUED
      for item in self.items:
        if item.status.state == run_process.WAITING and not stopping:
          self._try_start(item)
      active = sum(i.status.state in (run_process.RUNNING, run_process.WAITING)
                   for i in self.items)
      while not stopping and not exhausted and active < self._parallel:
        item = take()
        if item is None:
          exhausted = True
          break
        self.items.append(item)
        self._try_start(item)
        active += item.status.state in (run_process.RUNNING, run_process.WAITING)
      self._on_change(self.items)
      if not active and (exhausted or stopping):
        return self.items
      time.sleep(POLL_SECS)

  def _terminate(self, item: Item) -> None:
    # Once: a run restores the default SIGTERM action while it saves.
    self._launcher.terminate(item)
    item.terminated = True

  def _try_start(self, item: Item) -> None:
    if run_dir_lib.finished(item.run_dir, item.num_iterations):
      item.status.state = run_process.DONE
      return
    if not self._launcher.start(item):
      item.status.state = run_process.WAITING
      return
    item.started = True
    item.status = run_process.Status(state=run_process.RUNNING)

  def _poll(self, item: Item) -> None:
    item.status = self._launcher.status(item, item.status)
    code = self._launcher.poll(item)
    if code is None:
      return
    error = self._launcher.failure(item)
    self._launcher.release(item)
    item.status.state = run_process.RUNNING  # Decided below.
    if run_dir_lib.finished(item.run_dir, item.num_iterations):
      item.status.state = run_process.DONE
    elif code != 0 or item.status.error:
      item.status.state = run_process.FAILED
      item.status.error = error
    elif item.stop_reason or self._stop_requested():
      item.status.state = run_process.STOPPED
    else:
      item.status.state = run_process.FAILED
      item.status.error = (f'ended at step {run_dir_lib.last_step(item.run_dir)} '
                           f'before {item.num_iterations}; full log: '
                           f'{os.path.join(item.run_dir, "logs", "all.log")}')
