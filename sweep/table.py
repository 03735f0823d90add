"""The sweep's console: one live table of runs, or one line per change.

On a terminal the table redraws in place (at most twice a second):
  run                          state     step        steps/s  last eval
  actor_learning_rate=0.001/seed=0  running   1200/20000     41.2  -1180.3 @ 1000
Elsewhere (a pipe, a log file) each run's change of state is one line:
  [2/4 done] actor_learning_rate=0.001/seed=0: done at step 20000 (eval -160.2 @ 20000)
"""

import time
from typing import Dict, List, Optional, TextIO

from sweep import run_process

_REDRAW_SECS = 0.5


def _step(status: run_process.Status) -> str:
  if status.step is None:
    return '-'
  return f'{status.step}/{status.total}'


def _eval(status: run_process.Status) -> str:
  if status.last_eval is None:
    return '-'
  step, value = status.last_eval
  return f'{value:.1f} @ {step}'


def _state(item) -> str:
  status = item.status
  if status.state == run_process.DONE and not item.started:
    return 'done (earlier)'
  if status.state == run_process.WAITING:
    return f'waiting (locked by pid {item.holder})'
  if status.state == run_process.STOPPED and item.stop_reason:
    return item.stop_reason
  return status.state


def rows(items) -> List[str]:
  """The table's lines: a header, then one per run."""
  width = max([len('run')] + [len(i.name) for i in items])
  lines = [f'{"run":<{width}}  {"state":<14}  {"step":>13}  {"steps/s":>7}  '
           'last eval']
  for item in items:
    s = item.status
    rate = f'{s.steps_per_sec:.1f}' if s.steps_per_sec is not None else '-'
    lines.append(f'{item.name:<{width}}  {_state(item):<14}  {_step(s):>13}  '
                 f'{rate:>7}  {_eval(s)}')
  return lines


def change_line(item, done: int, total: int) -> str:
  """One run's new state as a line, e.g. '[1/4 done] a=1/seed=0: running'."""
  s = item.status
  text = f'[{done}/{total} done] {item.name}: {_state(item)}'
  if s.state in (run_process.DONE, run_process.STOPPED) and s.step is not None:
    text += f' at step {s.step}'
  if s.last_eval is not None and s.state != run_process.RUNNING:
    text += f' (eval {_eval(s)})'
  if s.state == run_process.FAILED and s.error:
    text += f': {s.error}'
  return text


class Table:
  """Shows the runs' states on `out`."""

  def __init__(self, out: TextIO, total: int, live: Optional[bool] = None,
               clock=time.monotonic):
    """Args:
      out: the terminal's stdout.
      total: runs in the sweep, for the 'k/N done' count (None: unknown).
      live: redraw in place; by default when `out` is a terminal.
      clock: seconds, monotonic; injectable for tests.
    """
    self._out = out
    self._total = total
    self._live = out.isatty() if live is None else live
    self._clock = clock
    self._shown: Dict[str, str] = {}
    self._drawn_lines = 0
    self._last_draw = -_REDRAW_SECS

  def update(self, items) -> None:
    """Shows what changed since the last call."""
    if self._live:
      now = self._clock()
      if now - self._last_draw >= _REDRAW_SECS:
        self._last_draw = now
        self._redraw(rows(items))
      return
    done = sum(i.status.state == run_process.DONE for i in items)
    for item in items:
      state = _state(item)
      if self._shown.get(item.name) != state:
        self._shown[item.name] = state
        self._out.write(change_line(item, done, self._total or len(items)) + '\n')
    self._out.flush()

  def finish(self, items) -> None:
    """The last state of every run (the final table on a terminal)."""
    if self._live:
      self._redraw(rows(items))
    else:
      self.update(items)

  def _redraw(self, lines: List[str]) -> None:
    if self._drawn_lines:
      self._out.write(f'\x1b[{self._drawn_lines}F')
    self._out.write(''.join(line + '\x1b[K\n' for line in lines))
    self._out.flush()
    self._drawn_lines = len(lines)
