"""One job as a child process: started, its console lines relayed with a prefix, stopped.

Children run in their own session, so a Ctrl-C at the terminal reaches only
the launcher, which stops them in order; and each gets SIGTERM if the
launcher dies (Linux's parent-death signal, set by the child itself: see
`die_with_launcher`).
"""

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Callable, List, Optional

_PR_SET_PDEATHSIG = 1
LAUNCHER_PID_VARIABLE = 'TRAIN_EVAL_LAUNCHER_PID'
# A job's exit status when it refused its input: restarting it cannot help.
USAGE_ERROR_STATUS = 2


def die_with_launcher() -> None:
  """In a launched job: get SIGTERM when the launcher dies; exit if it already has."""
  launcher_pid = os.environ.get(LAUNCHER_PID_VARIABLE)
  if not launcher_pid:
    return
  try:
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
  except (OSError, AttributeError):
    return  # Not Linux: the launcher's own shutdown still stops its jobs.
  if os.getppid() != int(launcher_pid):
    os.kill(os.getpid(), signal.SIGTERM)


class JobProcess:
  """A `train_eval --job=...` child whose output lines go to `on_line(name, line)`."""

  def __init__(self, name: str, args: List[str],
               on_line: Callable[[str, str], None],
               env: Optional[dict] = None):
    """Describes the job; `start` runs it.

    Args:
      name: e.g. 'collect-1'; prefixes its lines.
      args: the flags after `python -m train_eval.train_eval`.
      on_line: called from a reader thread with each line the child prints.
      env: the child's environment; this process's by default.
    """
    self.name = name
    self._args = args
    self._on_line = on_line
    self._env = env
    self._process: Optional[subprocess.Popen] = None
    self._reader: Optional[threading.Thread] = None
    self.restarts = 0

  def start(self) -> None:
    self._process = subprocess.Popen(
        [sys.executable, '-m', 'train_eval.train_eval', *self._args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        bufsize=1, env=self._env, start_new_session=True)
    self._reader = threading.Thread(target=self._relay, name=f'{self.name}-out',
                                    daemon=True)
    self._reader.start()

  def _relay(self) -> None:
    for line in self._process.stdout:
      self._on_line(self.name, line.rstrip('\n'))

  @property
  def pid(self) -> Optional[int]:
    return self._process.pid if self._process else None

  def poll(self) -> Optional[int]:
    """The exit status once it ended (negative: killed by that signal), else None."""
    return self._process.poll() if self._process else None

  def terminate(self) -> None:
    """Asks it to stop (SIGTERM): it saves what it must and exits."""
    if self._process and self._process.poll() is None:
      self._process.send_signal(signal.SIGTERM)

  def wait(self, timeout_secs: float) -> Optional[int]:
    """Waits for it to end; SIGKILL after `timeout_secs`. Returns its status."""
    if self._process is None:
      return None
    try:
      self._process.wait(timeout=timeout_secs)
    except subprocess.TimeoutExpired:
      self._on_line('launcher', f'{self.name} did not stop within '
                    f'{timeout_secs:.0f} s; killing it.')
      self.kill()
    if self._reader:
      self._reader.join(timeout=5)
    return self._process.returncode

  def kill(self) -> None:
    """SIGKILL, then waits for it to end."""
    if self._process and self._process.poll() is None:
      self._process.kill()
      self._process.wait()

  def stop(self, timeout_secs: float) -> Optional[int]:
    """`terminate`, then `wait`."""
    self.terminate()
    return self.wait(timeout_secs)


def wait_any(processes: List[JobProcess], poll_secs: float = 0.5,
             should_stop: Callable[[], bool] = lambda: False
             ) -> Optional[JobProcess]:
  """The first of `processes` to end, or None once `should_stop()`."""
  while not should_stop():
    for process in processes:
      if process.poll() is not None:
        return process
    time.sleep(poll_secs)
  return None


def child_env() -> dict:
  """This process's environment, with the repository importable."""
  env = dict(os.environ)
  env[LAUNCHER_PID_VARIABLE] = str(os.getpid())
  root = os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))))
  env['PYTHONPATH'] = os.pathsep.join(
      [root] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
  return env
