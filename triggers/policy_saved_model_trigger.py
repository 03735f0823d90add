"""`PolicySavedModelTrigger`: tf_agents' policy saver trigger, gin-configurable.

Drop-in for `tf_agents.train.triggers.PolicySavedModelTrigger`: same signature,
defaults and on-disk results. On construction it exports the `policy/`,
`greedy_policy/` and `collect_policy/` SavedModels; each time it fires it writes
`checkpoints/policy_checkpoint_%010d` (the train step) that updates any of them.
"""

import os
from typing import Mapping, Optional, Sequence, Text, Tuple

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.metrics import py_metric
from tf_agents.policies import greedy_policy
from tf_agents.policies import policy_saver

from triggers import argument_checks
from triggers import checkpoint_format
from triggers import checkpoint_writer
from triggers import interval_trigger
from triggers import saved_models


@gin.configurable(module='triggers', denylist=['agent', 'train_step'])
class PolicySavedModelTrigger(interval_trigger.IntervalTrigger):
  """Saves the agent's policies as SavedModels, then checkpoints every `interval` steps.

  Where it differs from tf_agents (each a fix, see README "Differences"):
  checkpoints and SavedModels are published atomically (written under a hidden
  temporary name, then renamed); an existing checkpoint is never overwritten;
  an existing SavedModel of other specs is an error; with `async_saving` the
  values are copied at the step the checkpoint is named after, newer requests
  are never dropped, and `metadata_metrics` work.
  """

  def __init__(
      self,
      saved_model_dir: Text,
      agent: tf_agent.TFAgent,
      train_step: tf.Variable,
      interval: int,
      async_saving: bool = False,
      metadata_metrics: Optional[Mapping[Text, py_metric.PyMetric]] = None,
      start: int = 0,
      extra_concrete_functions: Optional[
          Sequence[Tuple[str, tf.types.experimental.GenericFunction]]] = None,
      batch_size: Optional[int] = None,
      use_nest_path_signatures: bool = True,
      save_greedy_policy: bool = True,
      save_collect_policy: bool = True,
      input_fn_and_spec: Optional[policy_saver.InputFnAndSpecType] = None,
  ):
    """Exports the SavedModels and prepares the checkpoint writer.

    Args:
      saved_model_dir: base directory, usually `root_dir/policies`; created if
        missing.
      agent: the `TFAgent` whose `policy` and `collect_policy` are saved.
      train_step: scalar integer `tf.Variable` counting train steps; names the
        checkpoints and is saved in them.
      interval: train steps between checkpoints; <= 0 never saves one.
      async_saving: write checkpoints on a background thread; default False.
        The values are still copied on the caller's thread when it fires.
      metadata_metrics: name -> metric whose `result()` is saved with each
        checkpoint and read back with the saved policy's `get_metadata()`.
      start: train step the first interval counts from; default 0.
      extra_concrete_functions: (name, tf.function) pairs registered in every
        saved policy.
      batch_size: batch size the saved policies take; None (default) for any.
      use_nest_path_signatures: name SavedModel signature inputs by their path
        in the spec nest; default True.
      save_greedy_policy: export `greedy_policy/`; disable when the policy's
        distribution has no mode. Default True.
      save_collect_policy: export `collect_policy/`; default True.
      input_fn_and_spec: optional `(input_fn, tensor_spec)` turning
        `tensor_spec` inputs into `(time_step, policy_state)` for `action`.

    Raises:
      TypeError: `agent`, `train_step`, `interval` or `start` has the wrong type.
      ValueError: `saved_model_dir` cannot be created or written, or
        `train_step` is not scalar.
      saved_models.SpecMismatchError: `saved_model_dir` holds policies saved
        for other specs.
    """
    argument_checks.check_agent(agent)
    argument_checks.check_train_step(train_step)
    argument_checks.check_int('interval', interval)
    argument_checks.check_int('start', start)
    argument_checks.ensure_writable_dir('saved_model_dir', saved_model_dir)

    self._agent = agent
    self._train_step = train_step
    self._metadata_metrics = dict(metadata_metrics or {})
    self._metadata = {
        name: tf.Variable(0, dtype=m.result().dtype, shape=m.result().shape)
        for name, m in self._metadata_metrics.items()
    }

    if isinstance(agent.policy, greedy_policy.GreedyPolicy):
      raw_policy, greedy = agent.policy.wrapped_policy, agent.policy
    else:
      raw_policy = agent.policy
      greedy = (greedy_policy.GreedyPolicy(agent.policy)
                if save_greedy_policy else None)

    def build_saver(policy):
      saver = policy_saver.PolicySaver(
          policy,
          batch_size=batch_size,
          use_nest_path_signatures=use_nest_path_signatures,
          train_step=train_step,
          input_fn_and_spec=input_fn_and_spec,
          metadata=self._metadata)
      for name, fn in extra_concrete_functions or ():
        saver.register_concrete_function(name, fn)
      return saver

    raw_saver = build_saver(raw_policy)
    savers = [(raw_saver, checkpoint_format.POLICY_DIR)]
    if save_collect_policy:
      savers.append((build_saver(agent.collect_policy),
                     checkpoint_format.COLLECT_POLICY_DIR))
    if save_greedy_policy:
      savers.append((build_saver(greedy), checkpoint_format.GREEDY_POLICY_DIR))

    checkpoints_dir = os.path.join(saved_model_dir,
                                   checkpoint_format.CHECKPOINTS_DIR)
    checkpoint_format.remove_unpublished(saved_model_dir)
    checkpoint_format.remove_unpublished(checkpoints_dir)
    for saver, name in savers:
      saved_models.export_once(saver, os.path.join(saved_model_dir, name))

    self._saved_model_dir = saved_model_dir
    self._writer = checkpoint_writer.CheckpointWriter(
        checkpoints_dir,
        # The objects tf_agents' PolicySaver.save_checkpoint writes.
        tf.train.Checkpoint(
            policy=raw_saver.policy,
            model_variables=raw_saver.policy.model_variables,
            train_step=train_step),
        async_writes=async_saving)
    super().__init__(interval, self._save_fn, start=start)

  @property
  def saved_model_dir(self) -> str:
    """The base directory given at construction."""
    return self._saved_model_dir

  @property
  def writer(self) -> checkpoint_writer.CheckpointWriter:
    """The checkpoint writer, with its counts of requested and written saves."""
    return self._writer

  def flush(self) -> None:
    """Blocks until every checkpoint requested so far is on disk."""
    self._writer.flush()

  def close(self) -> None:
    """Flushes and stops the background writer, if any."""
    self._writer.close()

  def __enter__(self) -> 'PolicySavedModelTrigger':
    return self

  def __exit__(self, *exc_info) -> None:
    self.close()

  def _save_fn(self) -> None:
    self._agent.post_process_policy()
    for name, metric in self._metadata_metrics.items():
      self._metadata[name].assign(metric.result())
    self._writer.save(int(self._train_step.numpy()))
