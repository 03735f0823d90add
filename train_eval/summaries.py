"""Scalars from a run's TensorBoard event files (eval/ and train/ summaries)."""

import glob
import os
from typing import Dict, Iterator, Tuple

import tensorflow as tf

EVAL_RETURN = ('eval', 'Metrics/AverageReturn')  # Written by evaluation.Evaluator.
TRAIN_STEPS_PER_SEC = ('train', 'RunTime/train_steps_per_sec')


def _tagged(root_dir: str, subdir: str, tag: str
            ) -> Iterator[Tuple[tf.compat.v1.Event, float]]:
  """(event, value) for every value of `tag` in `root_dir/subdir/events.*`, in file order."""
  for path in sorted(glob.glob(os.path.join(root_dir, subdir, 'events.*'))):
    for record in tf.data.TFRecordDataset(path):
      event = tf.compat.v1.Event.FromString(record.numpy())
      for value in event.summary.value:
        if value.tag == tag:
          yield event, float(tf.make_ndarray(value.tensor)
                             if value.HasField('tensor')
                             else value.simple_value)


def scalars(root_dir: str, subdir: str, tag: str) -> Dict[int, float]:
  """step -> value of `tag` in `root_dir/subdir/events.*` (the last value per step)."""
  last = {event.step: value for event, value in _tagged(root_dir, subdir, tag)}
  return dict(sorted(last.items()))


def wall_times(root_dir: str, subdir: str, tag: str) -> Dict[int, float]:
  """step -> when `tag` was written at that step (s since the epoch; the last write)."""
  last = {event.step: event.wall_time
          for event, _ in _tagged(root_dir, subdir, tag)}
  return dict(sorted(last.items()))
