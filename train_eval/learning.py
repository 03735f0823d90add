"""Learning: the agent's Learner and the triggers it runs after each train step."""

import contextlib
import os
from typing import (Any, Callable, Iterable, List, Mapping, Optional,
                    Protocol, Sequence)

from absl import logging
import reverb
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.metrics import py_metric
from tf_agents.train import learner
from tf_agents.train import triggers as tf_agents_triggers

import triggers
from train_eval import shadowed_bindings

POLICIES_DIR = learner.POLICY_SAVED_MODEL_DIR  # 'policies'


def policies_dir(root_dir: str) -> str:
  """root_dir/policies: the SavedModels and policy checkpoints."""
  return os.path.join(root_dir, POLICIES_DIR)


# What train_eval passes to the triggers; a factory gets those it names.
RUNTIME_OBJECTS = ('saved_model_dir', 'agent', 'train_step', 'reverb_client',
                   'metadata_metrics')


def check_trigger_bindings(factories: Sequence[Callable[..., Any]]) -> None:
  """Refuses gin bindings of what train_eval passes to the triggers itself.

  A binding of, say, `PolicySavedModelTrigger.saved_model_dir` would be
  silently overridden by the keyword passed at run time.

  Raises:
    errors.ShadowedBindingError: such a binding exists.
  """
  for factory in factories:
    name = getattr(factory, '__name__', None)
    if name and callable(factory):
      passed = triggers.runtime_arguments(
          factory, dict.fromkeys(RUNTIME_OBJECTS))
      shadowed_bindings.check(name, passed)


class Flushable(Protocol):
  def flush(self) -> None:
    """Returns once every save started so far is complete on disk."""


class Closable(Protocol):
  def close(self) -> None:
    """Finishes background work; re-raises its errors. Called once, at the end."""


class EvaluationListener(Protocol):
  def report_evaluation(self, step: int, results: Mapping[str, float]) -> None:
    """Takes the evaluation of the policy at train step `step` (e.g. keeps the best)."""


def implementers(objects: Sequence[Any], method: str) -> List[Any]:
  """Those of `objects` with a callable `method`: the triggers a `Trainer` asks
  to flush, close or take evaluations, whoever wrote them."""
  return [o for o in objects if callable(getattr(o, method, None))]


class Trainer:
  """One train step at a time, with the triggers; `save_now` forces every save.

  Besides being called after each train step (`trigger(step, force_trigger)`,
  tf_agents' interface), a trigger may implement any of `Flushable.flush`
  (called by `save_now`), `Closable.close` (by `close`) and
  `EvaluationListener.report_evaluation` (by `report_evaluation`).
  """

  def __init__(self, root_dir: str, agent: tf_agent.TFAgent,
               train_step: tf.Variable,
               dataset_fn: Callable[[], Iterable[Any]],
               trigger_factories: Sequence[Callable[..., Any]],
               reverb_client: Optional[reverb.Client],
               metadata_metrics: Mapping[str, py_metric.PyMetric]):
    """Builds the triggers (exporting the SavedModels) and the Learner.

    The Learner restores `root_dir/train/checkpoints` if there is one.

    Args:
      root_dir: the experiment's directory.
      agent: the agent to train.
      train_step: its train step counter.
      dataset_fn: returns the experience batches: a dataset, or an iterable
        whose `next` the Learner's train step traces into its graph
        (`graph_replay.GraphReplay`); called again whenever one ends (a
        dataset with a rate-limiter timeout ends when no batch came in time).
      trigger_factories: `Experiment.learner_triggers`.
      reverb_client: client of the replay server, for the Reverb triggers and
        the replay checkpoint; None without a server.
      metadata_metrics: saved with each policy checkpoint, e.g. env_step.
    """
    self._reverb_client = reverb_client
    check_trigger_bindings(trigger_factories)
    self.triggers = triggers.build_triggers(
        trigger_factories, saved_model_dir=policies_dir(root_dir),
        agent=agent, train_step=train_step, reverb_client=reverb_client,
        metadata_metrics=dict(metadata_metrics))
    self._flushable: List[Flushable] = implementers(self.triggers, 'flush')
    self._closable: List[Closable] = implementers(self.triggers, 'close')
    self._listeners: List[EvaluationListener] = implementers(
        self.triggers, 'report_evaluation')
    self._checkpoints_replay = any(
        isinstance(t, (triggers.ReverbCheckpointTrigger,
                       tf_agents_triggers.ReverbCheckpointTrigger))
        for t in self.triggers)
    self.learner = shadowed_bindings.call(
        learner.Learner, 'Learner', root_dir=root_dir, train_step=train_step,
        agent=agent, experience_dataset_fn=None,
        triggers=list(self.triggers))
    self._dataset_fn = dataset_fn
    self._iterator = None
    self.train_step = train_step

  @property
  def step(self) -> int:
    """The train step now."""
    return int(self.train_step.numpy())

  def train(self) -> Optional[float]:
    """One train step (then the triggers); returns its loss.

    Returns:
      The loss, or None if the dataset ended without a batch (its rate-limiter
      timeout passed): nothing was trained, and the next call starts a new one.
    """
    if self._iterator is None:
      self._iterator = iter(self._dataset_fn())
    try:
      return float(self.learner.run(iterations=1, iterator=self._iterator).loss)
    except tf.errors.OutOfRangeError:
      self._iterator = None
      return None

  def save_now(self, checkpoint_replay: bool) -> int:
    """Policy checkpoint, Learner checkpoint and replay checkpoint, at one step.

    Args:
      checkpoint_replay: also checkpoint the replay table (when it has a
        checkpointer) unless a `ReverbCheckpointTrigger` already did.

    Returns:
      The step saved.
    """
    step = self.step
    logging.info('Saving at step %d.', step)
    for trigger in self.learner.triggers:
      trigger(step, force_trigger=True)
    if checkpoint_replay and not self._checkpoints_replay:
      path = self._reverb_client.checkpoint()
      logging.info('Checkpointed the replay table at step %d to %s.', step,
                   path)
    for trigger in self._flushable:
      trigger.flush()
    return step

  def report_evaluation(self, step: int, results: Mapping[str, float]) -> None:
    """Passes evaluation results to the triggers that take them (best policy)."""
    for listener in self._listeners:
      listener.report_evaluation(step, results)

  def close(self) -> None:
    """Closes the triggers (waits for background writes); re-raises their errors.

    Every trigger is closed even when one raises. A second call does nothing.
    """
    closable, self._closable = self._closable, []
    with contextlib.ExitStack() as stack:
      for trigger in closable:
        stack.callback(trigger.close)


def checkpointed_steps(root_dir: str) -> List[int]:
  """Steps of the complete policy checkpoints under root_dir/policies."""
  return triggers.list_checkpoints(policies_dir(root_dir))
