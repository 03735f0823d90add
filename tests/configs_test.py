"""Every shipped config parses strictly; the tutorial's values are pinned."""

import os

from absl.testing import absltest
from absl.testing import parameterized
import gin

import configs
from train_eval import agents  # pylint: disable=unused-import
from train_eval import environments
from train_eval import errors
from train_eval import experiment  # pylint: disable=unused-import
from train_eval import gin_config
from train_eval import replay  # pylint: disable=unused-import
from tests import test_case

SHIPPED = gin_config.available_configs()


class ShippedConfigsTest(test_case.TestCase, parameterized.TestCase):

  def test_the_three_experiments_ship(self):
    self.assertContainsSubset(
        ['sac_minitaur.gin', 'sac_pendulum.gin', 'dqn_cartpole.gin'], SHIPPED)

  @parameterized.parameters(*SHIPPED)
  def test_parses_strictly_from_another_directory(self, name):
    self.addCleanup(os.chdir, os.getcwd())
    os.chdir(self.create_tempdir().full_path)
    paths = gin_config.parse([name], [])
    self.assertEqual(paths, [os.path.join(configs.CONFIGS_DIR, name)])
    # Every required value is bound.
    self.assertIsNotNone(gin.query_parameter('train_eval.agent_fn'))
    self.assertIsInstance(
        gin.query_parameter('load_environment.env_name'), str)
    self.assertGreater(gin.query_parameter('PolicySavedModelTrigger.interval'),
                       0)

  def test_sac_minitaur_has_every_tutorial_value(self):
    gin_config.parse(['sac_minitaur.gin'], [])
    tutorial = {
        'load_environment.env_name': 'MinitaurBulletEnv-v0',
        'load_environment.suite': 'pybullet',
        'train_eval.num_iterations': 100000,
        'train_eval.initial_collect_steps': 10000,
        'train_eval.collect_steps_per_iteration': 1,
        'train_eval.eval_interval': 10000,
        'train_eval.eval_episodes': 20,
        'train_eval.eval_policy': 'policy',
        'train_eval.log_interval': 5000,
        'ReverbReplay.capacity': 10000,
        'ReverbReplay.batch_size': 256,
        'sac_agent.actor_fc_layers': (256, 256),
        'sac_agent.critic_joint_fc_layers': (256, 256),
        'sac_agent.actor_learning_rate': 3e-4,
        'sac_agent.critic_learning_rate': 3e-4,
        'sac_agent.alpha_learning_rate': 3e-4,
        'sac_agent.target_update_tau': 0.005,
        'sac_agent.target_update_period': 1,
        'sac_agent.gamma': 0.99,
        'sac_agent.reward_scale_factor': 1.0,
        'PolicySavedModelTrigger.interval': 5000,
        'StepPerSecondLogTrigger.interval': 1000,
    }
    for parameter, value in tutorial.items():
      self.assertEqual(gin.query_parameter(parameter), value, parameter)
    self.assertEqual(
        gin.query_parameter('train_eval.agent_fn').selector,
        'train_eval.sac_agent')

  def test_sac_minitaur_environment_loads(self):
    gin_config.parse(['sac_minitaur.gin'], [])
    env = environments.load_environment()
    self.addCleanup(env.close)
    self.assertEqual(env.observation_spec().shape, (28,))
    self.assertEqual(env.action_spec().shape, (8,))


class StrictParsingTest(test_case.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('unknown_config', ['no_such.gin'], [], errors.GinFileError,
       'no_such.gin.*Packaged configs'),
      ('unknown_configurable', ['sac_pendulum.gin'],
       ['NoSuchThing.x = 1'], errors.UnknownNameError, 'NoSuchThing'),
      ('unknown_parameter', ['sac_pendulum.gin'],
       ['train_eval.num_iteration = 1'], errors.UnknownNameError,
       'num_iteration'),
      ('malformed_binding', ['sac_pendulum.gin'],
       ['train_eval.num_iterations = = 1'], errors.MalformedBindingError,
       'num_iterations = = 1'),
      ('unbalanced_brackets', ['sac_pendulum.gin'],
       ['sac_agent.actor_fc_layers = (64, 64'], errors.MalformedBindingError,
       'actor_fc_layers = \\(64, 64'),
  )
  def test_bad_input_names_the_offending_text(self, files, bindings, error,
                                               pattern):
    with self.assertRaisesRegex(error, pattern) as raised:
      gin_config.parse(files, bindings)
    self.assertNotIn('\n', str(raised.exception))

  def test_later_binding_wins_over_the_file(self):
    gin_config.parse(['sac_pendulum.gin'],
                     ['PolicySavedModelTrigger.interval = 123'])
    self.assertEqual(gin.query_parameter('PolicySavedModelTrigger.interval'),
                     123)


if __name__ == '__main__':
  absltest.main()
