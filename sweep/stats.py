"""Statistics over seeds: final score, bootstrap confidence interval, interquartile mean."""

from typing import Dict, Sequence, Tuple

import numpy as np

FINAL_FRACTION = 0.2  # The final score averages the evaluations of the last 20 %.
RESAMPLES = 10000
CONFIDENCE = 0.95


def final_score(returns: Dict[int, float]) -> float:
  """Mean eval return over the last 20 % of a run (train step -> return).

  The run's length is its last evaluated step; evaluations at steps >= 80 % of
  it count. NaN for a run without evaluations.
  """
  if not returns:
    return float('nan')
  last = max(returns)
  window = [v for s, v in returns.items() if s >= (1 - FINAL_FRACTION) * last]
  return float(np.mean(window))


def iqm(values: Sequence[float]) -> float:
  """Interquartile mean: the mean of the middle 50 % (all values when fewer than 4)."""
  ordered = np.sort(np.asarray(values, dtype=float))
  cut = int(np.floor(len(ordered) * 0.25))
  return float(np.mean(ordered[cut:len(ordered) - cut]))


def bootstrap_ci(values: Sequence[float], seed: int = 0,
                 resamples: int = RESAMPLES) -> Tuple[float, float]:
  """95 % percentile-bootstrap interval of the mean of `values`.

  With one value the interval is that value (no spread is known).
  """
  values = np.asarray(values, dtype=float)
  rng = np.random.default_rng(seed)
  means = rng.choice(values, size=(resamples, len(values))).mean(axis=1)
  tail = (1 - CONFIDENCE) / 2 * 100
  low, high = np.percentile(means, [tail, 100 - tail])
  return float(low), float(high)


def difference_ci(values: Sequence[float], baseline: Sequence[float],
                  seed: int = 0, resamples: int = RESAMPLES
                  ) -> Tuple[float, float, float]:
  """(mean difference, 95 % bootstrap interval) of mean(values) - mean(baseline).

  Each side is resampled over its own seeds. The difference is within seed
  noise when the interval contains 0.
  """
  values = np.asarray(values, dtype=float)
  baseline = np.asarray(baseline, dtype=float)
  rng = np.random.default_rng(seed)
  diffs = (rng.choice(values, size=(resamples, len(values))).mean(axis=1) -
           rng.choice(baseline, size=(resamples, len(baseline))).mean(axis=1))
  tail = (1 - CONFIDENCE) / 2 * 100
  low, high = np.percentile(diffs, [tail, 100 - tail])
  return float(values.mean() - baseline.mean()), float(low), float(high)
