"""Polls for what a job needs from another job, saying what it waits for."""

import time
from typing import Callable

from absl import logging

POLL_SECS = 1.0
LOG_EVERY_SECS = 30.0


def wait_until(condition: Callable[[], bool], what: str,
               stopped: Callable[[], bool],
               announce: Callable[[str], None] = lambda line: None,
               poll_secs: float = POLL_SECS) -> bool:
  """Polls `condition` until it holds (True) or `stopped()` does (False).

  Says 'Waiting for <what>' (to the log, and to `announce`, e.g. the console)
  at once, then every 30 s in the log.
  """
  start = last_log = time.monotonic()
  logged = False
  while not condition():
    if stopped():
      return False
    if not logged or time.monotonic() - last_log > LOG_EVERY_SECS:
      line = f'Waiting for {what} ({time.monotonic() - start:.0f} s so far).'
      logging.info('%s', line)
      if not logged:
        announce(line)
      logged, last_log = True, time.monotonic()
    time.sleep(poll_secs)
  return True
