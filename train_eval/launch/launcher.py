"""`--collectors=N`: checks the whole run once, then starts its jobs locally or on Ray."""

from typing import Optional

from train_eval import agents
from train_eval import console as console_lib
from train_eval import environments
from train_eval import errors
from train_eval import existing_run
from train_eval import invocation as invocation_lib
from train_eval import learning
from train_eval.jobs import context as context_lib
from train_eval.jobs import table
from train_eval.launch import ray_env


def preflight(context: context_lib.JobContext) -> None:
  """What each job would find wrong, found once: the environment, the agent's
  values, the trigger bindings, and an earlier run of another agent in root_dir.

  Raises:
    errors.UsageError: the first problem, as one line.
  """
  env = environments.create()
  try:
    agent, train_step = agents.build(context.experiment.agent_fn, env)
  finally:
    env.close()
  learning.check_trigger_bindings(context.experiment.learner_triggers)
  existing_run.check_compatible(context.root_dir, agent, train_step,
                                context.savers.overwrite_existing)


def run(context: context_lib.JobContext,
        invocation: invocation_lib.Invocation, launcher: str,
        ray_address: Optional[str], capture: console_lib.Capture) -> int:
  """Checks, then runs the jobs with `launcher` ('local' or 'ray'); returns the exit status.

  Args:
    context: the run's settings and the launcher's console.
    invocation: the launcher's; each job's is derived from it.
    launcher: 'local' or 'ray'.
    ray_address: the Ray cluster to join; None starts a local Ray instance.
    capture: the console capture (moved to root_dir/logs/launcher.log).
  """
  ray_cluster = _ray_cluster(ray_address, capture) if launcher == 'ray' else None
  preflight(context)
  capture.move_to(console_lib.log_path(context.root_dir, 'launcher'))
  jobs = table.instances(context.num_tasks,
                         with_eval=bool(context.experiment.eval_interval))
  training_done = lambda: (learning.checkpointed_steps(context.root_dir) or
                           [-1])[-1] >= context.experiment.num_iterations
  if ray_cluster is not None:
    return ray_cluster.run(jobs, invocation, training_done, ray_address,
                           context.console, capture)
  from train_eval.launch import local  # pylint: disable=g-import-not-at-top
  return local.run(jobs, invocation, training_done, context.console)


def _ray_cluster(ray_address: Optional[str], capture: console_lib.Capture):
  """The Ray launcher module, Ray's environment set first (Ray reads it at import).

  Raises:
    errors.MissingPackageError: Ray cannot be imported; nothing written yet.
  """
  ray_env.prepare(local=not ray_address, colour=capture.terminal_out.isatty())
  try:
    from train_eval.launch import ray_cluster  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise errors.MissingPackageError(
        f'--launcher=ray needs Ray ({e}); install it with '
        "pip install -e '.[ray]' in this clone, or use --launcher=local.") from e
  return ray_cluster
