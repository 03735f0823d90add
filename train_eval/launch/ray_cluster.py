"""`--collectors=N --launcher=ray`: the same jobs as Ray actors across a Ray cluster.

Each job runs inside its actor's process (`JobActor.run`, given the job's
`Invocation`), so Ray sees any job die and restarts it (`max_restarts`),
retrying its `run`: the replay server restores its table checkpoint, the
learner its Learner checkpoint, the others reconnect. The replay actor runs
on the launcher's node (restarts included, so its address holds) and picks a
free port there; the others are given that address: nothing is typed. Ray
prefixes each actor's console lines with its name (in colour only on a
terminal). A local Ray instance (no --ray_address) binds to
loopback. root_dir must be on storage every node can reach.

  train_eval --gin_file=sac_minitaur.gin --root_dir=/shared/runs/m \
      --collectors=8 --launcher=ray --ray_address=auto

Import only after `ray_env.prepare`.
"""

import contextlib
import os
import time
from typing import Callable, List, Optional

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from train_eval import console as console_lib
from train_eval import invocation as invocation_lib
from train_eval import stop_signals
from train_eval.jobs import table
from train_eval.launch.ray_actor import JobActor

POLL_SECS = 0.5
# Ray forwards the actors' output by tailing their log files; the last lines
# (the replay job's table statistics) need a moment before ray.shutdown().
LOG_FORWARD_SECS = 1.0


def _actor(job: table.Instance):
  """The job's actor; the replay server's pinned to the launcher's node.

  The others are given the replay server's address once, so its restarts
  must keep it: on the launcher's node (which lives as long as the run) its
  port is freed by the death of the process that held it.
  """
  options = {}
  if job.kind.serves_replay:
    options['scheduling_strategy'] = NodeAffinitySchedulingStrategy(
        node_id=ray.get_runtime_context().get_node_id(), soft=False)
  return JobActor.options(
      name=None, num_cpus=job.kind.num_cpus, max_restarts=table.MAX_RESTARTS,
      max_task_retries=-1, **options).remote(job.name, job.kind.expects_stop)


def run(jobs: List[table.Instance], invocation: invocation_lib.Invocation,
        training_done: Callable[[], bool], ray_address: Optional[str],
        console: console_lib.Console, capture: console_lib.Capture) -> int:
  """Starts the jobs on Ray, waits for training to end (or Ctrl-C), stops them in order.

  Args: as `local.run`, and `ray_address`: the cluster to join (None: start a
  local Ray instance on loopback); `capture`: the terminal.
  """
  if ray_address:
    ray.init(address=ray_address, log_to_driver=True)
  else:
    ray.init(num_cpus=max(os.cpu_count() or 1, len(jobs)),
             include_dashboard=False, log_to_driver=True,
             object_store_memory=200 * 1024 * 1024)
  say = lambda line: console.line(f'[launcher] {line}')
  # Ray prints the actors' lines on sys.stdout/stderr, which the capture
  # points at the log file: they belong on the terminal.
  with contextlib.redirect_stdout(capture.terminal_out), \
       contextlib.redirect_stderr(capture.terminal_err):
    try:
      return _run_jobs(jobs, invocation, training_done, say)
    finally:
      ray.shutdown()


def _run_jobs(jobs: List[table.Instance],
              invocation: invocation_lib.Invocation,
              training_done: Callable[[], bool], say) -> int:
  actors = {job.name: _actor(job) for job in jobs}
  server = next(job for job in jobs if job.kind.serves_replay)
  address = ray.get(actors[server.name].free_address.remote())
  port = int(address.rsplit(':', 1)[1])
  collectors = sum(job.kind.per_task for job in jobs)
  say(f'Ray: replay server at {address}; {collectors} collector(s)'
      f'{", an evaluator" if any(j.kind.needs_eval for j in jobs) else ""}.')
  runs = {job.name: actors[job.name].run.remote(invocation.for_job(
      **table.job_fields(job, collectors, address, port))) for job in jobs}
  with stop_signals.StopRequest() as stop:
    status = _wait_for_train(runs, server.name, stop, say)
  _shut_down(jobs, actors, runs, say,
             stopping=stop.requested or status != 0 or not training_done())
  time.sleep(LOG_FORWARD_SECS)
  say('all jobs stopped.')
  return 0 if status == 0 else 1


def _wait_for_train(runs, server: str, stop, say) -> int:
  """The train job's exit status; 0 if a stop request came first.

  A killed job's actor is restarted by Ray and its `run` retried, so its
  result comes only once it ends for good.
  """
  while not stop.requested:
    done, _ = ray.wait([runs['train']], timeout=POLL_SECS)
    if done:
      try:
        status = ray.get(done[0])
      except ray.exceptions.RayError as e:  # Restarts used up.
        say(f'the train job died ({type(e).__name__}); stopping the others.')
        return 1
      if status != 0:
        say(f'the train job failed (exit {status}); stopping the others.')
      return status
    finished, _ = ray.wait([runs[server]], timeout=0)
    if finished:
      say('the replay job ended; stopping.')
      return 1
  return 0


def _shut_down(jobs: List[table.Instance], actors, runs, say,
               stopping: bool) -> None:
  """Stops the jobs in `stop_order`; a group that overruns its timeout is killed."""
  if not stopping:
    evaluators = [runs[job.name] for job in jobs if job.kind.needs_eval]
    if evaluators:
      ray.wait(evaluators, num_returns=len(evaluators),
               timeout=table.KINDS['train'].stop_timeout_secs * 10)
  for group in table.stop_groups(jobs):
    for job in group:
      finished, _ = ray.wait([runs[job.name]], timeout=0)
      if not finished:
        actors[job.name].stop.remote()
    timeout = max(job.kind.stop_timeout_secs for job in group)
    _, late = ray.wait([runs[job.name] for job in group],
                       num_returns=len(group), timeout=timeout)
    for job in group:
      if runs[job.name] in late:
        say(f'{job.name} did not stop within {timeout:.0f} s; killing it.')
        ray.kill(actors[job.name], no_restart=True)
