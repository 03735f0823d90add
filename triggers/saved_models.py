"""Exports a policy's SavedModel once, atomically, and checks an existing one.

A SavedModel directory (`policy/`, `greedy_policy/`, `collect_policy/`) is
written under a temporary name and renamed into place, so it exists complete or
not at all. One already there is reused, as tf_agents does, but only if it was
saved for the same specs: a `saved_model_dir` holding another agent's policies
is an error, never silently mixed with this agent's checkpoints.
"""

import os

from absl import logging
from google.protobuf import text_format
import tensorflow as tf
from tensorflow.core.protobuf import struct_pb2
from tf_agents.policies import policy_saver
from tf_agents.specs import tensor_spec

from triggers import argument_checks
from triggers import checkpoint_format


class SpecMismatchError(argument_checks.BadArgumentValue):
  """A directory holds a SavedModel saved for different specs."""


def saved_specs(saver: policy_saver.PolicySaver) -> dict:
  """The specs `PolicySaver.save` writes to `policy_specs.pbtxt`."""
  return {
      'collect_data_spec': saver.policy.collect_data_spec,
      'policy_state_spec': saver.policy.policy_state_spec,
  }


def read_specs_proto(export_dir: str) -> struct_pb2.StructuredValue:
  """Parses `export_dir/policy_specs.pbtxt`."""
  proto = struct_pb2.StructuredValue()
  path = os.path.join(export_dir, checkpoint_format.POLICY_SPECS_FILE)
  with tf.io.gfile.GFile(path, 'rb') as f:
    text_format.Parse(f.read(), proto)
  return proto


def export_once(saver: policy_saver.PolicySaver, export_dir: str) -> bool:
  """Writes `saver`'s SavedModel to `export_dir` unless a matching one exists.

  Returns:
    True if written now; False if a SavedModel with the same specs was there.

  Raises:
    SpecMismatchError: `export_dir` holds a SavedModel with other specs.
  """
  specs_file = os.path.join(export_dir, checkpoint_format.POLICY_SPECS_FILE)
  if tf.io.gfile.exists(specs_file):
    check_specs_match(saver, export_dir)
    return False
  if tf.io.gfile.exists(export_dir):
    # No specs file: a save that tf_agents' in-place writer never finished.
    logging.warning('Replacing the incomplete SavedModel in %s.', export_dir)
    tf.io.gfile.rmtree(export_dir)
  temp = checkpoint_format.temp_path(export_dir)
  try:
    saver.save(temp)
  except BaseException:
    if tf.io.gfile.exists(temp):
      tf.io.gfile.rmtree(temp)
    raise
  return checkpoint_format.publish(temp, export_dir)


def remove_mismatched(savers_and_dirs, saved_model_dir: str) -> bool:
  """Deletes every policy under `saved_model_dir` if any SavedModel's specs differ.

  For `overwrite_existing=True`: the SavedModels, checkpoints and best policy
  of another agent go; nothing is deleted when all specs match.

  Returns:
    True if something was deleted.
  """
  for saver, export_dir in savers_and_dirs:
    specs_file = os.path.join(export_dir, checkpoint_format.POLICY_SPECS_FILE)
    if not tf.io.gfile.exists(specs_file):
      continue
    try:
      check_specs_match(saver, export_dir)
    except SpecMismatchError as e:
      logging.warning('overwrite_existing: deleting the policies in %s: %s',
                      saved_model_dir, e)
      for name in tf.io.gfile.listdir(saved_model_dir):
        path = os.path.join(saved_model_dir, name.rstrip('/'))
        if tf.io.gfile.isdir(path):
          tf.io.gfile.rmtree(path)
        else:
          tf.io.gfile.remove(path)
      return True
  return False


def check_specs_match(saver: policy_saver.PolicySaver, export_dir: str) -> None:
  """Raises `SpecMismatchError` unless `export_dir` was saved for `saver`'s specs."""
  expected = tensor_spec.to_proto(saved_specs(saver))
  found = read_specs_proto(export_dir)
  if found != expected:
    raise SpecMismatchError(
        f'{export_dir} holds a policy saved for other specs, probably by a '
        'different agent or environment.\n'
        f'  on disk: {tensor_spec.from_proto(found)}\n'
        f'  this agent: {tensor_spec.from_proto(expected)}\n'
        'Use a new saved_model_dir (a new root_dir), or delete that directory '
        'if its policies are no longer needed.')
