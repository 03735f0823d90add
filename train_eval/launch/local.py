"""`--collectors=N` on this machine: the jobs as processes talking over loopback.

Starts the jobs of `table.instances` (the replay server, the learner, N
collectors and, with evaluations, the evaluator); relays their console lines
prefixed by job, the learner's progress as the launcher's own bar; restarts
any job that dies (up to `table.MAX_RESTARTS` each: the replay server from
its table checkpoint, the learner from its Learner checkpoint, the others
reconnect); and stops everything in `stop_order` on Ctrl-C / SIGTERM or when
training is done: collectors and evaluator first (so the replay table stops
changing), then the learner, which saves the policy, Learner and replay
checkpoints at one step, then the replay server. A job that does not stop
within its `stop_timeout_secs` is killed, and the launcher says so; a second
Ctrl-C during the stop kills every job still running at once.
"""

import threading
from typing import Callable, Dict, List, Optional

from absl import logging
import portpicker

from train_eval import console as console_lib
from train_eval import invocation as invocation_lib
from train_eval import stop_signals
from train_eval.jobs import table
from train_eval.launch import job_process


class Relay:
  """Prints each job's console lines as '[job] line' below the launcher's bar.

  The train job's progress lines drive the launcher's own progress bar.
  """

  def __init__(self, console: console_lib.Console):
    self._console = console
    self._lock = threading.Lock()
    self._started = False

  def __call__(self, job: str, line: str) -> None:
    if job == 'launcher':
      logging.info('%s', line)
    with self._lock:
      progress = console_lib.parse_bar(line) if job == 'train' else None
      if progress:
        if not self._started:  # The speed counts from the first step seen.
          self._console.start(progress[0])
          self._started = True
        self._console.progress(*progress)
      else:
        self._console.line(f'[{job}] {line}')

  def finish(self) -> None:
    with self._lock:
      self._console.finish()


def run(jobs: List[table.Instance], invocation: invocation_lib.Invocation,
        training_done: Callable[[], bool], console: console_lib.Console,
        port: Optional[int] = None) -> int:
  """Runs the jobs until training ends or a stop request; returns the exit status.

  Args:
    jobs: what to start (`table.instances`).
    invocation: the launcher's; each job's is derived from it.
    training_done: whether the run reached num_iterations (else a train job
      that ended well was stopped, and the others are stopped too).
    console: the launcher's console.
    port: the replay server's port; a free one by default.
  """
  port = port or portpicker.pick_unused_port()
  address = f'localhost:{port}'
  collectors = sum(job.kind.per_task for job in jobs)
  relay = Relay(console)
  env = job_process.child_env()
  processes = {
      job.name: job_process.JobProcess(
          job.name, invocation.for_job(**table.job_fields(
              job, collectors, address, port)).to_args(), relay, env)
      for job in jobs}
  with_eval = any(job.kind.needs_eval for job in jobs)
  relay('launcher', f'replay server on {address}; {collectors} '
        f'collector(s){", an evaluator" if with_eval else ""}; logs in '
        'root_dir/logs/.')
  with stop_signals.StopRequest() as stop:
    try:
      for process in processes.values():
        process.start()
      train_status = _watch(processes, {job.name: job.kind for job in jobs},
                            relay, stop)
      _shut_down(jobs, processes, relay,
                 stop.requested or train_status != 0 or not training_done())
    except KeyboardInterrupt:  # A second Ctrl-C: stop waiting for the jobs.
      relay('launcher', 'a second Ctrl-C: killing the jobs still running.')
      train_status = 1
    finally:  # No job outlives the launcher.
      _kill_the_rest(processes, relay)
  relay.finish()
  if train_status == 0:
    relay('launcher', 'all jobs stopped.')
  return 0 if train_status == 0 else 1


def _watch(processes: Dict[str, job_process.JobProcess],
           kinds: Dict[str, table.JobKind], relay,
           stop: stop_signals.StopRequest) -> Optional[int]:
  """Restarts the jobs that die until the train job ends or a stop request.

  Returns:
    The train job's exit status; 0 after a stop request that it honoured.
  """
  running = dict(processes)
  while True:
    ended = job_process.wait_any(list(running.values()),
                                 should_stop=lambda: stop.requested)
    if ended is None:  # Ctrl-C or SIGTERM: the shutdown saves.
      return 0
    status = ended.poll()
    kind = kinds[ended.name].name
    if status == 0:
      if kind == 'train':
        return 0
      if kind == 'replay':
        relay('launcher', 'the replay job ended (asked to stop by someone '
              'else); stopping.')
        return 1
      running.pop(ended.name)  # A collector or the evaluator is done.
      continue
    if status == job_process.USAGE_ERROR_STATUS:
      relay('launcher', f'{ended.name} refused its input (exit {status}); '
            f'stopping. See root_dir/logs/{ended.name}.log.')
      return 1
    if ended.restarts >= table.MAX_RESTARTS:
      relay('launcher', f'{ended.name} died {ended.restarts + 1} times; '
            f'stopping. See root_dir/logs/{ended.name}.log.')
      return 1
    ended.restarts += 1
    relay('launcher', f'{ended.name} exited with {status}; restarting it '
          f'(restart {ended.restarts} of {table.MAX_RESTARTS}).')
    ended.start()


def _kill_the_rest(processes: Dict[str, job_process.JobProcess],
                   relay) -> None:
  """Kills every job still running, saying which."""
  for process in processes.values():
    if process.poll() is None and process.pid is not None:
      relay('launcher', f'{process.name} is still running; killing it.')
      process.kill()


def _shut_down(jobs: List[table.Instance],
               processes: Dict[str, job_process.JobProcess], relay,
               stopping: bool) -> None:
  """Stops the jobs in `stop_order`; each group within its stop timeout.

  When training finished, the evaluator first evaluates the last checkpoint
  (within 10 learner stop timeouts).
  """
  if not stopping:
    for job in jobs:
      if job.kind.needs_eval:
        processes[job.name].wait(table.KINDS['train'].stop_timeout_secs * 10)
  for group in table.stop_groups(jobs):
    for job in group:
      processes[job.name].terminate()
    for job in group:
      status = processes[job.name].wait(job.kind.stop_timeout_secs)
      if status not in (0, None) and job.kind.stop_order > 0:
        relay('launcher', f'{job.name} stopped with exit status {status}.')
