"""`sweep report ROOT [--baseline=POINT]`: the flags and the printing."""

import os
from typing import List

from absl import flags

from sweep import report
from train_eval import console
from train_eval import errors

_BASELINE = flags.DEFINE_string(
    'baseline', None, 'A grid point (its directory name under ROOT) to compare '
    'every other point with: the difference of final scores, its 95% bootstrap '
    'interval, and whether it is within seed noise.')


def main(argv: List[str], capture: console.Capture) -> int:
  """Writes and prints the report of the sweep at argv[1]; returns the exit status."""
  out, err = capture.terminal_out, capture.terminal_err
  if len(argv) != 2:
    err.write('sweep report: error: give one sweep root, e.g. '
              '`sweep report runs/lr`.\n')
    return 2
  root_dir = argv[1]
  try:
    text = report.write(root_dir, _BASELINE.value)
  except errors.UsageError as e:
    err.write(f'sweep report: error: {e}\n')
    return 2
  out.write(text)
  out.write(f'Wrote {os.path.join(root_dir, report.TABLE)}, {report.CSV} and '
            f'{report.CURVES}.\n')
  return 0
