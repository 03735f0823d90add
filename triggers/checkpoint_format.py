"""The on-disk layout of saved policies: names, atomic publication, listing.

tf_agents' layout under `saved_model_dir` (usually `root_dir/policies`):

  policy/ greedy_policy/ collect_policy/          SavedModels, written once
  checkpoints/policy_checkpoint_%010d/variables/  variables at a train step

Every directory is first written under a temporary name that starts with '.'
(so neither `policy_checkpoint_*` globs nor a sorted listing's last entry ever
pick it), then renamed into place: a reader sees a complete directory or none.
Writer and readers both use this module, so the format is defined once.
"""

import os
import re
import uuid
from typing import List, Optional

from absl import logging
import tensorflow as tf
from tf_agents.policies import policy_saver
from tf_agents.train import learner

POLICY_DIR = learner.RAW_POLICY_SAVED_MODEL_DIR  # 'policy'
GREEDY_POLICY_DIR = learner.GREEDY_POLICY_SAVED_MODEL_DIR  # 'greedy_policy'
COLLECT_POLICY_DIR = learner.COLLECT_POLICY_SAVED_MODEL_DIR  # 'collect_policy'
CHECKPOINTS_DIR = learner.POLICY_CHECKPOINT_DIR  # 'checkpoints'
POLICY_SPECS_FILE = policy_saver.POLICY_SPECS_PBTXT  # 'policy_specs.pbtxt'

CHECKPOINT_PREFIX = 'policy_checkpoint_'
_CHECKPOINT_NAME = re.compile(r'^policy_checkpoint_(\d+)$')
_TEMP_MARKER = '.tmp-'


def checkpoint_name(step: int) -> str:
  """'policy_checkpoint_%010d', the name tf_agents gives the checkpoint at `step`."""
  return '%s%010d' % (CHECKPOINT_PREFIX, step)


def checkpoint_step(name: str) -> Optional[int]:
  """The train step in a complete checkpoint's directory name, else None."""
  match = _CHECKPOINT_NAME.match(os.path.basename(name.rstrip('/')))
  return int(match.group(1)) if match else None


def variables_prefix(directory: str) -> str:
  """The file prefix of a checkpoint's variables: `directory/variables/variables`."""
  return os.path.join(directory, tf.saved_model.VARIABLES_DIRECTORY,
                      tf.saved_model.VARIABLES_FILENAME)


def temp_path(final_path: str) -> str:
  """A unique hidden sibling of `final_path` to write into before publishing."""
  parent, name = os.path.split(final_path.rstrip('/'))
  return os.path.join(parent, f'.{name}{_TEMP_MARKER}{uuid.uuid4().hex}')


def is_temp_name(name: str) -> bool:
  """True for a directory written by `temp_path` (a save not yet published)."""
  return name.startswith('.') and _TEMP_MARKER in name


def publish(temp: str, final_path: str) -> bool:
  """Renames a complete `temp` directory to `final_path`, atomically.

  Returns:
    True if published; False if `final_path` already existed, in which case it
    is kept untouched and `temp` is removed.
  """
  if tf.io.gfile.exists(final_path):
    tf.io.gfile.rmtree(temp)
    return False
  try:
    tf.io.gfile.rename(temp, final_path, overwrite=False)
  except (tf.errors.OpError, OSError):
    if tf.io.gfile.exists(final_path):  # Another writer won the race.
      tf.io.gfile.rmtree(temp)
      return False
    raise
  return True


def remove_unpublished(directory: str) -> List[str]:
  """Deletes what interrupted saves left in `directory`; returns their paths."""
  if not tf.io.gfile.isdir(directory):
    return []
  removed = []
  for name in tf.io.gfile.listdir(directory):
    name = name.rstrip('/')
    if is_temp_name(name):
      path = os.path.join(directory, name)
      tf.io.gfile.rmtree(path)
      removed.append(path)
  if removed:
    logging.warning('Removed %d unfinished save(s): %s', len(removed), removed)
  return removed


def list_checkpoints(saved_model_dir: str) -> List[int]:
  """Steps of the complete policy checkpoints under `saved_model_dir`, ascending."""
  directory = os.path.join(saved_model_dir, CHECKPOINTS_DIR)
  if not tf.io.gfile.isdir(directory):
    return []
  steps = (checkpoint_step(name) for name in tf.io.gfile.listdir(directory))
  return sorted(step for step in steps if step is not None)


def checkpoint_path(saved_model_dir: str, step: int) -> str:
  """Path of the checkpoint at `step`: `saved_model_dir/checkpoints/policy_checkpoint_%010d`."""
  return os.path.join(saved_model_dir, CHECKPOINTS_DIR, checkpoint_name(step))
