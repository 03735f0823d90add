"""A self-contained SavedModel of one policy checkpoint (no checkpoint needed to load it).

`tf.saved_model.load(out)` alone then gives the policy at that step, and so does
`policy_loader.load(out)`. (tf_agents' `materialize_saved_model` copies the
checkpoint's files into the SavedModel instead, which fails to load when the
policy has metadata: the checkpoint holds it under `policy/` only.)
"""

import os
import shutil

import tensorflow as tf

from triggers import checkpoint_format


def write_materialized(saved_model_dir: str, checkpoint_dir: str,
                       out_dir: str) -> None:
  """Writes the SavedModel `saved_model_dir` with `checkpoint_dir`'s values to `out_dir`.

  Args:
    saved_model_dir: e.g. `policies/greedy_policy`.
    checkpoint_dir: e.g. `policies/checkpoints/policy_checkpoint_0000005000`;
      hold a lease on it (`checkpoint_reader.reading`) while this runs.
    out_dir: a new directory; written in place, so pass a temporary one and
      rename it into place (as `best_policy` and `policies export` do).
  """
  loaded = tf.saved_model.load(saved_model_dir)
  # The layout PolicySaver.save_checkpoint writes: the policy under 'policy'.
  tf.train.Checkpoint(policy=loaded).read(
      checkpoint_format.variables_prefix(checkpoint_dir)
  ).assert_existing_objects_matched().expect_partial()
  tf.saved_model.save(loaded, out_dir, signatures=dict(loaded.signatures))
  shutil.copy(os.path.join(saved_model_dir, checkpoint_format.POLICY_SPECS_FILE),
              out_dir)
