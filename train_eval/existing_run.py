"""Checks a root_dir's earlier run against this one before anything is written.

A Learner checkpoint in root_dir/train/checkpoints of another agent (other
layer sizes, another network) cannot be restored; say which checkpoint and
what differs instead of failing inside TensorFlow's restore.
"""

import os
import shutil
import tempfile
from typing import Dict, List, Tuple

from absl import logging
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.train import learner

from train_eval import errors

_BOOKKEEPING = ('_CHECKPOINTABLE_OBJECT_GRAPH', 'save_counter/')
_SHOWN = 3  # Differences named in the message.


def learner_checkpoint(root_dir: str):
  """The newest Learner checkpoint's path prefix, or None."""
  return tf.train.latest_checkpoint(
      os.path.join(root_dir, learner.TRAIN_DIR, learner.POLICY_CHECKPOINT_DIR))


def _shapes(path: str) -> Dict[str, Tuple[int, ...]]:
  return {name: tuple(shape) for name, shape in tf.train.list_variables(path)
          if not name.startswith(_BOOKKEEPING)}


def differences(saved: Dict[str, Tuple[int, ...]],
                expected: Dict[str, Tuple[int, ...]]) -> List[str]:
  """What the saved variables lack or shape differently from the expected ones.

  Variables only in `saved` do not count: optimizer slots are created at the
  first train step, after this check.
  """
  found = []
  for name, shape in sorted(expected.items()):
    if name not in saved:
      found.append(f'{name} is not in it')
    elif saved[name] != shape:
      found.append(f'{name} has shape {list(saved[name])} there and '
                   f'{list(shape)} now')
  return found


def check_compatible(root_dir: str, agent: tf_agent.TFAgent,
                     train_step: tf.Variable,
                     overwrite_existing: bool = False) -> None:
  """Raises unless root_dir's Learner checkpoint (if any) fits `agent`.

  Args:
    root_dir: the experiment's directory.
    agent: the agent this run trains.
    train_step: its train step counter.
    overwrite_existing: `PolicySavedModelTrigger.overwrite_existing`
      (--overwrite_existing): delete an unfitting run instead (see
      `remove_run`). Default False.

  Raises:
    errors.IncompatibleRunError: naming the checkpoint and the first few
      differences, and the ways out.
  """
  saved_path = learner_checkpoint(root_dir)
  if saved_path is None:
    return
  with tempfile.TemporaryDirectory() as scratch:
    expected_path = tf.train.Checkpoint(agent=agent, train_step=train_step).write(
        os.path.join(scratch, 'expected'))
    found = differences(_shapes(saved_path), _shapes(expected_path))
  if found and overwrite_existing:
    logging.warning('--overwrite_existing: deleting the run of another agent '
                    'in %s (%s).', root_dir, found[0])
    remove_run(root_dir)
  elif found:
    more = f' (and {len(found) - _SHOWN} more)' if len(found) > _SHOWN else ''
    raise errors.IncompatibleRunError(
        f'--root_dir={root_dir} holds a run of another agent: its Learner '
        f'checkpoint {os.path.relpath(saved_path, root_dir)} does not fit '
        f'this config: {"; ".join(found[:_SHOWN])}{more}. Use a new '
        '--root_dir, or pass --overwrite_existing to delete that run and '
        'start afresh.')


# What a run writes in root_dir; `remove_run` deletes these and nothing else.
RUN_CONTENTS = (learner.TRAIN_DIR, 'eval', learner.POLICY_SAVED_MODEL_DIR,
                'operative_config.gin')


def remove_run(root_dir: str) -> None:
  """Deletes an earlier run's checkpoints, policies and summaries (not logs/)."""
  for name in RUN_CONTENTS:
    path = os.path.join(root_dir, name)
    if os.path.isdir(path):
      shutil.rmtree(path)
    elif os.path.exists(path):
      os.remove(path)

