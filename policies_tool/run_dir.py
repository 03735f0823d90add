"""A finished (or running) train_eval root_dir, as the `policies` tool reads it.

Only the on-disk format is used: the trigger's layout under `policies/`, the
manifests, `best_policy/best.json`, and `operative_config.gin`.
"""

import contextlib
import dataclasses
import errno
import os
from typing import Any, Dict, Iterator, List, Optional

from absl import logging

from gin import config_parser

import triggers
from triggers import best_policy
from triggers import checkpoint_format
from train_eval import flag_bindings

POLICIES_DIR = 'policies'


class PoliciesError(Exception):
  """A root_dir, step or file the tool cannot use; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Selected:
  """A policy chosen by --checkpoint: where its SavedModel and variables are."""
  label: str  # 'step 5000' or 'best (step 4000)'.
  step: int
  saved_model: str  # A SavedModel directory.
  checkpoint: Optional[str]  # A policy_checkpoint_* to load into it, or None.


class RunDir:
  """Reads `root_dir` as `train_eval` wrote it."""

  def __init__(self, root_dir: str):
    """Checks there are policies under `root_dir`.

    Raises:
      PoliciesError: no such directory, or no policies in it.
    """
    self.root_dir = root_dir
    self.saved_model_dir = os.path.join(root_dir, POLICIES_DIR)
    if not os.path.isdir(root_dir):
      raise PoliciesError(f'No such root_dir: {root_dir}.')
    if not os.path.isdir(os.path.join(self.saved_model_dir,
                                      checkpoint_format.POLICY_DIR)):
      raise PoliciesError(
          f'{root_dir} holds no saved policies (no {self.saved_model_dir}/'
          'policy); pass the --root_dir given to train_eval.')

  def steps(self) -> List[int]:
    """Steps of the complete policy checkpoints, ascending."""
    return triggers.list_checkpoints(self.saved_model_dir)

  def best(self) -> Optional[Dict[str, Any]]:
    """`best_policy/best.json`, or None."""
    return best_policy.read_record(
        os.path.join(self.saved_model_dir, best_policy.BEST_POLICY_DIR))

  def manifest(self, step: int) -> Dict[str, Any]:
    """The checkpoint's manifest; {} for a checkpoint without one."""
    try:
      return triggers.read_manifest(self.saved_model_dir, step)
    except FileNotFoundError:
      return {}

  def select(self, which: str, policy: str = 'greedy_policy') -> Selected:
    """Resolves --checkpoint: 'latest', 'best' or a train step.

    Reads no checkpoint files: read them inside `reading(selected)`.

    Args:
      which: 'latest', 'best', or a step number.
      policy: the SavedModel the checkpoint's variables go into
        ('greedy_policy', 'policy' or 'collect_policy').

    Raises:
      PoliciesError: no such checkpoint, or no best policy.
    """
    if which == 'best':
      record = self.best()
      if record is None:
        raise PoliciesError(
            f'{self.root_dir} has no best policy; train with '
            '--best_metric=AverageReturn to keep one.')
      return Selected(f'best (step {record["step"]})', record['step'],
                      os.path.join(self.saved_model_dir,
                                   best_policy.BEST_POLICY_DIR), None)
    steps = self.steps()
    if not steps:
      raise PoliciesError(f'{self.root_dir} has no policy checkpoints yet.')
    if which == 'latest':
      step = steps[-1]
    else:
      try:
        step = int(which)
      except ValueError:
        raise PoliciesError(
            f'--checkpoint={which}: expected latest, best or a train step.'
        ) from None
      if step not in steps:
        raise PoliciesError(
            f'No policy checkpoint at step {step} in {self.root_dir}; saved '
            f'steps: {steps}.')
    saved_model = os.path.join(self.saved_model_dir, policy)
    if not os.path.isdir(saved_model):
      raise PoliciesError(f'{saved_model} does not exist (saved with '
                          f'save_{policy}=False?).')
    return Selected(f'step {step}', step, saved_model,
                    triggers.checkpoint_path(self.saved_model_dir, step))

  @contextlib.contextmanager
  def reading(self, selected: Selected) -> Iterator[Selected]:
    """Keeps retention off `selected`'s checkpoint while its files are read.

    Holds `triggers.reading`'s lease, so a run still training with
    `max_to_keep` does not delete the checkpoint, and checks the files against
    the manifest. `best_policy/` is not a checkpoint: no lease is taken. Where
    the lease cannot be written (a read-only run), reads without one.

    Args:
      selected: from `select`.

    Yields:
      `selected`.

    Raises:
      PoliciesError: the checkpoint was deleted after it was selected, or its
        files do not match its manifest.
    """
    if selected.checkpoint is None:
      yield selected
      return
    step = selected.step
    with contextlib.ExitStack() as lease:
      try:
        lease.enter_context(triggers.reading(self.saved_model_dir, step))
      except FileNotFoundError:
        raise PoliciesError(
            f'The checkpoint at step {step} was deleted by retention while '
            'it was being opened (the run keeps only its newest checkpoints); '
            f'saved steps now: {self.steps()}; pass --checkpoint=latest again.'
        ) from None
      except OSError as e:
        if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
          raise
        logging.warning('Cannot take a reader lease in %s (%s): reading the '
                        'checkpoint at step %d without one.',
                        self.saved_model_dir, e, step)
      try:
        self.verify(step)
      except triggers.VerificationError as e:
        raise PoliciesError(
            f'The checkpoint at step {step} is damaged: {e}') from e
      yield selected

  def verify(self, step: int) -> None:
    """Checks a checkpoint against its manifest, if it has one."""
    try:
      triggers.verify_checkpoint(self.saved_model_dir, step)
    except FileNotFoundError:
      pass  # No manifest: a checkpoint tf_agents' own trigger wrote.

  def environment(self) -> Dict[str, str]:
    """{'env_name', 'suite'} from `operative_config.gin`.

    Raises:
      PoliciesError: no operative config, or no environment in it.
    """
    path = os.path.join(self.root_dir, 'operative_config.gin')
    if not os.path.exists(path):
      raise PoliciesError(f'{path} is missing: the run never trained a step.')
    with open(path) as f:
      values = {}
      for statement in config_parser.ConfigParser(
          f.read(), flag_bindings.LiteralsOnly()):
        if (isinstance(statement, config_parser.BindingStatement) and
            statement.selector.split('.')[-1] == 'load_environment'):
          values[statement.arg_name] = statement.value
    if 'env_name' not in values:
      raise PoliciesError(f'{path} names no load_environment.env_name.')
    return {'env_name': values['env_name'], 'suite': values.get('suite', 'gym')}
