"""On-policy training: each batch is trained on once, by the weights that collected it.

The no-stale-data rule of `OnPolicyBatch`, alone and through a real Learner
(REINFORCE on CartPole), and `--collectors` with an on-policy agent refused
in one line (separate jobs are not supported for on-policy agents yet).
"""

from absl.testing import absltest
import gin
import numpy as np
import tensorflow as tf
from tf_agents.policies import py_tf_eager_policy

from tests import test_case
from train_eval import agents
from train_eval import collection
from train_eval import environments
from train_eval import learning
from train_eval import on_policy_batch

StaleBatchError = on_policy_batch.StaleBatchError
CARTPOLE_REINFORCE = """
load_environment.env_name = 'CartPole-v0'
reinforce_agent.actor_fc_layers = (8,)
"""


class OnPolicyBatchTest(test_case.TestCase):

  def setUp(self):
    super().setUp()
    gin.parse_config(CARTPOLE_REINFORCE)
    self.env = environments.create(seed=0)
    self.addCleanup(self.env.close)
    self.agent, self.train_step = agents.build(agents.reinforce_agent,
                                               self.env)
    self.batch = on_policy_batch.OnPolicyBatch(self.agent.collect_data_spec)
    self.collector = collection.Collector(
        self.env, py_tf_eager_policy.PyTFEagerPolicy(self.agent.collect_policy),
        self.batch, self.train_step, steps_per_run=1, summary_dir=None,
        episodes_per_run=1)

  def collect(self, version):
    self.batch.open(version)
    self.collector.run()

  def test_take_returns_the_whole_batch_once(self):
    self.collect(0)
    steps = len(self.batch)
    taken = self.batch.take(0)
    self.assertEqual(taken.step_type.shape, (1, steps))
    self.assertTrue(np.any(taken.is_last()), 'a whole episode')
    with self.assertRaisesRegex(StaleBatchError, 'trained on once'):
      self.batch.take(0)

  def test_a_batch_of_other_weights_is_refused(self):
    self.collect(3)
    with self.assertRaisesRegex(
        StaleBatchError, 'collected by the weights of train step 3, not 4'):
      self.batch.take(4)

  def test_an_untrained_batch_is_never_carried_over(self):
    self.collect(0)
    with self.assertRaisesRegex(StaleBatchError, 'were never trained on'):
      self.batch.open(1)

  def trainer(self):
    trainer = learning.Trainer(
        self.create_tempdir().full_path, self.agent, self.train_step,
        lambda: self.batch.dataset(self.train_step), [], None, {})
    self.addCleanup(trainer.close)
    return trainer

  def test_the_learner_trains_once_on_each_batch(self):
    trainer = self.trainer()
    self.collect(0)
    before = [v.numpy() for v in self.agent.policy.variables()]
    self.assertIsNotNone(trainer.train())
    self.assertEqual(trainer.step, 1)
    self.assertEmpty(self.batch, 'trained on, then discarded')
    after = [v.numpy() for v in self.agent.policy.variables()]
    self.assertTrue(any(np.any(a != b) for a, b in zip(before, after)))
    # Nothing new: the Learner gets no batch rather than the old one again.
    with self.assertRaisesRegex(tf.errors.OpError, 'StaleBatchError'):
      trainer.train()
    self.assertEqual(trainer.step, 1)

  def test_the_learner_refuses_a_batch_of_older_weights(self):
    trainer = self.trainer()
    self.collect(0)
    trainer.train()
    self.collect(0)  # Collected by step 0's weights, offered to step 1.
    with self.assertRaisesRegex(tf.errors.OpError,
                                'weights of train step 0, not 1'):
      trainer.train()
    self.assertEqual(trainer.step, 1)


if __name__ == '__main__':
  absltest.main()
