"""Scalars from a run's TensorBoard event files (eval/ and train/ summaries)."""

import glob
import os
from typing import Dict

import tensorflow as tf

EVAL_RETURN = ('eval', 'Metrics/AverageReturn')  # Written by evaluation.Evaluator.
TRAIN_STEPS_PER_SEC = ('train', 'RunTime/train_steps_per_sec')


def scalars(root_dir: str, subdir: str, tag: str) -> Dict[int, float]:
  """step -> value of `tag` in `root_dir/subdir/events.*` (the last value per step)."""
  values = {}
  for path in sorted(glob.glob(os.path.join(root_dir, subdir, 'events.*'))):
    for record in tf.data.TFRecordDataset(path):
      event = tf.compat.v1.Event.FromString(record.numpy())
      for value in event.summary.value:
        if value.tag == tag:
          values[event.step] = float(tf.make_ndarray(value.tensor)
                                     if value.HasField('tensor')
                                     else value.simple_value)
  return dict(sorted(values.items()))
