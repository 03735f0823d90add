"""What every job gets: the settings, where to write, whom to talk to, when to stop."""

import dataclasses
from typing import Callable, Optional

from train_eval import console as console_lib
from train_eval import experiment as experiment_lib
from train_eval import replay
from train_eval import stop_signals


@dataclasses.dataclass(frozen=True)
class SaverSettings:
  """The policy saver's bindings a job acts on itself, read once at configure time.

  Attributes:
    best_metric: `PolicySavedModelTrigger.best_metric` (--best_metric); the
      eval job exports best_policy/ when it improves. None: no best policy.
    best_mode: `PolicySavedModelTrigger.best_mode`, 'max' (default) or 'min'.
    overwrite_existing: `PolicySavedModelTrigger.overwrite_existing`: an
      earlier run of another agent in root_dir is deleted instead of refused.
  """
  best_metric: Optional[str] = None
  best_mode: str = 'max'
  overwrite_existing: bool = False


@dataclasses.dataclass
class JobContext:
  """One job's inputs.

  Attributes:
    experiment: the validated `train_eval.*` settings.
    replay: the validated `ReverbReplay.*` settings.
    root_dir: the experiment's directory (shared by every job of a run).
    stop: set by SIGTERM/SIGINT; the job then saves what it must and returns.
    console: where progress and evaluation lines go.
    savers: the saver settings the jobs act on (best policy, overwrite).
    replay_address: 'host:port' of the replay server (collect, train jobs).
    replay_port: the port the replay job serves on; None picks a free one.
    task: this collector's index, 0 <= task < num_tasks.
    num_tasks: how many collectors the run has.
    started: called once the job has checked everything it can and is about
      to write in root_dir (the log file moves there).
  """
  experiment: experiment_lib.Experiment
  replay: replay.ReplaySettings
  root_dir: str
  stop: stop_signals.StopRequest
  console: console_lib.Console
  savers: SaverSettings = SaverSettings()
  replay_address: Optional[str] = None
  replay_port: Optional[int] = None
  task: int = 0
  num_tasks: int = 1
  started: Callable[[], object] = lambda: None
