"""The gin root: one experiment's settings, validated before anything runs.

Every job (`--job=all|replay|collect|train|eval`) reads the same settings from
the same .gin files, bound as `train_eval.<name>`.
"""

import dataclasses
from typing import Any, Callable, Optional, Sequence

import gin

import triggers
from train_eval import checks
from train_eval.agents import runtime as agent_runtime

EVAL_POLICIES = ('greedy', 'policy')
# What an evaluation reports: tf_agents' `actor.eval_metrics` names.
EVAL_METRICS = ('AverageReturn', 'AverageEpisodeLength')


@gin.configurable('train_eval', module='train_eval')
@dataclasses.dataclass(frozen=True)
class Experiment:
  """What to train and how long; every job of a run reads the same values.

  Attributes:
    agent_fn: e.g. `@train_eval.sac_agent`; called with the environment's
      specs and the train step counter.
    num_iterations: train step to stop at (total, across restarts); default
      100000.
    initial_collect_steps: random-policy environment steps in replay before
      training; after a restart only what the restored table lacks. Default
      10000.
    collect_steps_per_iteration: environment steps per train step; default 1.
      On-policy agents (reinforce_agent, ppo_agent) collect them with the
      current policy, train once on them and discard them.
    collect_episodes_per_iteration: on-policy agents only: whole episodes per
      train step instead of collect_steps_per_iteration steps (REINFORCE);
      0 (default) collects steps.
    eval_interval: train steps between evaluations; 0 disables. Default 10000.
    eval_episodes: episodes per evaluation; default 20.
    eval_policy: 'greedy' (default; the mode of the agent's policy) or
      'policy' (the agent's `policy` itself, stochastic for SAC, as the SAC
      minitaur tutorial evaluates).
    log_interval: train steps between progress lines; 0 disables. Default
      1000.
    learner_triggers: trigger classes or gin references the Learner runs after
      each train step; each gets the runtime objects its signature names
      (saved_model_dir, agent, train_step, reverb_client, metadata_metrics).
    seed: seeds Python, NumPy, TensorFlow and the environments; None (default)
      leaves them unseeded. Training does not repeat exactly: separate jobs
      take the collectors' items in the order their race gives, and two
      seeded one-process runs differ too (not yet traced).
    collect_while_training: one process (`--job=all`), off-policy agents:
      collect iteration k's steps on a second thread while train step k runs
      (`background_collection.py`), with the weights the tutorial's loop
      would use; train step k then samples the table without the items
      collected beside it (they join it before step k + 1). False: collect,
      then train, in turn, as the tutorial. Default True.
    variable_push_interval: separate jobs only: train steps between the
      learner's pushes of the collect policy's weights to the replay server.
      Default 10: a push costs about 0.5 ms of the learner's CPU (0.6 ms
      with the server's), 5% of a train step if done every step, 0.5% so.
    variable_update_interval: separate jobs only: environment steps between a
      collector's pulls of those weights (and between its waits for the
      replay table). Default 10: a pull costs about 1.1 ms of CPU, 37% of a
      collect step if done every step, under 4% so, while the weights stay
      within about 10 + 10 train steps of the learner's (the README's
      "Separate jobs" gives the measured lag).
  """
  agent_fn: Callable[..., Any] = gin.REQUIRED
  num_iterations: int = 100000
  initial_collect_steps: int = 10000
  collect_steps_per_iteration: int = 1
  collect_episodes_per_iteration: int = 0
  eval_interval: int = 10000
  eval_episodes: int = 20
  eval_policy: str = 'greedy'
  log_interval: int = 1000
  learner_triggers: Sequence[Callable[..., Any]] = (
      triggers.PolicySavedModelTrigger, triggers.StepPerSecondLogTrigger)
  seed: Optional[int] = None
  collect_while_training: bool = True
  variable_push_interval: int = 10
  variable_update_interval: int = 10

  def validate(self) -> 'Experiment':
    """Returns self if every value is in range.

    Raises:
      errors.BadValueError: the first value out of range, named as its binding.
    """
    checks.integer('train_eval.num_iterations', self.num_iterations, 1,
                   'the train step to stop at')
    checks.integer('train_eval.initial_collect_steps',
                   self.initial_collect_steps, 0, 'environment steps')
    checks.integer('train_eval.collect_steps_per_iteration',
                   self.collect_steps_per_iteration, 1,
                   'environment steps per train step')
    checks.integer('train_eval.collect_episodes_per_iteration',
                   self.collect_episodes_per_iteration, 0,
                   'episodes per train step; 0 collects steps')
    self._check_data_discipline()
    checks.integer('train_eval.eval_interval', self.eval_interval, 0,
                   'train steps; 0 disables evaluation')
    if self.eval_interval:
      checks.integer('train_eval.eval_episodes', self.eval_episodes, 1,
                     'episodes per evaluation')
    checks.choice('train_eval.eval_policy', self.eval_policy, EVAL_POLICIES)
    checks.integer('train_eval.log_interval', self.log_interval, 0,
                   'train steps; 0 disables progress lines')
    checks.optional_integer('train_eval.seed', self.seed, 0)
    checks.boolean('train_eval.collect_while_training',
                   self.collect_while_training)
    checks.integer('train_eval.variable_push_interval',
                   self.variable_push_interval, 1, 'train steps')
    checks.integer('train_eval.variable_update_interval',
                   self.variable_update_interval, 1, 'environment steps')
    if not callable(self.agent_fn):
      raise checks.errors.BadValueError(
          f'train_eval.agent_fn = {self.agent_fn!r}: must be an agent '
          'function such as @train_eval.sac_agent or @train_eval.dqn_agent; '
          'change it in the gin file or with --gin_bindings.')
    return self

  def _check_data_discipline(self) -> None:
    """On-policy agents train only on their own fresh data; others on replay."""
    if not callable(self.agent_fn):
      return
    name = getattr(self.agent_fn, '__name__', 'agent_fn')
    if agent_runtime.is_on_policy(self.agent_fn):
      if self.initial_collect_steps:
        raise checks.errors.BadValueError(
            f'train_eval.initial_collect_steps = {self.initial_collect_steps}'
            f' with the on-policy {name}: it trains only on what its current '
            'policy collects, never on random steps; set it to 0.')
    elif self.collect_episodes_per_iteration:
      raise checks.errors.BadValueError(
          'train_eval.collect_episodes_per_iteration = '
          f'{self.collect_episodes_per_iteration} is for on-policy agents '
          f'(reinforce_agent, ppo_agent), not {name}; set it to 0 and use '
          'train_eval.collect_steps_per_iteration.')


def load() -> Experiment:
  """The bound experiment, validated (see `Experiment.validate`)."""
  return Experiment().validate()
