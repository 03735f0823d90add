"""`--collectors=N`: checks the whole run once, then starts its jobs locally or on Ray."""

from typing import List, Optional

from train_eval import agents
from train_eval import console as console_lib
from train_eval import environments
from train_eval import errors
from train_eval import existing_run
from train_eval import learning
from train_eval.jobs import context as context_lib


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
  existing_run.check_compatible(context.root_dir, agent, train_step)


def run(context: context_lib.JobContext, launcher: str,
        ray_address: Optional[str], child_flags: List[str],
        capture: console_lib.Capture) -> int:
  """Checks, then runs the jobs with `launcher` ('local' or 'ray'); returns the exit status."""
  preflight(context)
  capture.move_to(console_lib.log_path(context.root_dir, 'launcher'))
  with_eval = bool(context.experiment.eval_interval)
  training_done = lambda: (learning.checkpointed_steps(context.root_dir) or
                           [-1])[-1] >= context.experiment.num_iterations
  if launcher == 'ray':
    try:
      from train_eval.launch import ray_cluster  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise errors.UsageError(
          f'--launcher=ray needs Ray ({e}); install it with '
          "pip install 'gin-triggers[ray]'.") from e
    return ray_cluster.run(context.num_tasks, with_eval, child_flags,
                           training_done, ray_address, capture.terminal_out,
                           capture.terminal_err)
  from train_eval.launch import local  # pylint: disable=g-import-not-at-top
  return local.run(context.num_tasks, with_eval, child_flags, training_done,
                   capture.terminal_out, capture.terminal_err)
