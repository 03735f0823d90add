"""`--job=collect --task=i`: one collector writing experience to the replay job over gRPC.

env (seeded by the task) -> its share of the random initial collection ->
the collect policy from policies/collect_policy, its weights pulled from the
variables table every `variable_update_interval` environment steps -> replay.
It exits once the learner's weights say training reached `num_iterations`.
"""

import os
from typing import Any, Dict, Optional, Tuple

from absl import logging
import reverb
import tensorflow as tf
from tf_agents.environments import py_environment
from tf_agents.policies import py_tf_eager_policy

import triggers
from train_eval import collection
from train_eval import environments
from train_eval import experience_writer
from train_eval import learning
from train_eval import replay
from train_eval import weights
from train_eval.jobs import context as context_lib
from train_eval import waiting

# How long a write may wait for the rate limiter before the collector checks
# whether training has ended.
FLUSH_TIMEOUT_MS = 2000


def collect_policy_dir(root_dir: str) -> str:
  return os.path.join(learning.policies_dir(root_dir),
                      triggers.checkpoint_format.COLLECT_POLICY_DIR)


def connect(context: context_lib.JobContext
            ) -> Optional[Tuple[reverb.Client, py_environment.PyEnvironment]]:
  """(replay client, this task's seeded environment) once the server answers;
  None if a stop request came first. Marks the job started."""
  client = replay.wait_for_server(context.replay_address,
                                  lambda: context.stop.requested,
                                  context.console.line)
  if client is None:
    return None
  seed = environments.collector_seed(context.experiment.seed, context.task)
  if seed is not None:
    tf.keras.utils.set_random_seed(seed)
  env = environments.create(seed)
  context.started()
  return client, env


def run(context: context_lib.JobContext) -> Dict[str, Any]:
  """Collects until the learner reaches `num_iterations` (or a stop request).

  Returns:
    {'env_steps': steps this process collected, 'weights_version': the last
     train step whose weights it used}.
  """
  exp, task = context.experiment, context.task
  stopped = lambda: context.stop.requested
  connected = connect(context)
  if connected is None:
    return {'env_steps': 0, 'weights_version': None}
  client, env = connected
  writer = experience_writer.ExperienceWriter(
      client, context.replay.sequence_length,
      replay.experience_tables(context.replay))
  train_step = tf.Variable(0, dtype=tf.int64, trainable=False)
  try:
    # A table that already holds the initial collection (restored, or filled
    # before this collector restarted) needs none.
    if replay.table_size(client) < exp.initial_collect_steps:
      collection.collect_randomly(
          env, writer, train_step,
          collection.initial_share(exp.initial_collect_steps,
                                   context.num_tasks, task))

    specs_file = os.path.join(collect_policy_dir(context.root_dir),
                              triggers.checkpoint_format.POLICY_SPECS_FILE)
    if not waiting.wait_until(lambda: os.path.exists(specs_file),
                 f'the collect policy {specs_file} (written by the train job)',
                 stopped, context.console.line):
      return {'env_steps': 0, 'weights_version': None}
    policy = py_tf_eager_policy.SavedModelPyTFEagerPolicy(
        collect_policy_dir(context.root_dir), load_specs_from_pbtxt=True)
    subscriber = weights.Subscriber(client, policy)
    if not waiting.wait_until(subscriber.available,
                 "the learner's first weights in the variables table", stopped,
                 context.console.line):
      return {'env_steps': 0, 'weights_version': None}
    train_step.assign(subscriber.pull())
    collector = collection.Collector(
        env, policy, writer, train_step, exp.variable_update_interval,
        collection.summary_dir(context.root_dir, task))
    reported = subscriber.version
    while not stopped() and subscriber.version < exp.num_iterations:
      collector.run()
      while not writer.flush(timeout_ms=FLUSH_TIMEOUT_MS):
        # The rate limiter holds our items back: is training still going?
        if stopped() or subscriber.pull() >= exp.num_iterations:
          break
      train_step.assign(subscriber.pull())
      if (exp.log_interval and subscriber.version // exp.log_interval >
          reported // exp.log_interval):
        logging.info('Collector %d: %d environment steps, weights of train '
                     'step %d.', task, collector.env_steps.result(),
                     subscriber.version)
        reported = subscriber.version
    logging.info('Collector %d done: %d environment steps, last weights of '
                 'train step %d.', task, collector.env_steps.result(),
                 subscriber.version)
    return {'env_steps': int(collector.env_steps.result()),
            'weights_version': subscriber.version}
  finally:
    env.close()
