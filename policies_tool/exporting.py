"""`policies export`: a self-contained SavedModel of one checkpoint, for deployment."""

import os
import shutil

from policies_tool import run_dir as run_dir_lib
from triggers import checkpoint_format
from triggers import policy_export


def export(root_dir: str, checkpoint: str, out: str,
           policy: str = 'greedy_policy') -> str:
  """Writes the SavedModel of `policy` at `checkpoint` to the new directory `out`.

  `tf.saved_model.load(out)` in a process that imported only TensorFlow then
  gives the policy at that step, and so does `policy_loader.load(out)` (see
  `triggers.policy_export`). Written under a temporary name and renamed, like
  every save.

  Args:
    root_dir: a train_eval root_dir.
    checkpoint: 'latest', 'best' or a train step.
    out: the directory to create.
    policy: the SavedModel the checkpoint loads into; default 'greedy_policy'.

  Returns:
    `out`.

  Raises:
    PoliciesError: `out` exists, or the checkpoint cannot be found, was
      deleted by retention before it was leased, or is damaged.
  """
  if os.path.exists(out):
    raise run_dir_lib.PoliciesError(
        f'--out={out} already exists; choose a new directory.')
  run = run_dir_lib.RunDir(root_dir)
  selected = run.select(checkpoint, policy)
  with run.reading(selected):  # Retention keeps the checkpoint meanwhile.
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    temp = checkpoint_format.temp_path(os.path.abspath(out))
    try:
      policy_export.write_materialized(selected.saved_model,
                                       selected.checkpoint, temp)
      os.rename(temp, out)
    finally:
      shutil.rmtree(temp, ignore_errors=True)
  return out
