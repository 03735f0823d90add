"""`sweep report ROOT`: per grid point, the final score over seeds; a ranked table and curves.

Reads each run's own TensorBoard events (`train_eval.summaries`). Writes
ROOT/report.md, ROOT/report.csv and ROOT/curves.png.
"""

import csv
import dataclasses
import os
import re
from typing import Dict, List, Optional

import matplotlib
matplotlib.use('Agg')
from matplotlib import pyplot  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

from sweep import stats  # pylint: disable=g-import-not-at-top,wrong-import-position
from train_eval import errors  # pylint: disable=g-import-not-at-top,wrong-import-position
from train_eval import summaries  # pylint: disable=g-import-not-at-top,wrong-import-position

TABLE, CSV, CURVES = 'report.md', 'report.csv', 'curves.png'
_SEED_DIR = re.compile(r'^seed=(\d+)$')


@dataclasses.dataclass
class Point:
  """One grid point's runs and their statistics.

  Attributes:
    name: the point's directory name.
    curves: seed -> (train step -> eval return).
    scores: the final score of each seed with evaluations.
  """
  name: str
  curves: Dict[int, Dict[int, float]]
  scores: List[float] = dataclasses.field(default_factory=list)

  @property
  def mean(self) -> float:
    return float(np.mean(self.scores))


def read_points(root_dir: str) -> List[Point]:
  """Every point under `root_dir` with at least one evaluated seed."""
  points = []
  for dirpath, dirnames, _ in sorted(os.walk(root_dir)):
    seeds = {int(m.group(1)): d for d in dirnames
             for m in [_SEED_DIR.match(d)] if m}
    if not seeds:
      continue
    dirnames[:] = [d for d in dirnames if d not in seeds.values()]
    curves = {}
    for seed, name in sorted(seeds.items()):
      returns = summaries.scalars(os.path.join(dirpath, name),
                                  *summaries.EVAL_RETURN)
      if returns:
        curves[seed] = returns
    if curves:
      point = Point(os.path.relpath(dirpath, root_dir), curves)
      point.scores = [stats.final_score(c) for c in curves.values()]
      points.append(point)
  return points


def rows(points: List[Point], baseline: Optional[str] = None
         ) -> List[Dict[str, str]]:
  """The ranked table (best mean first), each cell as text.

  Raises:
    errors.BadValueError: `baseline` names no point.
  """
  by_name = {p.name: p for p in points}
  if baseline is not None and baseline not in by_name:
    raise errors.BadValueError(
        f'--baseline={baseline}: no such grid point; the points are: '
        f'{", ".join(sorted(by_name))}.')
  table = []
  for rank, point in enumerate(sorted(points, key=lambda p: -p.mean), 1):
    low, high = stats.bootstrap_ci(point.scores)
    row = {'rank': str(rank), 'grid point': point.name,
           'seeds': str(len(point.scores)),
           'final score (mean)': f'{point.mean:.2f}',
           '95% CI': f'[{low:.2f}, {high:.2f}]',
           'IQM': f'{stats.iqm(point.scores):.2f}'}
    if baseline is not None:
      if point.name == baseline:
        row.update({'vs baseline': 'baseline', 'within seed noise': '-'})
      else:
        diff, dlow, dhigh = stats.difference_ci(point.scores,
                                                by_name[baseline].scores)
        row['vs baseline'] = f'{diff:+.2f} [{dlow:+.2f}, {dhigh:+.2f}]'
        base_seeds = len(by_name[baseline].scores)
        if min(len(point.scores), base_seeds) < 2:
          row['within seed noise'] = 'unknown (1 seed)'
        else:
          row['within seed noise'] = 'yes' if dlow <= 0 <= dhigh else 'no'
    table.append(row)
  return table


def markdown(table: List[Dict[str, str]]) -> str:
  header = list(table[0])
  lines = ['| ' + ' | '.join(header) + ' |',
           '|' + '|'.join('---' for _ in header) + '|']
  lines += ['| ' + ' | '.join(row[k] for k in header) + ' |' for row in table]
  return '\n'.join(lines) + '\n'


def plot(points: List[Point], path: str) -> None:
  """Mean eval return per train step over seeds, with a 95 % bootstrap band."""
  figure, axes = pyplot.subplots(figsize=(8, 5))
  for point in points:
    steps = sorted(set.intersection(*(set(c) for c in point.curves.values())))
    means = [np.mean([c[s] for c in point.curves.values()]) for s in steps]
    bands = [stats.bootstrap_ci([c[s] for c in point.curves.values()],
                                resamples=1000) for s in steps]
    axes.plot(steps, means, label=f'{point.name} ({len(point.curves)} seeds)')
    axes.fill_between(steps, [b[0] for b in bands], [b[1] for b in bands],
                      alpha=0.2)
  axes.set_xlabel('train step')
  axes.set_ylabel('average eval return')
  axes.set_title('mean over seeds; band: 95% bootstrap interval of the mean')
  axes.legend(fontsize='small')
  axes.grid(alpha=0.3)
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  pyplot.close(figure)


def write(root_dir: str, baseline: Optional[str] = None) -> str:
  """Writes the table (Markdown, CSV) and the curves; returns the Markdown.

  Raises:
    errors.UsageError: no evaluated run under `root_dir`, or a bad baseline.
  """
  if not os.path.isdir(root_dir):
    raise errors.RootDirError(f'{root_dir}: no such directory.')
  points = read_points(root_dir)
  if not points:
    raise errors.RootDirError(
        f'{root_dir}: no run with evaluations (ROOT/<point>/seed=N/eval/); '
        'give the --root_dir of a `sweep run`.')
  table = rows(points, baseline)
  text = markdown(table)
  with open(os.path.join(root_dir, TABLE), 'w') as f:
    f.write(text)
  with open(os.path.join(root_dir, CSV), 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=list(table[0]))
    writer.writeheader()
    writer.writerows(table)
  plot(points, os.path.join(root_dir, CURVES))
  return text


def score(run_dir: str) -> float:
  """One run's final score from its events (NaN without evaluations)."""
  return stats.final_score(summaries.scalars(run_dir, *summaries.EVAL_RETURN))
