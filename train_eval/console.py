"""What a run shows on the terminal, and the log file that gets everything else.

`capture()` points the process's stdout and stderr (file descriptors 1 and 2)
at a log file before TensorFlow, Reverb or pybullet print anything, so their
banners and notices land there; the terminal keeps what `Console` writes: one
live progress bar for training, the evaluation lines as the tutorial prints
them, warnings and errors from our own code (and errors from anywhere), and
the final summary. absl's `--verbosity` brings the whole absl log back.
"""

import datetime
import io
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from typing import Mapping, Optional, TextIO, Tuple

from absl import flags as absl_flags
from absl import logging as absl_logging

OUR_PACKAGES = ('train_eval', 'triggers', 'policies_tool')
LOGS_DIR = 'logs'


class Capture:
  """Holds fds 1 and 2 pointed at a log file; the terminal stays reachable."""

  def __init__(self):
    sys.stdout.flush()
    sys.stderr.flush()
    self.terminal_out = os.fdopen(os.dup(1), 'w', buffering=1)
    self.terminal_err = os.fdopen(os.dup(2), 'w', buffering=1)
    handle, self.path = tempfile.mkstemp(prefix='train_eval-', suffix='.log')
    os.close(handle)
    self._point_at(self.path)
    self.moved = False

  def _point_at(self, path: str) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)

  def move_to(self, path: str) -> str:
    """Moves the log so far to `path` and goes on writing there; returns it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'ab') as out, open(self.path, 'rb') as early:
      shutil.copyfileobj(early, out)
    self._point_at(path)
    os.remove(self.path)
    self.path = path
    self.moved = True
    return path

  def release(self) -> None:
    """At exit: flushes what is buffered into the log (dropped if its disk is
    full) and points fds 1 and 2 at /dev/null.

    Python flushes its streams again at exit and, if that fails (a full disk),
    ends with status 120 instead of the one the program chose.
    """
    for stream in (sys.stdout, sys.stderr):
      try:
        stream.flush()
      except OSError:
        pass
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)

  def discard(self) -> None:
    """Removes the log if it never moved to a root_dir (nothing ran)."""
    if not self.moved and os.path.exists(self.path):
      os.remove(self.path)


def capture() -> Capture:
  """Starts capturing; call before importing TensorFlow."""
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '1')  # C++ INFO says nothing.
  return Capture()


def flags_parser(capture_: Capture, program: str):
  """An `app.run` flags parser that shows usage, --help and flag errors on the terminal.

  A flag error prints '<program>: error: ...' and exits 2.
  """

  def parse(argv):
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = capture_.terminal_out, capture_.terminal_err
    try:
      return absl_flags.FLAGS(argv)
    except absl_flags.Error as e:
      message = ' '.join(str(e).splitlines()).rstrip('.')
      sys.stderr.write(f'{program}: error: {message}; pass --help to see '
                       'its flags.\n')
      sys.exit(2)
    finally:
      sys.stdout, sys.stderr = saved

  return parse


def log_path(root_dir: str, job: str) -> str:
  """root_dir/logs/<job>.log, e.g. logs/collect-1.log."""
  return os.path.join(root_dir, LOGS_DIR, f'{job}.log')


class ConsoleFilter(logging.Filter):
  """Passes warnings of our own packages and errors of any, or all at `level`."""

  def __init__(self, verbose_level: Optional[int] = None):
    super().__init__()
    self._verbose_level = verbose_level

  def filter(self, record: logging.LogRecord) -> bool:
    if self._verbose_level is not None:
      return record.levelno >= self._verbose_level
    if record.levelno >= logging.ERROR:
      return True
    ours = any(f'{os.sep}{package}{os.sep}' in record.pathname
               for package in OUR_PACKAGES)
    return ours and record.levelno >= logging.WARNING


def attach_log_handler(stream: TextIO,
                       verbose_level: Optional[int]) -> logging.Handler:
  """Sends the absl log records `ConsoleFilter` passes to `stream`."""
  handler = logging.StreamHandler(stream)
  handler.addFilter(ConsoleFilter(verbose_level))
  handler.setFormatter(
      logging.Formatter('%(levelname)s: %(message)s') if verbose_level is None
      else absl_logging.PythonFormatter())  # The log file's own format.
  logging.getLogger('absl').addHandler(handler)
  return handler


def eval_line(step: int, results: Mapping[str, float]) -> str:
  """The tutorial's form: 'step = N: AverageReturn = x, AverageEpisodeLength = y'."""
  values = ', '.join(f'{name} = {value:.6f}' for name, value in results.items())
  return f'step = {step}: {values}'


# `Console.bar`'s text, read back by a launcher from its train job's output.
_BAR = re.compile(r'^train \[[#.]+\] +\d+% (\d+)/\d+ \|')
_LOSS = re.compile(r' \| loss ([^ |]+)')


def parse_bar(line: str) -> Optional[Tuple[int, Optional[float]]]:
  """(step, loss or None) from a line `Console.bar` wrote; None for other lines."""
  match = _BAR.match(line)
  if not match:
    return None
  loss = _LOSS.search(line)
  return int(match.group(1)), float(loss.group(1)) if loss else None


class Console:
  """The lines a run prints: a progress bar, evaluations, a summary."""

  BAR_WIDTH = 24

  def __init__(self, out: TextIO, err: TextIO, total_steps: int,
               line_interval: int, live: Optional[bool] = None,
               clock=time.monotonic):
    """Creates the console; `start` begins the progress bar.

    Args:
      out: where evaluation lines and the summary go (the terminal's stdout).
      err: where the progress bar goes (the terminal's stderr).
      total_steps: the train step training stops at.
      line_interval: when `err` is not a terminal, a progress line every this
        many steps (0: none); on a terminal the bar redraws in place.
      live: redraw in place; by default when `err` is a terminal.
      clock: seconds, monotonic; injectable for tests.
    """
    self._out, self._err = out, err
    self._total = total_steps
    self._interval = line_interval
    self._live = err.isatty() if live is None else live
    self._clock = clock
    self._window = [(clock(), 0)]
    self._last_draw = 0.0
    self._last_eval: Optional[str] = None
    self._bar_shown = False

  def start(self, step: int) -> None:
    """Training starts (or resumes) at `step`; the speed counts from now."""
    self._window = [(self._clock(), step)]

  def progress(self, step: int, loss: Optional[float] = None) -> None:
    """Reports train step `step` (redraws at most 4 times a second)."""
    now = self._clock()
    self._window.append((now, step))
    while len(self._window) > 2 and now - self._window[0][0] > 30:
      self._window.pop(0)
    if self._live:
      if now - self._last_draw >= 0.25 or step >= self._total:
        self._last_draw = now
        self._err.write('\r' + self.bar(step, loss) + '\x1b[K')
        self._err.flush()
        self._bar_shown = True
    elif self._interval and step % self._interval == 0:
      self._err.write(self.bar(step, loss) + '\n')
      self._err.flush()

  def steps_per_sec(self) -> float:
    (t0, s0), (t1, s1) = self._window[0], self._window[-1]
    return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

  def bar(self, step: int, loss: Optional[float] = None) -> str:
    """'train [####....]  45% 45000/100000 | 82.1 steps/s | ETA 0:11:10 | ...'."""
    fraction = min(step / self._total, 1.0) if self._total else 1.0
    filled = int(round(fraction * self.BAR_WIDTH))
    rate = self.steps_per_sec()
    eta = (str(datetime.timedelta(seconds=round((self._total - step) / rate)))
           if rate > 0 else '?')
    parts = [f'train [{"#" * filled}{"." * (self.BAR_WIDTH - filled)}] '
             f'{fraction:4.0%} {step}/{self._total}', f'{rate:.1f} steps/s',
             f'ETA {eta}']
    if loss is not None:
      parts.append(f'loss {loss:.4g}')
    if self._last_eval:
      parts.append(self._last_eval)
    return ' | '.join(parts)

  def evaluation(self, step: int, results: Mapping[str, float]) -> None:
    """Prints the tutorial's evaluation line."""
    if 'AverageReturn' in results:
      self._last_eval = f'eval {results["AverageReturn"]:.2f} @ {step}'
    self.line(eval_line(step, results))

  def line(self, text: str) -> None:
    """A line on `out`, below the bar."""
    self._clear_bar()
    self._out.write(text + '\n')
    self._out.flush()

  def finish(self) -> None:
    """Ends the bar's line."""
    if self._live and self._bar_shown:
      self._err.write('\n')
      self._err.flush()
      self._bar_shown = False

  def _clear_bar(self) -> None:
    if self._live and self._bar_shown:
      self._err.write('\r\x1b[K')
      self._err.flush()


def null_console() -> Console:
  """A console that shows nothing (for library use and tests)."""
  sink = io.StringIO()
  return Console(sink, sink, 1, 0, live=False)
