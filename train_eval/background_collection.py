"""Collection on a second thread while the train step runs (`--job=all`).

The tutorial's loop takes turns: collect iteration k's steps with the weights
of train step k - 1, then train step k. Here iteration k's steps are
collected with the same weights while train step k runs, on the other core:
the train step samples a table without the item collected beside it (it
reaches the table before step k + 1). The collection thread runs a copy of
the collect policy (a second agent built from the same bindings) whose
weights are copied from the agent's before each collection, so it never reads
weights that a train step is updating. Items it writes reach an in-graph
table between train steps (`GraphReplay.settle`), never while one samples it.
"""

import concurrent.futures
from typing import List, Optional

import tensorflow as tf
from tf_agents.agents import tf_agent

from train_eval import collection


def weights(agent: tf_agent.TFAgent) -> List[tf.Variable]:
  """The collect policy's trainable variables (its networks' weights).

  Not its other state: an `OUNoisePolicy`'s noise process (DDPG) runs on in
  the twin that collects.
  """
  return [v for v in agent.collect_policy.variables() if v.trainable]


class WeightsCopy:
  """Copies the collect policy's weights (and train step) from one agent to its twin."""

  def __init__(self, source: tf_agent.TFAgent, source_step: tf.Variable,
               target: tf_agent.TFAgent, target_step: tf.Variable):
    """Pairs the two collect policies' weights, in order.

    Raises:
      ValueError: the agents' collect policies differ (not built from the
        same bindings).
    """
    sources, targets = weights(source), weights(target)
    if (len(sources) != len(targets) or
        any(s.shape != t.shape for s, t in zip(sources, targets))):
      raise ValueError('The collect policy copy does not match the agent.')
    pairs = list(zip(sources, targets)) + [(source_step, target_step)]
    self._copy = tf.function(
        lambda: [target.assign(source) for source, target in pairs])

  def __call__(self) -> None:
    self._copy()


class BackgroundCollector:
  """Runs `collector.run()` on one worker thread, one run at a time."""

  def __init__(self, collector: collection.Collector, copy_weights: WeightsCopy):
    """Args:
      collector: collects with the copy of the collect policy.
      copy_weights: refreshes that copy; called before each run starts.
    """
    self._collector = collector
    self._copy_weights = copy_weights
    self._executor = concurrent.futures.ThreadPoolExecutor(
        max_workers=1, thread_name_prefix='collect')
    self._running: Optional[concurrent.futures.Future] = None

  def start(self) -> None:
    """Starts a run with the weights the agent has now; the previous must be done."""
    assert self._running is None, 'wait() for the previous run first'
    self._copy_weights()
    self._running = self._executor.submit(self._collector.run)

  def wait(self) -> None:
    """Returns once the run started last (if any) is done; re-raises its error."""
    running, self._running = self._running, None
    if running is not None:
      running.result()

  def close(self) -> None:
    """Waits for the run in flight and stops the thread."""
    try:
      self.wait()
    finally:
      self._executor.shutdown(wait=True)
