"""The Ray actor one job runs in; light, so that its process captures the console
before TensorFlow is imported (the job's modules are imported by `run`)."""

import os
import sys

import portpicker
import ray

from train_eval import console as console_lib
from train_eval import invocation as invocation_lib
from train_eval import stop_signals
from train_eval.launch import job_process


@ray.remote(max_concurrency=2)
class JobActor:
  """One `train_eval` job, run in this actor's process; `stop` asks it to save and end."""

  def __init__(self, name: str, expects_stop: bool):
    self._name = name
    self._stop = stop_signals.StopRequest(expected=expects_stop)

  def __repr__(self) -> str:  # Ray's prefix for this actor's log lines.
    return self._name

  def free_address(self) -> str:
    """'ip:port' with a port free on this actor's node."""
    return f'{ray.util.get_node_ip_address()}:{portpicker.pick_unused_port()}'

  def run(self, invocation: invocation_lib.Invocation) -> int:
    """Runs the job here; returns its exit status.

    A job that fails (not on bad input, not when asked to stop) ends this
    actor's process, so that Ray restarts the actor and retries `run`, as the
    local launcher restarts a failed job.
    """
    capture = console_lib.capture()  # Before TensorFlow prints on import.
    from train_eval import job_runner  # pylint: disable=g-import-not-at-top
    status = job_runner.run_in_process(invocation, capture, self._stop)
    if (status not in (0, job_process.USAGE_ERROR_STATUS) and
        not self._stop.requested):
      sys.stdout.flush()
      sys.stderr.flush()
      os._exit(status)  # pylint: disable=protected-access
    return status

  def stop(self) -> None:
    self._stop.request(reason='the Ray launcher')
