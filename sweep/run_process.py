"""One sweep run as a `train_eval` child process, its console lines read into a status.

Used by both launchers: the local one runs it in the sweep's process, the Ray
one inside a Ray actor on the node that runs it.
"""

import dataclasses
import os
import re
import signal
import subprocess
import sys
import threading
from typing import List, Optional

from train_eval.launch import job_process

# train_eval's console: its progress line, its evaluation line, its error line.
PROGRESS = re.compile(r'train \[[#.]+\] +\d+% (\d+)/(\d+) \| ([\d.]+) steps/s')
EVALUATION = re.compile(r'^step = (\d+): AverageReturn = (-?[\d.]+(?:e[-+]?\d+)?|nan)')
ERROR = re.compile(r'^train_eval: error: (.*)$')

QUEUED, WAITING, RUNNING, DONE, FAILED, STOPPED = (
    'queued', 'waiting', 'running', 'done', 'failed', 'stopped')


@dataclasses.dataclass
class Status:
  """What the sweep knows of a run.

  Attributes:
    state: queued, waiting (for another process's lock), running, done,
      failed or stopped (interrupted; resumes on the next `sweep run`).
    step, total: the last reported train step and the step training ends at.
    steps_per_sec: the run's own measure, from its progress line.
    last_eval: (train step, average return) of the last evaluation.
    evaluations: every (train step, average return) seen, for pruning.
    error: the run's one-line error, when it failed.
  """
  state: str = QUEUED
  step: Optional[int] = None
  total: Optional[int] = None
  steps_per_sec: Optional[float] = None
  last_eval: Optional[tuple] = None
  evaluations: List[tuple] = dataclasses.field(default_factory=list)
  error: Optional[str] = None

  def read_line(self, line: str) -> None:
    """Updates the status from one console line of the run."""
    for match in PROGRESS.finditer(line):
      self.step, self.total = int(match.group(1)), int(match.group(2))
      self.steps_per_sec = float(match.group(3))
    match = EVALUATION.match(line)
    if match:
      self.last_eval = (int(match.group(1)), float(match.group(2)))
      self.evaluations.append(self.last_eval)
    match = ERROR.match(line)
    if match:
      self.error = match.group(1)


class RunProcess:
  """`python -m train_eval.train_eval <args>`, started in its own session.

  The child gets SIGTERM if this process dies (see
  `job_process.die_with_launcher`), so a killed sweep still leaves each run
  with its consistent save.
  """

  def __init__(self, args: List[str], keep_fd: Optional[int] = None):
    """Starts the run.

    Args:
      args: train_eval's flags.
      keep_fd: a descriptor the child inherits (the run's lock).
    """
    self.status = Status(state=RUNNING)
    self.output: List[str] = []  # The last lines, for a crash's message.
    self._process = subprocess.Popen(
        [sys.executable, '-m', 'train_eval.train_eval', *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, bufsize=1,
        env=job_process.child_env(), start_new_session=True,
        pass_fds=(keep_fd,) if keep_fd is not None else ())
    self._reader = threading.Thread(target=self._read, daemon=True)
    self._reader.start()

  def _read(self) -> None:
    for line in self._process.stdout:
      line = line.rstrip('\n')
      self.status.read_line(line)
      self.output = (self.output + [line])[-20:]

  @property
  def pid(self) -> int:
    return self._process.pid

  def poll(self) -> Optional[int]:
    """The exit status once it ended, else None; the output is read by then."""
    code = self._process.poll()
    if code is not None:
      self._reader.join()
    return code

  def terminate(self) -> None:
    """SIGTERM: the run saves consistently and exits."""
    if self._process.poll() is None:
      self._process.send_signal(signal.SIGTERM)

  def failure(self) -> str:
    """The run's one-line error, or its last line of output."""
    if self.status.error:
      return self.status.error
    code = self._process.returncode
    last = next((l for l in reversed(self.output) if l.strip()), '')
    return f'exit {code}' + (f': {last.strip()}' if last else '')


def run_args(run_dir: str, gin_files: List[str], bindings: List[str],
             run_flags: List[str]) -> List[str]:
  """train_eval's flags for one run: its root_dir, gin files, the flags passed
  to every run, then the run's own bindings."""
  return ([f'--root_dir={os.path.abspath(run_dir)}'] +
          [f'--gin_file={os.path.abspath(f) if os.path.isfile(f) else f}'
           for f in gin_files] + list(run_flags) +
          [f'--gin_bindings={b}' for b in bindings])
