"""`policies plot`: eval AverageReturn and train steps/s against step, one line per run."""

import os
from typing import Optional, Sequence

import matplotlib
matplotlib.use('Agg')  # Files only; no display.
from matplotlib import pyplot  # pylint: disable=g-import-not-at-top

from policies_tool import run_dir as run_dir_lib
from train_eval import summaries


def plot(root_dirs: Sequence[str], out: str,
         labels: Optional[Sequence[str]] = None) -> str:
  """Writes a PNG comparing the runs in `root_dirs`.

  Args:
    root_dirs: train_eval root_dirs.
    out: the .png to write.
    labels: legend names; the directory names by default.

  Returns:
    `out`.

  Raises:
    PoliciesError: a run has no evaluation summaries.
  """
  labels = list(labels or [os.path.basename(os.path.normpath(d))
                           for d in root_dirs])
  figure, (returns_axis, speed_axis) = pyplot.subplots(
      2, 1, figsize=(8, 7), sharex=True)
  for root_dir, label in zip(root_dirs, labels):
    returns = summaries.scalars(root_dir, *summaries.EVAL_RETURN)
    if not returns:
      raise run_dir_lib.PoliciesError(
          f'{root_dir} has no evaluation summaries in eval/ (was '
          'train_eval.eval_interval 0?).')
    returns_axis.plot(list(returns), list(returns.values()), marker='o',
                      label=label)
    speed = summaries.scalars(root_dir, *summaries.TRAIN_STEPS_PER_SEC)
    speed_axis.plot(list(speed), list(speed.values()), label=label)
  returns_axis.set_ylabel('eval AverageReturn')
  returns_axis.grid(True, alpha=0.3)
  returns_axis.legend()
  speed_axis.set_ylabel('train steps / s')
  speed_axis.set_xlabel('train step')
  speed_axis.grid(True, alpha=0.3)
  figure.tight_layout()
  figure.savefig(out, dpi=100)
  pyplot.close(figure)
  return out
