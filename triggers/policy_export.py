"""A self-contained SavedModel of one saved policy, loadable with TensorFlow alone.

`tf.saved_model.load(out)` in a process that imported only TensorFlow gives
the policy at that step: its signatures (`action`, `get_initial_state`,
`get_train_step`, `get_metadata`, as `PolicySaver` names them) take and return
plain tensors. The policy's `distribution` function is left out: its outputs
are TensorFlow Probability distributions, whose types only load where
`tensorflow_probability` is imported. `policy_loader.load(out)` and
`SavedModelPyTFEagerPolicy(out, load_specs_from_pbtxt=True)` load it too.
(tf_agents' `materialize_saved_model` copies the checkpoint's files into the
SavedModel instead, which fails to load when the policy has metadata: the
checkpoint holds it under `policy/` only.)
"""

import os
import shutil
from typing import Optional

import tensorflow as tf
import tf_agents  # pylint: disable=unused-import  (registers the types the policy's SavedModel names)

from triggers import checkpoint_format

# What a PolicySaver SavedModel keeps that runs without TensorFlow Probability.
EXPORTED_FUNCTIONS = ('action', 'get_initial_state', 'get_train_step',
                      'get_metadata')
EXPORTED_VARIABLES = ('model_variables', 'train_step', 'metadata')


def write_materialized(saved_model_dir: str, checkpoint_dir: Optional[str],
                       out_dir: str) -> None:
  """Writes the SavedModel `saved_model_dir`, with `checkpoint_dir`'s values, to `out_dir`.

  Args:
    saved_model_dir: a `PolicySaver` SavedModel, e.g. `policies/greedy_policy`
      or `policies/best_policy`.
    checkpoint_dir: e.g. `policies/checkpoints/policy_checkpoint_0000005000`;
      hold a lease on it (`checkpoint_reader.reading`) while this runs. None
      keeps the SavedModel's own values.
    out_dir: a new directory; written in place, so pass a temporary one and
      rename it into place (as `best_policy` and `policies export` do).
  """
  loaded = tf.saved_model.load(saved_model_dir)
  if checkpoint_dir:
    # The layout PolicySaver.save_checkpoint writes: the policy under 'policy'.
    tf.train.Checkpoint(policy=loaded).read(
        checkpoint_format.variables_prefix(checkpoint_dir)
    ).assert_existing_objects_matched().expect_partial()
  exported = tf.Module()
  for name in EXPORTED_FUNCTIONS + EXPORTED_VARIABLES:
    if hasattr(loaded, name):
      setattr(exported, name, getattr(loaded, name))
  tf.saved_model.save(exported, out_dir, signatures=dict(loaded.signatures))
  shutil.copy(os.path.join(saved_model_dir, checkpoint_format.POLICY_SPECS_FILE),
              out_dir)
