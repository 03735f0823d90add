"""`--collectors=N --launcher=ray`: the same jobs as Ray actors across a Ray cluster.

Each job runs inside its actor's process (`JobActor.run`), so Ray sees a
collector die and restarts it (`max_restarts`), retrying its `run`. The
replay actor picks a free port on its own node and the others are given that
node's address: nothing is typed. Ray prefixes each actor's console lines
with its name. root_dir must be on storage every node can reach.

  train_eval --gin_file=sac_minitaur.gin --root_dir=/shared/runs/m \
      --collectors=8 --launcher=ray --ray_address=auto
"""

import contextlib
import os
import time
from typing import Callable, Dict, List, Optional

import portpicker

os.environ.setdefault('RAY_DEDUP_LOGS', '0')  # Each job's lines, each time.
import ray  # pylint: disable=g-import-not-at-top,wrong-import-position

from train_eval import stop_signals

MAX_RESTARTS = 10
POLL_SECS = 0.5
STOP_TIMEOUT_SECS = 180
# Ray forwards the actors' output by tailing their log files; the last lines
# (the replay job's table statistics) need a moment before ray.shutdown().
LOG_FORWARD_SECS = 1.0
# Logical CPUs each actor asks Ray for; the replay server mostly waits.
NUM_CPUS = {'replay': 0, 'train': 1, 'collect': 1, 'eval': 1}


@ray.remote(max_concurrency=2)
class JobActor:
  """One `train_eval` job, run in this actor's process; `stop` asks it to save and end."""

  def __init__(self, name: str):
    self._name = name
    self._stop = stop_signals.StopRequest(expected=name == 'replay')

  def __repr__(self) -> str:  # Ray's prefix for this actor's log lines.
    return self._name

  def free_address(self) -> str:
    """'ip:port' with a port free on this actor's node."""
    return f'{ray.util.get_node_ip_address()}:{portpicker.pick_unused_port()}'

  def run(self, args: List[str]) -> int:
    """Runs `train_eval <args>` here; returns its exit status."""
    from train_eval import train_eval  # pylint: disable=g-import-not-at-top
    return train_eval.run_in_process(args, self._stop)

  def stop(self) -> None:
    self._stop.request(reason='the Ray launcher')


def _actor(name: str, restarts: int = 0):
  return JobActor.options(
      name=None, num_cpus=NUM_CPUS[name.split('-')[0]],
      max_restarts=restarts, max_task_retries=-1 if restarts else 0
  ).remote(name)


def run(collectors: int, with_eval: bool, child_flags: List[str],
        training_done: Callable[[], bool], ray_address: Optional[str], out,
        err) -> int:
  """Starts the jobs on Ray, waits for training to end (or Ctrl-C), stops them in order.

  Args: as `local.run`, and `ray_address`: the cluster to join (None: start a
  local Ray instance).
  """
  jobs_count = collectors + 2 + int(with_eval)
  if ray_address:
    ray.init(address=ray_address, log_to_driver=True)
  else:
    ray.init(num_cpus=max(os.cpu_count() or 1, jobs_count),
             include_dashboard=False, log_to_driver=True,
             object_store_memory=200 * 1024 * 1024)
  say = lambda line: (out.write(f'[launcher] {line}\n'), out.flush())
  # Ray prints the actors' lines on sys.stdout/stderr, which the capture
  # points at the log file: they belong on the terminal.
  with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    return _run_jobs(collectors, with_eval, child_flags, training_done, say)


def _run_jobs(collectors: int, with_eval: bool, child_flags: List[str],
              training_done: Callable[[], bool], say) -> int:
  try:
    replay = _actor('replay')
    address = ray.get(replay.free_address.remote())
    port = address.rsplit(':', 1)[1]
    actors: Dict[str, object] = {'replay': replay, 'train': _actor('train')}
    args: Dict[str, List[str]] = {
        'replay': ['--job=replay', f'--replay_port={port}'],
        'train': ['--job=train', f'--replay_address={address}'],
    }
    for task in range(collectors):
      name = f'collect-{task}'
      actors[name] = _actor(name, MAX_RESTARTS)
      args[name] = ['--job=collect', f'--task={task}',
                    f'--collectors={collectors}', f'--replay_address={address}']
    if with_eval:
      actors['eval'] = _actor('eval', MAX_RESTARTS)
      args['eval'] = ['--job=eval']
    say(f'Ray: replay server at {address}; {collectors} collector(s)'
        f'{", an evaluator" if with_eval else ""}.')
    runs = {name: actor.run.remote(child_flags + args[name])
            for name, actor in actors.items()}
    with stop_signals.StopRequest() as stop:
      status = _wait_for_train(runs, stop, say)
    _shut_down(actors, runs,
               stopping=stop.requested or status != 0 or not training_done())
    time.sleep(LOG_FORWARD_SECS)
    say('all jobs stopped.')
    return 0 if status == 0 else 1
  finally:
    ray.shutdown()


def _wait_for_train(runs, stop, say) -> int:
  """The train job's exit status; 0 if a stop request came first."""
  while not stop.requested:
    done, _ = ray.wait([runs['train']], timeout=POLL_SECS)
    if done:
      status = ray.get(done[0])
      if status != 0:
        say(f'the train job failed (exit {status}); stopping the others.')
      return status
    finished, _ = ray.wait([runs['replay']], timeout=0)
    if finished:
      say('the replay job ended; stopping.')
      return 1
  return 0


def _shut_down(actors, runs, stopping: bool) -> None:
  """Collectors and evaluator, then the learner, then the replay server."""
  first = [name for name in actors if name.startswith('collect')]
  if stopping:
    first += [name for name in actors if name == 'eval']
  elif 'eval' in runs:
    ray.wait([runs['eval']], timeout=STOP_TIMEOUT_SECS * 10)
  for group in (first, ['train'], ['replay']):
    for name in group:
      finished, _ = ray.wait([runs[name]], timeout=0)
      if not finished:
        actors[name].stop.remote()
    ray.wait([runs[name] for name in group], num_returns=len(group),
             timeout=STOP_TIMEOUT_SECS)
