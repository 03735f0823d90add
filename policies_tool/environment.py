"""Loads a run's own environment and its saved policy, as a user would."""

from typing import Tuple

from tf_agents.environments import py_environment
from tf_agents.policies import policy_loader
from tf_agents.policies import py_tf_eager_policy

from policies_tool import run_dir as run_dir_lib
from train_eval import environments


def load(root_dir: str, checkpoint: str, policy: str = 'greedy_policy'
         ) -> Tuple[run_dir_lib.Selected, py_tf_eager_policy.SavedModelPyTFEagerPolicy,
                    py_environment.PyEnvironment]:
  """(selected, policy, environment) for `--checkpoint` of the run in `root_dir`.

  The policy loads with `policy_loader.load` (SavedModel + checkpoint), or, for
  'best', from the self-contained `best_policy/` SavedModel. The checkpoint is
  leased while it loads, so retention cannot delete it under the load.

  Args:
    root_dir: a train_eval root_dir.
    checkpoint: 'latest', 'best' or a train step.
    policy: the SavedModel the checkpoint loads into; default 'greedy_policy'.

  Returns:
    The selection, the loaded py policy and a new environment (close it).

  Raises:
    PoliciesError: see `RunDir.select` and `RunDir.reading`.
  """
  run = run_dir_lib.RunDir(root_dir)
  selected = run.select(checkpoint, policy)
  with run.reading(selected):
    if selected.checkpoint:
      loaded = policy_loader.load(selected.saved_model, selected.checkpoint)
    else:
      loaded = py_tf_eager_policy.SavedModelPyTFEagerPolicy(
          selected.saved_model, load_specs_from_pbtxt=True)
  env_config = run.environment()
  env = environments.SUITES[env_config['suite']](env_config['env_name'])
  return selected, loaded, env
