"""Deletes old policy checkpoints: keep the newest `max_to_keep`, and every multiple of `keep_every_n_steps`."""

from typing import Iterable, List, Optional, Set

from absl import logging

from triggers import checkpoint_format


class RetentionError(RuntimeError):
  """A checkpoint was written and published, but older ones could not be deleted."""


def steps_to_delete(steps: Iterable[int], max_to_keep: Optional[int],
                    keep_every_n_steps: Optional[int] = None,
                    protected: Set[int] = frozenset()) -> List[int]:
  """Which of `steps` retention deletes.

  Args:
    steps: steps of the complete checkpoints.
    max_to_keep: how many of the newest to keep; None keeps all (tf_agents'
      behaviour).
    keep_every_n_steps: checkpoints at multiples of it are never deleted and
      do not count towards `max_to_keep`; None for none.
    protected: steps never deleted (checkpoints being read).

  Returns:
    Ascending steps to delete; never the newest one.
  """
  steps = sorted(steps)
  if max_to_keep is None or not steps:
    return []
  permanent = {s for s in steps
               if keep_every_n_steps and s % keep_every_n_steps == 0}
  rolling = [s for s in steps if s not in permanent]
  recent = set(rolling[-max_to_keep:]) | {steps[-1]}
  return [s for s in rolling if s not in recent and s not in protected]


def prune(checkpoints_dir: str, max_to_keep: Optional[int],
          keep_every_n_steps: Optional[int] = None) -> List[int]:
  """Deletes what `steps_to_delete` names in `checkpoints_dir`; returns those steps."""
  if max_to_keep is None:
    return []
  doomed = checkpoint_format.delete_checkpoints(
      checkpoints_dir,
      lambda steps, leased: steps_to_delete(steps, max_to_keep,
                                            keep_every_n_steps, leased))
  if doomed:
    logging.info('Retention deleted policy checkpoints at steps %s.', doomed)
  return doomed
