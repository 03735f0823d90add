"""Turns SIGTERM and SIGINT (Ctrl-C) into a request to stop cleanly."""

import signal
import threading
from typing import Optional

from absl import logging

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
  """While active, the first SIGTERM/SIGINT sets `requested`; a second SIGINT aborts.

  Use as a context manager around the train loop, which checks `requested`
  once per iteration and then saves and exits.
  """

  def __init__(self, expected: bool = False):
    """`expected`: a stop is how this job normally ends (the replay job), so
    it is logged at INFO rather than as a warning on the console."""
    self._event = threading.Event()
    self._previous = {}
    self._log = logging.info if expected else logging.warning

  @property
  def requested(self) -> bool:
    """True once a stop signal arrived."""
    return self._event.is_set()

  def request(self, signum: int = signal.SIGTERM,
              reason: Optional[str] = None) -> None:
    """Asks the loop to stop, as the signal `signum` does.

    Args:
      signum: the signal received; a second SIGINT raises KeyboardInterrupt.
      reason: who asks, for the log line; the signal's name by default.
    """
    if self._event.is_set() and signum == signal.SIGINT:
      raise KeyboardInterrupt
    self._log('Stop requested by %s: saving what this job must, then '
              'exiting.', reason or signal.Signals(signum).name)
    self._event.set()

  def __enter__(self) -> 'StopRequest':
    if threading.current_thread() is threading.main_thread():
      for signum in SIGNALS:
        self._previous[signum] = signal.signal(
            signum, lambda s, _: self.request(s))
    return self

  def __exit__(self, *exc_info) -> None:
    for signum, handler in self._previous.items():
      signal.signal(signum, handler)
    self._previous.clear()
