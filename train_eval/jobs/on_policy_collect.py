"""`--job=collect --task=i` for an on-policy agent: one sequence per weights version.

Pulls the learner's newest weights into the collect policy loaded from
policies/collect_policy; for each new version v, collects its share of the
iteration (episodes, or a fixed number of steps) with them and puts the whole
sequence, tagged v, into the replay job's queue; then waits for the next
push of weights (a new version, or the same one pushed again by a learner
that restarted or found the replay job restarted). It exits once the weights say training reached `num_iterations`.
"""

import os
import time
from typing import Any, Dict

import tensorflow as tf
from tf_agents.policies import py_tf_eager_policy

import triggers
from train_eval import collection
from train_eval import on_policy_batch
from train_eval import on_policy_replay
from train_eval import waiting
from train_eval import weights
from train_eval.jobs import collect_job
from train_eval.jobs import context as context_lib

POLL_SECS = 0.05  # Between looks for new weights.


def run(context: context_lib.JobContext) -> Dict[str, Any]:
  """Collects until the learner reaches `num_iterations` (or a stop request).

  Returns:
    {'sequences': sequences put, 'weights_version': the last version used}.
  """
  exp, task = context.experiment, context.task
  stopped = lambda: context.stop.requested
  connected = collect_job.connect(context)
  if connected is None:
    return {'sequences': 0, 'weights_version': None}
  client, env = connected
  try:
    policy_dir = collect_job.collect_policy_dir(context.root_dir)
    specs_file = os.path.join(policy_dir,
                              triggers.checkpoint_format.POLICY_SPECS_FILE)
    if not waiting.wait_until(
        lambda: os.path.exists(specs_file),
        f'the collect policy {specs_file} (written by the train job)',
        stopped, context.console.line):
      return {'sequences': 0, 'weights_version': None}
    policy = py_tf_eager_policy.SavedModelPyTFEagerPolicy(
        policy_dir, load_specs_from_pbtxt=True)
    subscriber = weights.Subscriber(client, policy)
    if not waiting.wait_until(
        subscriber.available, "the learner's first weights in the variables "
        'table', stopped, context.console.line):
      return {'sequences': 0, 'weights_version': None}
    steps = on_policy_batch.sequence_length(exp.collect_steps_per_iteration,
                                            context.num_tasks)
    episodes = (collection.initial_share(exp.collect_episodes_per_iteration,
                                         context.num_tasks, task)
                if exp.collect_episodes_per_iteration else 0)
    train_step = tf.Variable(0, dtype=tf.int64, trainable=False)
    batch = on_policy_batch.OnPolicyBatch(None)
    collector = collection.Collector(
        env, policy, batch, train_step, steps,
        collection.summary_dir(context.root_dir, task),
        episodes_per_run=episodes)
    sequences, last, last_key = 0, None, None
    while not stopped():
      version = subscriber.pull()
      if version >= exp.num_iterations:
        break
      if subscriber.key == last_key:  # The learner asks again by pushing again.
        time.sleep(POLL_SECS)
        continue
      train_step.assign(version)
      batch.open(version)
      collector.run()
      sequence = tf.nest.map_structure(lambda x: x[0], batch.take(version))
      if not episodes:  # Fixed length, as schulman17: extra boundary steps go.
        sequence = tf.nest.map_structure(lambda x: x[:steps], sequence)
      on_policy_replay.put(client, version, sequence)
      sequences, last, last_key = sequences + 1, version, subscriber.key
    return {'sequences': sequences, 'weights_version': last}
  finally:
    env.close()
