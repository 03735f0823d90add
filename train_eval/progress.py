"""The lines a run prints: progress with speed and ETA, and evaluation results."""

import datetime
import time
from typing import Mapping, Optional


def eval_line(step: int, results: Mapping[str, float]) -> str:
  """The tutorial's form: 'step = N: AverageReturn = x, AverageEpisodeLength = y'."""
  values = ', '.join(f'{name} = {value:.6f}' for name, value in results.items())
  return f'step = {step}: {values}'


class ProgressMeter:
  """Measures train steps per second between calls and estimates time left."""

  def __init__(self, total_steps: int, start_step: int,
               clock=time.monotonic):
    """Starts measuring.

    Args:
      total_steps: the step training stops at.
      start_step: the step training starts (or resumes) from.
      clock: seconds, monotonic; injectable for tests.
    """
    self._total = total_steps
    self._clock = clock
    self._last_step = start_step
    self._last_time = clock()

  def line(self, step: int, loss: Optional[float] = None) -> str:
    """'step = N: loss = L, S steps/s, ETA H:MM:SS' and restarts the meter."""
    now = self._clock()
    elapsed = now - self._last_time
    rate = (step - self._last_step) / elapsed if elapsed > 0 else 0.0
    self._last_step, self._last_time = step, now
    remaining = max(self._total - step, 0)
    eta = (str(datetime.timedelta(seconds=round(remaining / rate)))
           if rate > 0 else 'unknown')
    loss_text = f'loss = {loss:.4f}, ' if loss is not None else ''
    return f'step = {step}: {loss_text}{rate:.1f} steps/s, ETA {eta}'
