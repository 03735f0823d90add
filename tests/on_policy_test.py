"""On-policy training: each batch is trained on once, by the weights that collected it.

The no-stale-data rule of `OnPolicyBatch`, alone and through a real Learner
(REINFORCE on CartPole); a run of the binary stopped by SIGTERM saves
and resumes; PPO's iteration is its epochs of minibatches (one train step
each) on the batch its weights collected, with its learning rate decayed by
the train step; with separate jobs, the learner gathers only sequences its
current weights collected (REINFORCE's tiny run with `--collectors=2` is in
agent_configs_test, PPO's here), and more collectors than an iteration has
episodes is refused in one line.
"""

import os
import subprocess

from absl.testing import absltest
import gin
import numpy as np
import reverb
import tensorflow as tf
from tf_agents.policies import py_tf_eager_policy

from tests import subprocesses
from tests import test_case
from tests import train_eval_test
from train_eval import agents
from train_eval import collection
from train_eval import environments
from train_eval import experiment  # pylint: disable=unused-import
from train_eval import learning
from train_eval import on_policy_batch
from train_eval import on_policy_minibatches
from train_eval import on_policy_replay
from train_eval import replay

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


PENDULUM_PPO = """
load_environment.suite = 'pybullet'
load_environment.env_name = 'InvertedPendulumBulletEnv-v0'
train_eval.num_iterations = 120
ppo_agent.actor_fc_layers = (8,)
ppo_agent.value_fc_layers = (8,)
ppo_agent.num_epochs = 3
ppo_agent.minibatch_size = 16
"""
PPO_STEPS = 40  # Per iteration: 2 whole minibatches of 16 (8 steps left out).


class MinibatchTest(test_case.TestCase):
  """PPO as PPOLearner: one train step per minibatch, from one fresh batch."""

  def setUp(self):
    super().setUp()
    gin.parse_config(PENDULUM_PPO)
    self.env = environments.create(seed=0)
    self.addCleanup(self.env.close)
    self.agent, self.train_step = agents.build(agents.ppo_agent, self.env)
    self.batch = on_policy_batch.OnPolicyBatch(self.agent.collect_data_spec)
    self.collector = collection.Collector(
        self.env, py_tf_eager_policy.PyTFEagerPolicy(self.agent.collect_policy),
        self.batch, self.train_step, steps_per_run=PPO_STEPS, summary_dir=None)
    trainer = learning.Trainer(
        self.create_tempdir().full_path, self.agent, self.train_step,
        lambda: self.batch.dataset(self.train_step), [], None, {})
    self.addCleanup(trainer.close)
    self.minibatches = on_policy_minibatches.MinibatchTrainer(
        self.agent, trainer.learner)

  def train_iteration(self):
    """Collects with the weights of the train step now, cut as the loop cuts."""
    self.batch.open(int(self.train_step.numpy()))
    self.collector.run()
    experience = self.batch.take(int(self.train_step.numpy()))
    return self.minibatches.train(
        tf.nest.map_structure(lambda x: x[:, :PPO_STEPS], experience))

  def test_an_iteration_is_its_epochs_of_minibatches_on_its_own_batch(self):
    before = [v.numpy() for v in self.agent.policy.variables()]
    self.assertIsNotNone(self.train_iteration())
    self.assertEqual(int(self.train_step.numpy()), 3 * 2, '3 epochs x 2')
    after = [v.numpy() for v in self.agent.policy.variables()]
    self.assertTrue(any(np.any(a != b) for a, b in zip(before, after)))
    # The normalisers saw the batch once, not once per minibatch.
    rewards_seen = self.agent._reward_normalizer._count[0].numpy()  # pylint: disable=protected-access
    self.assertAlmostEqual(float(rewards_seen), PPO_STEPS, places=3)
    self.assertEmpty(self.batch, 'trained on, then discarded')
    # Each batch is trained on by the iteration its weights began, once.
    with self.assertRaisesRegex(StaleBatchError, 'trained on once'):
      self.batch.take(6)
    self.batch.open(0)  # Collected by step 0's weights, offered to step 6.
    self.collector.run()
    with self.assertRaisesRegex(StaleBatchError,
                                'weights of train step 0, not 6'):
      self.batch.take(6)
    self.assertEqual(int(self.train_step.numpy()), 6)

  def test_the_learning_rate_decays_linearly_to_zero_by_train_step(self):
    rate = self.agent._optimizer._lr  # pylint: disable=protected-access
    self.assertAlmostEqual(float(rate()), 3e-4)
    self.train_step.assign(6)  # As restored on resume: from the step alone.
    self.assertAlmostEqual(float(rate()), 3e-4 * (1 - 6 / 120))
    self.train_step.assign(120)  # train_eval.num_iterations
    self.assertEqual(float(rate()), 0.0)
    self.train_step.assign(200)
    self.assertEqual(float(rate()), 0.0)


TINY_REINFORCE = ['train_eval.eval_interval = 0',
                  'reinforce_agent.actor_fc_layers = (8,)',
                  'train_eval.collect_episodes_per_iteration = 1']


class OnPolicyBinaryTest(test_case.TestCase):

  def test_sigterm_saves_at_one_step_then_restart_continues(self):
    workdir = self.create_tempdir().full_path
    root_dir = os.path.join(workdir, 'run')
    _, _, stopped_at = train_eval_test.sigterm_at_step(
        self, train_eval_test.command(
            root_dir, ['reinforce_cartpole.gin'],
            TINY_REINFORCE + ['train_eval.num_iterations = 100000']),
        workdir, 3)
    policies = os.path.join(root_dir, 'policies')
    self.assertEqual(learning.checkpointed_steps(root_dir)[-1], stopped_at)
    self.assertTrue(os.path.exists(os.path.join(
        root_dir, 'train', 'checkpoints', f'ckpt-{stopped_at}.index')))

    resumed = subprocess.run(
        train_eval_test.command(
            root_dir, ['reinforce_cartpole.gin'],
            TINY_REINFORCE + [f'train_eval.num_iterations = {stopped_at + 2}']),
        cwd=workdir, env=subprocesses.python_env(), capture_output=True,
        text=True, timeout=600)
    self.assertEqual(resumed.returncode, 0, resumed.stderr[-3000:])
    self.assertIn(f'Resuming from step {stopped_at} of {stopped_at + 2}',
                  resumed.stdout)
    self.assertIn(f'Finished at train step {stopped_at + 2}.', resumed.stdout)
    self.assertEqual(learning.checkpointed_steps(root_dir)[-1],
                     stopped_at + 2)
    self.assertTrue(os.path.isdir(os.path.join(policies, 'greedy_policy')))


class SeparateJobsTest(test_case.TestCase):

  def test_the_learner_gathers_only_sequences_of_its_own_version(self):
    server = replay.start_server([on_policy_replay.batches_table()])
    self.addCleanup(server.stop)
    client = reverb.Client(f'{replay.LOCALHOST}:{server.port}')
    spec = {'x': tf.TensorSpec((), tf.int32)}
    sequence = lambda value: {'x': np.full((3,), value, np.int32)}
    # A collector still on step 4's weights, then two on step 5's.
    on_policy_replay.put(client, 4, sequence(4))
    on_policy_replay.put(client, 5, sequence(5))
    on_policy_replay.put(client, 5, sequence(50))
    fresh, dropped = on_policy_replay.gather(client, spec, 5, 2, lambda: False)
    self.assertEqual(dropped, 1)
    self.assertEqual([s['x'].tolist() for s in fresh], [[5] * 3, [50] * 3])
    self.assertEqual(replay.table_size(client, on_policy_replay.BATCHES_TABLE),
                     0, 'each sequence is read once')
    # Nothing of step 6's weights yet: a stop request ends the wait.
    on_policy_replay.put(client, 5, sequence(5))
    fresh, dropped = on_policy_replay.gather(client, spec, 6, 1, lambda: True)
    self.assertIsNone(fresh)
    self.assertEqual(dropped, 1)

  def test_ppo_trains_its_minibatches_on_two_collectors_sequences(self):
    workdir = self.create_tempdir().full_path
    root_dir = os.path.join(workdir, 'run')
    result = subprocess.run(
        train_eval_test.command(
            root_dir, ['ppo_invertedpendulum.gin'],
            ['train_eval.collect_steps_per_iteration = 33',
             'ppo_agent.minibatch_size = 16', 'ppo_agent.num_epochs = 2',
             'train_eval.num_iterations = 8', 'train_eval.eval_interval = 0',
             'ppo_agent.actor_fc_layers = (8,)',
             'ppo_agent.value_fc_layers = (8,)',
             'PolicySavedModelTrigger.interval = 4',
             'Learner.checkpoint_interval = 4'],
            ['--collectors=2']),
        cwd=workdir, env=subprocesses.python_env(), capture_output=True,
        text=True, timeout=600)
    output = result.stdout + result.stderr
    self.assertEqual(result.returncode, 0, output[-3000:])
    # 2 collectors x 16 steps (equal lengths, stacked; the odd step left
    # out): 2 minibatches of 16, 2 epochs: 4 train steps per iteration, each
    # on the sequences of the weights the iteration began with.
    self.assertRegex(output, r'(\[train\] )?Finished at train step 8\.')
    self.assertEqual(learning.checkpointed_steps(root_dir), [4, 8])

  def test_more_collectors_than_episodes_is_one_line(self):
    workdir = self.create_tempdir().full_path
    root_dir = os.path.join(workdir, 'run')
    result = subprocess.run(
        train_eval_test.command(
            root_dir, ['reinforce_cartpole.gin'], (), ['--collectors=3']),
        cwd=workdir, env=subprocesses.python_env(), capture_output=True,
        text=True, timeout=600)
    self.assertEqual(result.returncode, 2, result.stderr[-3000:])
    last = result.stderr.rstrip().splitlines()[-1]
    self.assertRegex(
        last, r'^train_eval: error: --collectors=3 with '
        r'train_eval\.collect_episodes_per_iteration = 2: .* use at most 2 '
        r'collectors')
    self.assertNotIn('Traceback', result.stdout + result.stderr)
    self.assertFalse(os.path.exists(root_dir))


if __name__ == '__main__':
  absltest.main()
