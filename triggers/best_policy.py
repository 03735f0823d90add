"""Exports the greedy policy to `best_policy/` whenever an evaluation metric improves.

`best_policy/` is a complete, self-contained SavedModel (no checkpoint needed)
with `best.json` beside its files: {"step", "metric", "value", "mode",
"wall_time"}. It is replaced atomically and durably (fsync'd), so it is always
the old best or the new one, also after a power loss.
"""

import json
import math
import os
import shutil
import time
from typing import Any, Callable, Dict, Mapping, Optional

from absl import logging
from tf_agents.policies import policy_saver

from triggers import argument_checks
from triggers import checkpoint_format

BEST_POLICY_DIR = 'best_policy'
RECORD_FILE = 'best.json'
MODES = ('max', 'min')


def read_record(export_dir: str) -> Optional[Dict[str, Any]]:
  """`best.json` of an exported best policy, or None if there is none."""
  try:
    with open(os.path.join(export_dir, RECORD_FILE)) as f:
      return json.load(f)
  except FileNotFoundError:
    return None


class BestPolicyExporter:
  """Keeps `export_dir` holding the greedy policy of the best evaluation so far."""

  def __init__(self, saver: Optional[policy_saver.PolicySaver],
               export_dir: str, metric: str, mode: str = 'max'):
    """Creates the exporter; an existing `best.json` sets the value to beat.

    Args:
      saver: saver of the greedy policy, or None if every `report` passes
        its own `write_fn`.
      export_dir: usually `saved_model_dir/best_policy`.
      metric: name of the evaluation result to compare, e.g. 'AverageReturn'.
      mode: 'max' (default) if larger is better, 'min' if smaller is.

    Raises:
      ValueError: an unknown mode, or an `export_dir` with a scheme (gs://).
    """
    argument_checks.check_local_path('best policy export_dir', export_dir)
    if mode not in MODES:
      raise argument_checks.BadArgumentValue(
          f'best_mode must be one of {MODES}, got {mode!r}.')
    self._saver = saver
    self._export_dir = export_dir
    self._metric = metric
    self._mode = mode
    record = read_record(export_dir)
    self.best = None
    if record is not None and record.get('metric') == metric:
      self.best = record['value']

  def report(self, step: int, results: Mapping[str, float],
             write_fn: Optional[Callable[[str], None]] = None) -> bool:
    """Exports the greedy policy if `results[metric]` beats the best.

    Args:
      step: the train step the evaluation ran at.
      results: metric name -> value.
      write_fn: writes the policy's SavedModel into the directory it is given
        (e.g. from a checkpoint, see `policy_export.write_materialized`); the
        saver's `save` by default.

    Returns:
      True if exported.

    Raises:
      KeyError: `results` has no value for the metric.
    """
    if self._metric not in results:
      raise KeyError(
          f'best_metric {self._metric!r} is not among the evaluation results '
          f'{sorted(results)}.')
    value = float(results[self._metric])
    if math.isnan(value) or not self._improves(value):
      return False
    temp = checkpoint_format.temp_path(self._export_dir)
    try:
      (write_fn or self._saver.save)(temp)
      with open(os.path.join(temp, RECORD_FILE), 'w') as f:
        json.dump({'step': int(step), 'metric': self._metric, 'value': value,
                   'mode': self._mode, 'wall_time': time.time()}, f)
      checkpoint_format.replace_directory(temp, self._export_dir)
    except BaseException:
      if os.path.exists(temp):
        shutil.rmtree(temp, ignore_errors=True)
      raise
    logging.info('New best policy at step %d: %s = %f (was %s).', step,
                 self._metric, value, self.best)
    self.best = value
    return True

  def _improves(self, value: float) -> bool:
    if self.best is None:
      return True
    return value > self.best if self._mode == 'max' else value < self.best
