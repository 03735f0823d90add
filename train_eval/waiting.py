"""Polls for what a job needs from another job, saying what it waits for."""

import time
from typing import Callable

from absl import logging

POLL_SECS = 1.0
LOG_EVERY_SECS = 30.0


def wait_until(condition: Callable[[], bool], what: str,
               stopped: Callable[[], bool], poll_secs: float = POLL_SECS) -> bool:
  """Polls `condition` until it holds (True) or `stopped()` does (False).

  Logs 'Waiting for <what>' at once, then every 30 s.
  """
  start = last_log = time.monotonic()
  logged = False
  while not condition():
    if stopped():
      return False
    if not logged or time.monotonic() - last_log > LOG_EVERY_SECS:
      logging.info('Waiting for %s (%.0f s so far).', what,
                   time.monotonic() - start)
      logged, last_log = True, time.monotonic()
    time.sleep(poll_secs)
  return True
