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

# Each config's values as its source sets them (the config's header says
# where): config -> (agent builder, {binding: value}).
_TD3_EXAMPLE = {  # agents/td3/examples/v2/train_eval.py
    'train_eval.initial_collect_steps': 1000,
    'train_eval.collect_steps_per_iteration': 1,
    'train_eval.eval_episodes': 10, 'train_eval.eval_policy': 'greedy',
    'ReverbReplay.capacity': 100000, 'ReverbReplay.batch_size': 64,
    'td3_agent.actor_fc_layers': (400, 300),
    'td3_agent.critic_obs_fc_layers': (400,),
    'td3_agent.critic_action_fc_layers': None,
    'td3_agent.critic_joint_fc_layers': (300,),
    'td3_agent.actor_learning_rate': 1e-4,
    'td3_agent.critic_learning_rate': 1e-3,
    'td3_agent.exploration_noise_std': 0.1,
    'td3_agent.target_policy_noise': 0.2,
    'td3_agent.target_policy_noise_clip': 0.5,
    'td3_agent.target_update_tau': 0.05, 'td3_agent.target_update_period': 5,
    'td3_agent.actor_update_period': 2, 'td3_agent.gamma': 0.995,
    'td3_agent.reward_scale_factor': 1.0,
}
_DDPG_EXAMPLE = {  # agents/ddpg/examples/v2/train_eval.py
    'train_eval.initial_collect_steps': 1000,
    'train_eval.collect_steps_per_iteration': 1,
    'train_eval.eval_episodes': 10, 'train_eval.eval_policy': 'greedy',
    'ReverbReplay.capacity': 100000, 'ReverbReplay.batch_size': 64,
    'ddpg_agent.actor_fc_layers': (400, 300),
    'ddpg_agent.critic_obs_fc_layers': (400,),
    'ddpg_agent.critic_action_fc_layers': None,
    'ddpg_agent.critic_joint_fc_layers': (300,),
    'ddpg_agent.actor_learning_rate': 1e-4,
    'ddpg_agent.critic_learning_rate': 1e-3,
    'ddpg_agent.ou_stddev': 0.2, 'ddpg_agent.ou_damping': 0.15,
    'ddpg_agent.target_update_tau': 0.05, 'ddpg_agent.target_update_period': 5,
    'ddpg_agent.gamma': 0.995, 'ddpg_agent.reward_scale_factor': 1.0,
}
_HALFCHEETAH = {'load_environment.env_name': 'HalfCheetahBulletEnv-v0',
                'load_environment.suite': 'pybullet'}
_PENDULUM = {'load_environment.env_name': 'Pendulum-v1',
             'train_eval.num_iterations': 20000,  # RL Zoo's TD3 budget.
             'train_eval.eval_interval': 2000}
_DQN_TUTORIAL = {  # docs/tutorials/1_dqn_tutorial.ipynb
    'load_environment.env_name': 'CartPole-v0',
    'load_environment.suite': 'gym',
    'train_eval.num_iterations': 20000,
    'train_eval.initial_collect_steps': 100,
    'train_eval.collect_steps_per_iteration': 1,
    'train_eval.eval_interval': 1000, 'train_eval.eval_episodes': 10,
    'train_eval.eval_policy': 'greedy', 'train_eval.log_interval': 200,
    'ReverbReplay.capacity': 100000, 'ReverbReplay.batch_size': 64,
    'dqn_agent.fc_layers': (100, 50), 'dqn_agent.learning_rate': 1e-3,
    'dqn_agent.epsilon_greedy': 0.1, 'dqn_agent.n_step_update': 1,
    'dqn_agent.target_update_tau': 1.0, 'dqn_agent.target_update_period': 1,
    'dqn_agent.gamma': 1.0, 'dqn_agent.reward_scale_factor': 1.0,
}
_PPO_EXAMPLE = {  # examples/ppo/schulman17/train_eval_lib.py
    'load_environment.suite': 'pybullet',
    # 1600 iterations of 10 epochs x 32 minibatches.
    'train_eval.num_iterations': 512000,
    'train_eval.initial_collect_steps': 0,
    'train_eval.collect_steps_per_iteration': 2048,
    'train_eval.eval_episodes': 100, 'train_eval.eval_policy': 'greedy',
    'ppo_agent.actor_fc_layers': (64, 64),
    'ppo_agent.value_fc_layers': (64, 64),
    'ppo_agent.learning_rate': 3e-4, 'ppo_agent.num_epochs': 10,
    'ppo_agent.minibatch_size': 64, 'ppo_agent.learning_rate_decay': True,
    'ppo_agent.importance_ratio_clipping': 0.2,
    'ppo_agent.lambda_value': 0.95, 'ppo_agent.discount_factor': 0.99,
    'ppo_agent.entropy_regularization': 0.0,
    'ppo_agent.value_pred_loss_coef': 0.5,
    'ppo_agent.gradient_clipping': 0.5,
    'ppo_agent.normalize_observations': True,
    'ppo_agent.normalize_rewards': True,
}
SOURCE_VALUES = {
    'reinforce_cartpole.gin': ('reinforce_agent', {
        # docs/tutorials/6_reinforce_tutorial.ipynb
        'load_environment.env_name': 'CartPole-v0',
        'load_environment.suite': 'gym',
        'train_eval.num_iterations': 250,
        'train_eval.initial_collect_steps': 0,
        'train_eval.collect_episodes_per_iteration': 2,
        'train_eval.eval_interval': 50, 'train_eval.eval_episodes': 10,
        'train_eval.eval_policy': 'policy', 'train_eval.log_interval': 25,
        'reinforce_agent.actor_fc_layers': (100,),
        'reinforce_agent.value_fc_layers': None,
        'reinforce_agent.learning_rate': 1e-3,
        'reinforce_agent.gamma': 1.0,
        'reinforce_agent.normalize_returns': True}),
    'ppo_invertedpendulum.gin': ('ppo_agent', dict(_PPO_EXAMPLE, **{
        'load_environment.env_name': 'InvertedPendulumBulletEnv-v0'})),
    'ppo_halfcheetah.gin': ('ppo_agent', dict(_PPO_EXAMPLE, **{
        'load_environment.env_name': 'HalfCheetahBulletEnv-v0'})),
    'dqn_cartpole.gin': ('dqn_agent', dict(_DQN_TUTORIAL, **{
        'dqn_agent.double_dqn': False})),
    'ddqn_cartpole.gin': ('dqn_agent', dict(_DQN_TUTORIAL, **{
        'dqn_agent.double_dqn': True})),
    # tf_agents/examples/dqn/dqn_train_eval.py's values, the tutorial's budget.
    'ddqn_cartpole_stable.gin': ('dqn_agent', dict(_DQN_TUTORIAL, **{
        'train_eval.initial_collect_steps': 1000,
        'dqn_agent.fc_layers': (100,), 'dqn_agent.double_dqn': True,
        'dqn_agent.gamma': 0.99, 'dqn_agent.target_update_tau': 0.05,
        'dqn_agent.target_update_period': 5})),
    'c51_cartpole.gin': ('c51_agent', {  # docs/tutorials/9_c51_tutorial.ipynb
        'load_environment.env_name': 'CartPole-v1',
        'train_eval.num_iterations': 15000,
        'train_eval.initial_collect_steps': 1000,
        'train_eval.collect_steps_per_iteration': 1,
        'train_eval.eval_interval': 1000, 'train_eval.eval_episodes': 10,
        'train_eval.eval_policy': 'greedy', 'train_eval.log_interval': 200,
        'ReverbReplay.capacity': 100000, 'ReverbReplay.batch_size': 64,
        'c51_agent.fc_layers': (100,), 'c51_agent.num_atoms': 51,
        'c51_agent.min_q_value': -20, 'c51_agent.max_q_value': 20,
        'c51_agent.n_step_update': 2, 'c51_agent.learning_rate': 1e-3,
        'c51_agent.epsilon_greedy': 0.1, 'c51_agent.target_update_tau': 1.0,
        'c51_agent.target_update_period': 1, 'c51_agent.gamma': 0.99,
        'c51_agent.reward_scale_factor': 1.0}),
    'sac_halfcheetah.gin': ('sac_agent', dict(_HALFCHEETAH, **{  # haarnoja18
        'train_eval.num_iterations': 3000000,
        'train_eval.initial_collect_steps': 10000,
        'train_eval.collect_steps_per_iteration': 1,
        'train_eval.eval_interval': 10000, 'train_eval.eval_episodes': 30,
        'train_eval.eval_policy': 'greedy',
        'ReverbReplay.capacity': 1000000, 'ReverbReplay.batch_size': 256,
        'sac_agent.actor_fc_layers': (256, 256),
        'sac_agent.critic_obs_fc_layers': None,
        'sac_agent.critic_action_fc_layers': None,
        'sac_agent.critic_joint_fc_layers': (256, 256),
        'sac_agent.actor_learning_rate': 3e-4,
        'sac_agent.critic_learning_rate': 3e-4,
        'sac_agent.alpha_learning_rate': 3e-4, 'sac_agent.gamma': 0.99,
        'sac_agent.target_update_tau': 0.005,
        'sac_agent.target_update_period': 1,
        'sac_agent.reward_scale_factor': 0.1,
        'PolicySavedModelTrigger.interval': 10000})),
    'td3_halfcheetah.gin': ('td3_agent', dict(_TD3_EXAMPLE, **_HALFCHEETAH, **{
        'train_eval.num_iterations': 2000000,
        'train_eval.eval_interval': 10000})),
    'td3_pendulum.gin': ('td3_agent', dict(_TD3_EXAMPLE, **_PENDULUM)),
    'ddpg_halfcheetah.gin': ('ddpg_agent', dict(
        _DDPG_EXAMPLE, **_HALFCHEETAH, **{
            'train_eval.num_iterations': 2000000,
            'train_eval.eval_interval': 10000})),
    'ddpg_pendulum.gin': ('ddpg_agent', dict(_DDPG_EXAMPLE, **_PENDULUM)),
}


class ShippedConfigsTest(test_case.TestCase, parameterized.TestCase):

  def test_the_experiments_ship(self):
    self.assertContainsSubset(
        ['sac_minitaur.gin', 'sac_pendulum.gin', 'dqn_cartpole.gin',
         'ddqn_cartpole.gin', 'ddqn_cartpole_stable.gin', 'c51_cartpole.gin',
         'sac_halfcheetah.gin', 'td3_pendulum.gin', 'td3_halfcheetah.gin',
         'ddpg_pendulum.gin', 'ddpg_halfcheetah.gin', 'reinforce_cartpole.gin',
         'ppo_invertedpendulum.gin', 'ppo_halfcheetah.gin'], SHIPPED)

  @parameterized.parameters(*sorted(SOURCE_VALUES))
  def test_values_are_their_sources(self, name):
    gin_config.parse([name], [])
    agent, values = SOURCE_VALUES[name]
    self.assertEqual(gin.query_parameter('train_eval.agent_fn').selector,
                     f'train_eval.{agent}')
    for parameter, value in values.items():
      self.assertEqual(gin.query_parameter(parameter), value, parameter)

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
