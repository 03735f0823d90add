"""TensorFlow's thread pools per job, set before TensorFlow runs its first op.

Defaults measured on the 2-core machine this project runs on
(benchmarks/results/replay_throughput.md and the README's "Separate jobs"):
one intra-op and one inter-op thread everywhere. For a collector or the
evaluator (a few small matmuls per step) the thread counts change nothing but
the number of threads; for the learner and the one-process loop, 1/1 saved
1.1-1.5 ms of CPU per iteration (9.7 against 11.2 ms) and ran 111 against 98
iterations/s, since the other core is busy sampling or collecting. On a
bigger machine give the learner more: --job_threads=train=4,2.
"""

import re
from typing import Dict, Optional, Sequence, Tuple

import tensorflow as tf

from train_eval import errors

JOBS = ('all', 'replay', 'collect', 'train', 'eval')
# job -> (intra-op threads, inter-op threads); 0 is TensorFlow's own choice.
DEFAULTS: Dict[str, Tuple[int, int]] = {
    'all': (1, 1),
    'replay': (1, 1),
    'collect': (1, 1),
    'train': (1, 1),
    'eval': (1, 1),
}
_ENTRY = re.compile(r'^(\w+)=(\d+),(\d+)$')


def parse(entries: Sequence[str]) -> Dict[str, Tuple[int, int]]:
  """`DEFAULTS` with each 'job=intra,inter' entry applied.

  Raises:
    errors.BadValueError: an entry of another form or an unknown job.
  """
  result = dict(DEFAULTS)
  for entry in entries:
    match = _ENTRY.match(entry.strip())
    if not match or match.group(1) not in JOBS:
      raise errors.BadValueError(
          f'--job_threads={entry}: expected JOB=INTRA,INTER with JOB one of '
          f'{", ".join(JOBS)} and thread counts >= 0 (0: TensorFlow '
          'decides), e.g. --job_threads=train=2,1.')
    result[match.group(1)] = (int(match.group(2)), int(match.group(3)))
  return result


def apply(job: str, table: Optional[Dict[str, Tuple[int, int]]] = None) -> None:
  """Sets this process's intra- and inter-op thread counts for `job`."""
  intra, inter = (table or DEFAULTS)[job]
  tf.config.threading.set_intra_op_parallelism_threads(intra)
  tf.config.threading.set_inter_op_parallelism_threads(inter)
