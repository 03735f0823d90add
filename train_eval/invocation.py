"""What one `train_eval` process is asked to do: its command line as values.

`main` builds it from the flags; a launcher derives each job's from the run's
(`for_job`) and passes it on, as a command line (`to_args`, local processes)
or as the object itself (Ray actors), so that no job reads the launcher's
flags back.
"""

import dataclasses
import os
from typing import Any, List, Optional, Tuple


@dataclasses.dataclass(frozen=True)
class Invocation:
  """The flag values of one process (see main.py for each flag's meaning).

  Attributes:
    root_dir: --root_dir.
    gin_files: --gin_file, in order.
    gin_bindings: the bindings of the saver flags (--interval, ...) followed
      by --gin_bindings.
    job: --job ('all', 'replay', 'collect', 'train', 'eval').
    task: --task.
    collectors: --collectors; None: not given.
    replay_address: --replay_address.
    replay_port: --replay_port.
    job_threads: --job_threads entries.
    verbosity: absl's --verbosity when given, else None.
  """
  root_dir: str
  gin_files: Tuple[str, ...] = ()
  gin_bindings: Tuple[str, ...] = ()
  job: str = 'all'
  task: int = 0
  collectors: Optional[int] = None
  replay_address: Optional[str] = None
  replay_port: Optional[int] = None
  job_threads: Tuple[str, ...] = ()
  verbosity: Optional[int] = None

  @property
  def launches(self) -> bool:
    """This process launches the jobs of a `--collectors=N` run."""
    return self.collectors is not None and self.job == 'all'

  @property
  def log_name(self) -> str:
    """Its log file's name: 'all', 'launcher', 'train', 'collect-1'..."""
    if self.launches:
      return 'launcher'
    return f'collect-{self.task}' if self.job == 'collect' else self.job

  def for_job(self, **fields: Any) -> 'Invocation':
    """A launched job's invocation: paths made absolute (a job may start in
    another directory, a Ray worker's), the job's own fields replaced."""
    return dataclasses.replace(
        self, root_dir=os.path.abspath(self.root_dir),
        gin_files=tuple(os.path.abspath(f) if os.path.isfile(f) else f
                        for f in self.gin_files), **fields)

  def to_args(self) -> List[str]:
    """The command line that makes a `train_eval` process this invocation."""
    args = [f'--root_dir={self.root_dir}', f'--job={self.job}']
    args += [f'--gin_file={f}' for f in self.gin_files]
    args += [f'--gin_bindings={b}' for b in self.gin_bindings]
    args += [f'--job_threads={t}' for t in self.job_threads]
    optional = {'task': self.task or None, 'collectors': self.collectors,
                'replay_address': self.replay_address,
                'replay_port': self.replay_port, 'verbosity': self.verbosity}
    args += [f'--{name}={value}' for name, value in optional.items()
             if value is not None]
    return args

