"""`PolicySavedModelTrigger`: tf_agents' policy saver trigger, gin-configurable.

Drop-in for `tf_agents.train.triggers.PolicySavedModelTrigger`: same signature,
defaults and on-disk results. On construction it exports the `policy/`,
`greedy_policy/` and `collect_policy/` SavedModels; each time it fires it writes
`checkpoints/policy_checkpoint_%010d` (the train step) that updates any of them.
"""

import itertools
import operator
import os
import time
from typing import Callable, Mapping, Optional, Sequence, Text, Tuple

from absl import logging
import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.metrics import py_metric
from tf_agents.policies import greedy_policy
from tf_agents.policies import policy_saver

from triggers import argument_checks
from triggers import best_policy
from triggers import checkpoint_format
from triggers import checkpoint_reader
from triggers import checkpoint_writer
from triggers import interval_trigger
from triggers import manifest
from triggers import saved_models


@gin.configurable(module='triggers',
                  denylist=['agent', 'train_step', 'clock'])
class PolicySavedModelTrigger(interval_trigger.IntervalTrigger):
  """Saves the agent's policies as SavedModels, then checkpoints every `interval` steps.

  Where it differs from tf_agents (each a fix, see README "Differences"):
  checkpoints and SavedModels are published atomically (written under a hidden
  temporary name, then renamed); an existing checkpoint is never overwritten;
  an existing SavedModel of other specs is an error; with `async_saving` the
  values are copied at the step the checkpoint is named after, newer requests
  are never dropped, and `metadata_metrics` work; constructed where
  checkpoints exist, it counts its interval from the newest one. Each
  checkpoint holds a `manifest.json`.

  Keyword-only options, all off by default (tf_agents' behaviour): retention
  (`max_to_keep`, `keep_every_n_steps`), wall-clock saving (`interval_secs`),
  best-policy export (`best_metric`, `best_mode`, see `report_evaluation`),
  and `overwrite_existing`.
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
      *,
      max_to_keep: Optional[int] = None,
      keep_every_n_steps: Optional[int] = None,
      interval_secs: Optional[float] = None,
      best_metric: Optional[str] = None,
      best_mode: str = 'max',
      overwrite_existing: bool = False,
      clock: Callable[[], float] = time.monotonic,
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
      max_to_keep: keep only this many newest checkpoints (>= 1); None (the
        default) keeps all. The newest and those being read (see
        `checkpoint_reader.reading`) are never deleted.
      keep_every_n_steps: checkpoints at multiples of this many steps are
        never deleted and do not count towards `max_to_keep`; None (default).
      interval_secs: also save once this many seconds have passed since the
        last save; None (default) saves by steps alone.
      best_metric: name of an evaluation result (e.g. 'AverageReturn'); when
        `report_evaluation` sees it improve, the greedy policy is exported to
        `saved_model_dir/best_policy/`. None (default) disables.
      best_mode: 'max' (default) if larger `best_metric` is better, or 'min'.
      overwrite_existing: if `saved_model_dir` holds policies of other specs,
        delete them and start afresh instead of raising; default False.
      clock: seconds for `interval_secs`; injectable for tests.

    Raises:
      TypeError: `agent`, `train_step`, `interval`, `start` or another option
        has the wrong type.
      ValueError: `saved_model_dir` cannot be created or written or has a
        scheme (gs://), `train_step` is not scalar, or an option is out of
        range.
      checkpoint_reader.InvalidCheckpointError: `checkpoints/` holds an
        entry named like a checkpoint that is not one.
      saved_models.SpecMismatchError: `saved_model_dir` holds policies saved
        for other specs (and not `overwrite_existing`).
    """
    argument_checks.check_agent(agent)
    argument_checks.check_train_step(train_step)
    argument_checks.check_int('interval', interval)
    argument_checks.check_int('start', start)
    for name, value in (('max_to_keep', max_to_keep),
                        ('keep_every_n_steps', keep_every_n_steps)):
      if value is not None and argument_checks.check_int(name, value) < 1:
        raise argument_checks.BadArgumentValue(
            f'{name} must be >= 1 or None, got {value}.')
    if best_mode not in best_policy.MODES:
      raise argument_checks.BadArgumentValue(
          f'best_mode must be one of {best_policy.MODES}, got {best_mode!r}.')
    argument_checks.ensure_writable_dir('saved_model_dir', saved_model_dir)
    checkpoint_reader.check_no_invalid_checkpoints(saved_model_dir)

    self._agent = agent
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
                if save_greedy_policy or best_metric else None)

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
    greedy_saver = build_saver(greedy) if greedy is not None else None
    if save_greedy_policy:
      savers.append((greedy_saver, checkpoint_format.GREEDY_POLICY_DIR))

    checkpoints_dir = os.path.join(saved_model_dir,
                                   checkpoint_format.CHECKPOINTS_DIR)
    checkpoint_format.remove_unpublished(saved_model_dir)
    checkpoint_format.remove_unpublished(checkpoints_dir)
    if overwrite_existing:
      saved_models.remove_mismatched(
          [(saver, os.path.join(saved_model_dir, name))
           for saver, name in savers], saved_model_dir)
    for saver, name in savers:
      saved_models.export_once(saver, os.path.join(saved_model_dir, name))

    self._saved_model_dir = saved_model_dir
    self._gin_config_sha256 = GinConfigHash()
    self._writer = checkpoint_writer.CheckpointWriter(
        checkpoints_dir,
        # The objects tf_agents' PolicySaver.save_checkpoint writes.
        tf.train.Checkpoint(
            policy=raw_saver.policy,
            model_variables=raw_saver.policy.model_variables,
            train_step=train_step),
        async_writes=async_saving, max_to_keep=max_to_keep,
        keep_every_n_steps=keep_every_n_steps)
    self._best = (
        best_policy.BestPolicyExporter(
            greedy_saver,
            os.path.join(saved_model_dir, best_policy.BEST_POLICY_DIR),
            best_metric, best_mode) if best_metric else None)
    super().__init__(interval, self._save_fn, start=start,
                     interval_secs=interval_secs, clock=clock)
    self.set_start(start)

  def set_start(self, start: int) -> None:
    """Counts the next interval from `start`, or from the newest saved step if later.

    So a resumed run (the Learner calls this with the restored train step)
    neither saves a step twice nor saves below what is already on disk.
    """
    newest = checkpoint_format.list_checkpoints(self._saved_model_dir)
    if newest and newest[-1] > start:
      logging.info('Policy checkpoints exist up to step %d; saving from there.',
                   newest[-1])
      start = newest[-1]
    super().set_start(start)

  def report_evaluation(self, step: int,
                        results: Mapping[str, float]) -> bool:
    """Exports `best_policy/` if `results[best_metric]` is the best so far.

    Args:
      step: the train step the evaluation ran at.
      results: metric name -> value, e.g. {'AverageReturn': -150.0}.

    Returns:
      True if a new best policy was exported; False otherwise or if
      `best_metric` is None.
    """
    return self._best.report(step, results) if self._best else False

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
    values = {}
    for name, metric in self._metadata_metrics.items():
      value = metric.result()
      self._metadata[name].assign(value)
      values[name] = _json_scalar(value)
    self._writer.save(metadata=values,
                      gin_config_sha256=self._gin_config_sha256())


class GinConfigHash:
  """SHA-256 of gin's operative config, formatted again only when it changed.

  Formatting the config takes about 1 ms, and gin's global state is not
  thread-safe, so the trigger calls this on its caller's thread at each save.
  gin-config 0.5.0 (pinned in setup.py) keeps the operative config in
  `gin.config._OPERATIVE_CONFIG`, {(scope, selector): {parameter: value}}:
  calls of configurables add keys (new dicts) and store values there,
  `clear_config` empties it, and `parse_config` may add imports. So the
  parameter dicts and values (compared by identity), their numbers and the
  number of imports change whenever the text can: about 7 us for 200 values
  (25 us with caches cold after a train step).
  """

  def __init__(self):
    self._dicts = self._values = self._lengths = None
    self._sha256 = None

  def __call__(self) -> Optional[str]:
    """The hash (see `manifest.gin_config_sha256`); None if gin recorded nothing."""
    with gin.config._OPERATIVE_CONFIG_LOCK:  # pylint: disable=protected-access
      dicts = list(gin.config._OPERATIVE_CONFIG.values())  # pylint: disable=protected-access
      values = list(itertools.chain.from_iterable(map(dict.values, dicts)))
      lengths = list(map(len, dicts)) + [len(gin.config._IMPORTS)]  # pylint: disable=protected-access
    if (lengths != self._lengths or
        not all(map(operator.is_, dicts, self._dicts)) or
        not all(map(operator.is_, values, self._values))):
      self._sha256 = manifest.gin_config_sha256(gin.operative_config_str())
      self._dicts, self._values, self._lengths = dicts, values, lengths
    return self._sha256


def _json_scalar(value):
  """A metric result as a plain Python number (or list) for the manifest."""
  value = tf.convert_to_tensor(value).numpy()
  return value.tolist() if hasattr(value, 'tolist') else value
