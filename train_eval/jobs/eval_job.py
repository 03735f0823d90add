"""`--job=eval`: evaluates each due policy checkpoint as it appears.

policies/checkpoints (reader API, under a lease) -> the eval policy's
SavedModel updated from the checkpoint -> evaluate -> eval/ summaries and the
tutorial's line -> best_policy/ when `PolicySavedModelTrigger.best_metric`
improves. Due: step 0 (the SavedModel as exported), then the first checkpoint
at least `eval_interval` steps after the last one evaluated, and the one at
`num_iterations`, when the job exits.
"""

import functools
import os
from typing import Any, Dict, Iterable, List, Optional, Set

from absl import logging
import tensorflow as tf
from tf_agents.policies import py_tf_eager_policy

import triggers
from triggers import best_policy
from triggers import checkpoint_format
from triggers import policy_export
from train_eval import console as console_lib
from train_eval import environments
from train_eval import evaluation
from train_eval import learning
from train_eval.jobs import context as context_lib
from train_eval import waiting

POLL_SECS = 2.0
SAVED_MODEL_DIRS = {'greedy': checkpoint_format.GREEDY_POLICY_DIR,
                    'policy': checkpoint_format.POLICY_DIR}


def due_steps(checkpoints: Iterable[int], evaluated: Set[int],
              eval_interval: int, num_iterations: int) -> List[int]:
  """The checkpoints to evaluate next, ascending (see the module docstring)."""
  last = max(evaluated, default=0)
  due = []
  for step in sorted(checkpoints):
    if step > last and (step >= last + eval_interval or
                        step >= num_iterations):
      due.append(step)
      last = step
  return due


def best_exporter(saved_model_dir: str, savers: context_lib.SaverSettings
                  ) -> Optional[best_policy.BestPolicyExporter]:
  """The exporter `savers.best_metric/best_mode` ask for, or None."""
  if savers.best_metric is None:
    return None
  return best_policy.BestPolicyExporter(
      None, os.path.join(saved_model_dir, best_policy.BEST_POLICY_DIR),
      savers.best_metric, savers.best_mode)


def run(context: context_lib.JobContext) -> Dict[str, Any]:
  """Evaluates until the checkpoint at `num_iterations` (or a stop request).

  Returns:
    {'evaluated': steps evaluated by this process, 'eval': the last results}.
  """
  exp = context.experiment
  stopped = lambda: context.stop.requested
  saved_model_dir = learning.policies_dir(context.root_dir)
  eval_dir = os.path.join(saved_model_dir, SAVED_MODEL_DIRS[exp.eval_policy])
  greedy_dir = os.path.join(saved_model_dir, checkpoint_format.GREEDY_POLICY_DIR)
  specs_file = os.path.join(eval_dir, checkpoint_format.POLICY_SPECS_FILE)
  if not waiting.wait_until(
      lambda: os.path.exists(specs_file),
      f'the policy {specs_file} (written by the train job)', stopped,
      context.console.line):
    return {'evaluated': [], 'eval': {}}
  if exp.seed is not None:
    tf.keras.utils.set_random_seed(environments.eval_seed(exp.seed))
  env = environments.create(environments.eval_seed(exp.seed))
  context.started()
  evaluator = evaluation.Evaluator(env, exp.eval_episodes, context.root_dir)
  policy = py_tf_eager_policy.SavedModelPyTFEagerPolicy(
      eval_dir, load_specs_from_pbtxt=True)
  best = best_exporter(saved_model_dir, context.savers)
  evaluated = set(evaluation.read_scalars(context.root_dir))
  done, results = [], {}

  def evaluate(step: int) -> Optional[Dict[str, float]]:
    found = evaluator.evaluate(policy, step, stopped)
    if found is None:  # Stopped halfway.
      return None
    logging.info('%s', console_lib.eval_line(step, found))
    context.console.evaluation(step, found)
    evaluated.add(step)
    done.append(step)
    return found

  try:
    if 0 not in evaluated:
      # The SavedModel's own weights: the initial ones.
      results = evaluate(0) or results
    while not stopped():
      checkpoints = triggers.list_checkpoints(saved_model_dir)
      due = due_steps(checkpoints, evaluated, exp.eval_interval,
                      exp.num_iterations)
      if not due:
        triggers.wait_for_checkpoint(
            saved_model_dir, newer_than=max(checkpoints, default=-1),
            timeout_secs=POLL_SECS * 5, poll_secs=POLL_SECS)
        continue
      step = due[0]
      try:
        with triggers.reading(saved_model_dir, step) as path:
          policy.update_from_checkpoint(path)
          found = evaluate(step)
          if found is None:
            break
          results = found
          if best:
            best.report(step, results, functools.partial(
                policy_export.write_materialized, greedy_dir, path))
      except FileNotFoundError:
        logging.warning('Checkpoint %d was deleted (retention) before it was '
                        'evaluated; skipping it.', step)
        evaluated.add(step)
        continue
      if step >= exp.num_iterations:
        break
  finally:
    env.close()
  return {'evaluated': done, 'eval': results}
