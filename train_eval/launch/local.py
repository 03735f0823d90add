"""`--collectors=N` on this machine: the jobs as processes talking over loopback.

Starts the replay job, the train job, N collect jobs and (with evaluations)
the eval job; relays their console lines prefixed by job; restarts a
collector or the evaluator that dies; and stops everything in order on
Ctrl-C / SIGTERM or when training is done: collectors and evaluator first
(so the replay table stops changing), then the learner, which saves the
policy, Learner and replay checkpoints at one step, then the replay server.
"""

import threading
from typing import Callable, Dict, List, Optional

from absl import logging
import portpicker

from train_eval import stop_signals
from train_eval.launch import job_process

MAX_RESTARTS = 10  # Per job, for the collectors and the evaluator.
STOP_TIMEOUT_SECS = {'collect': 30, 'eval': 30, 'train': 180, 'replay': 60}


class Relay:
  """Prints each job's console lines as '[job] line'; the train job's bar stays live."""

  def __init__(self, out, err):
    self._out, self._err = out, err
    self._live = err.isatty()
    self._lock = threading.Lock()
    self._bar = ''

  def __call__(self, job: str, line: str) -> None:
    if job == 'launcher':
      logging.info('%s', line)
    with self._lock:
      if self._live and job == 'train' and line.startswith('train ['):
        self._bar = line
        self._err.write('\r' + line + '\x1b[K')
        self._err.flush()
        return
      if self._bar:
        self._err.write('\r\x1b[K')
        self._err.flush()
      self._out.write(f'[{job}] {line}\n')
      self._out.flush()
      if self._bar:
        self._err.write(self._bar)
        self._err.flush()

  def finish(self) -> None:
    with self._lock:
      if self._bar:
        self._err.write('\n')
        self._err.flush()
        self._bar = ''


def job_args(collectors: int, port: int, with_eval: bool
             ) -> Dict[str, List[str]]:
  """job name -> the flags that make a `train_eval` process that job."""
  address = f'localhost:{port}'
  jobs = {
      'replay': ['--job=replay', f'--replay_port={port}'],
      'train': ['--job=train', f'--replay_address={address}'],
  }
  for task in range(collectors):
    jobs[f'collect-{task}'] = ['--job=collect', f'--task={task}',
                               f'--collectors={collectors}',
                               f'--replay_address={address}']
  if with_eval:
    jobs['eval'] = ['--job=eval']
  return jobs


def run(collectors: int, with_eval: bool, child_flags: List[str],
        training_done: Callable[[], bool], out, err,
        port: Optional[int] = None) -> int:
  """Runs the jobs until training ends or a stop request; returns the exit status.

  Args:
    collectors: how many collect jobs.
    with_eval: start the eval job.
    child_flags: the flags every job gets (root_dir, gin files, bindings...).
    training_done: whether the run reached num_iterations (else a train job
      that ended well was stopped, and the others are stopped too).
    out, err: the terminal.
    port: the replay server's port; a free one by default.
  """
  port = port or portpicker.pick_unused_port()
  relay = Relay(out, err)
  env = job_process.child_env()
  processes = {
      name: job_process.JobProcess(name, child_flags + args, relay, env)
      for name, args in job_args(collectors, port, with_eval).items()}
  relay('launcher', f'replay server on localhost:{port}; {collectors} '
        f'collector(s){", an evaluator" if with_eval else ""}; logs in '
        'root_dir/logs/.')
  with stop_signals.StopRequest() as stop:
    for process in processes.values():
      process.start()
    train_status = _watch(processes, relay, stop)
  _shut_down(processes, relay,
             stop.requested or train_status != 0 or not training_done())
  relay.finish()
  if train_status == 0:
    relay('launcher', 'all jobs stopped.')
  return 0 if train_status == 0 else 1


def _watch(processes: Dict[str, job_process.JobProcess], relay,
           stop: stop_signals.StopRequest) -> Optional[int]:
  """Restarts what may be restarted until the train job ends or a stop request.

  Returns:
    The train job's exit status; 0 after a stop request that it honoured.
  """
  while True:
    ended = job_process.wait_any(list(processes.values()),
                                 should_stop=lambda: stop.requested)
    if ended is None:  # Ctrl-C or SIGTERM: the shutdown saves.
      return 0
    status = ended.poll()
    if ended.name == 'train':
      if status != 0:
        relay('launcher', f'the train job failed (exit {status}); stopping '
              'the others. See root_dir/logs/train.log.')
      return status
    if ended.name == 'replay':
      relay('launcher', f'the replay job ended (exit {status}); stopping.')
      return 1
    if status == 0:  # A collector or the evaluator finished its work.
      processes.pop(ended.name)
      continue
    if ended.restarts >= MAX_RESTARTS:
      relay('launcher', f'{ended.name} died {ended.restarts + 1} times; '
            'stopping.')
      return 1
    ended.restarts += 1
    relay('launcher', f'{ended.name} exited with {status}; restarting it '
          f'(restart {ended.restarts}).')
    ended.start()


def _shut_down(processes: Dict[str, job_process.JobProcess], relay,
               stopping: bool) -> None:
  """Collectors and evaluator, then the learner, then the replay server."""
  first = [p for name, p in processes.items() if name.startswith('collect')]
  if stopping:
    first += [p for name, p in processes.items() if name == 'eval']
  else:  # Training finished: the evaluator ends after the last checkpoint.
    evaluator = processes.get('eval')
    if evaluator:
      evaluator.wait(STOP_TIMEOUT_SECS['train'] * 10)
  for process in first:
    process.terminate()
  for process in first:
    process.wait(STOP_TIMEOUT_SECS[process.name.split('-')[0]])
  for name in ('train', 'replay'):
    process = processes[name]
    status = process.stop(STOP_TIMEOUT_SECS[name])
    if status not in (0, None):
      relay('launcher', f'{name} stopped with exit status {status}.')
