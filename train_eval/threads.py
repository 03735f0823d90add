"""TensorFlow's thread pools per job, set before TensorFlow runs its first op.

Defaults measured on the 2-core machine this project runs on
(benchmarks/results/actor_learner.md): one intra-op and one inter-op thread
everywhere. Against TensorFlow's own pools, 1/1 spent 13.4 against 17.2 ms of
CPU per SAC minitaur iteration in one process (98.9 against 84.5 iterations/s)
and 18.2 against 20.1 ms as separate jobs (89.1 against 82.2/s): the other
core is busy collecting or sampling, and idle pools spin. For a collector or
the evaluator (a few small matmuls per step) the counts change little but the
number of threads. `--job=all` has two inter-op threads: its train step
and the collection thread's policy (`train_eval.collect_while_training`) run
their graphs at once (with one, they queue on it). On a bigger machine give
the learner more: --job_threads=train=4,2.
"""

import re
from typing import Dict, Optional, Sequence, Tuple

import tensorflow as tf

from train_eval import errors
from train_eval.jobs import table

JOBS = tuple(table.KINDS)
# job -> (intra-op threads, inter-op threads); 0 is TensorFlow's own choice.
DEFAULTS: Dict[str, Tuple[int, int]] = {
    name: kind.threads for name, kind in table.KINDS.items()}
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
