"""Bad values for the agent builders, through the binary: one line, exit 2, root_dir untouched.

One case per kind of value each builder checks (learning rates, layers, the
n-step return, the categorical support, noise, discount, update factors and
periods, flags, the kind of actions, a binding the builder would shadow).
Each runs `train_eval` on a packaged config, tiny, against a root_dir holding
only a note; the subprocesses run two at a time in setUpClass.
"""

import concurrent.futures
import os
import shutil
import subprocess
import tempfile

from absl.testing import absltest
from absl.testing import parameterized

from tests import subprocesses
from tests import test_case
from tests import train_eval_test

TINY = ['train_eval.num_iterations = 2', 'train_eval.initial_collect_steps = 8',
        'train_eval.eval_interval = 0', 'ReverbReplay.batch_size = 4']
ON_POLICY = ['train_eval.initial_collect_steps = 0',
             'train_eval.collect_steps_per_iteration = 16']

# name -> (config, bindings, pattern of the error line).
CASES = {
    'negative_learning_rate': (
        'td3_pendulum.gin', ['td3_agent.actor_learning_rate = -1e-3'],
        r'td3_agent\.actor_learning_rate = -0\.001: must be a number in '
        r'\(0, inf\)'),
    'zero_learning_rate': (
        'c51_cartpole.gin', ['c51_agent.learning_rate = 0'],
        r'c51_agent\.learning_rate = 0: must be a number in \(0, inf\)'),
    'empty_layers': (
        'dqn_cartpole.gin', ['dqn_agent.fc_layers = ()'],
        r'dqn_agent\.fc_layers = \(\): must be a non-empty tuple'),
    'empty_optional_layers': (
        'ddpg_pendulum.gin', ['ddpg_agent.critic_obs_fc_layers = ()'],
        r'ddpg_agent\.critic_obs_fc_layers = \(\): must be None \(no layers\) '
        r'or a non-empty tuple'),
    'zero_n_step': (
        'c51_cartpole.gin', ['c51_agent.n_step_update = 0'],
        r'c51_agent\.n_step_update = 0: must be an integer >= 1'),
    'fractional_n_step': (
        'dqn_cartpole.gin', ['dqn_agent.n_step_update = 1.5'],
        r'dqn_agent\.n_step_update = 1\.5: must be an integer >= 1'),
    'one_atom': (
        'c51_cartpole.gin', ['c51_agent.num_atoms = 1'],
        r'c51_agent\.num_atoms = 1: must be an integer >= 2'),
    'empty_support': (
        'c51_cartpole.gin', ['c51_agent.min_q_value = 20'],
        r'c51_agent\.min_q_value = 20 is not below c51_agent\.max_q_value = 20'),
    'negative_exploration_noise': (
        'td3_pendulum.gin', ['td3_agent.exploration_noise_std = -0.1'],
        r'td3_agent\.exploration_noise_std = -0\.1: must be a number in '
        r'\[0, inf\)'),
    'negative_ou_noise': (
        'ddpg_pendulum.gin', ['ddpg_agent.ou_stddev = -0.2'],
        r'ddpg_agent\.ou_stddev = -0\.2: must be a number in \[0, inf\)'),
    'ou_damping_above_one': (
        'ddpg_pendulum.gin', ['ddpg_agent.ou_damping = 1.5'],
        r'ddpg_agent\.ou_damping = 1\.5: must be a number in \[0, 1\]'),
    'gamma_above_one': (
        'ddpg_pendulum.gin', ['ddpg_agent.gamma = 1.01'],
        r'ddpg_agent\.gamma = 1\.01: must be a number in \[0, 1\]'),
    'zero_tau': (
        'td3_pendulum.gin', ['td3_agent.target_update_tau = 0'],
        r'td3_agent\.target_update_tau = 0: must be a number in \(0, 1\]'),
    'zero_period': (
        'td3_pendulum.gin', ['td3_agent.actor_update_period = 0'],
        r'td3_agent\.actor_update_period = 0: must be an integer >= 1'),
    'epsilon_above_one': (
        'dqn_cartpole.gin', ['dqn_agent.epsilon_greedy = 1.5'],
        r'dqn_agent\.epsilon_greedy = 1\.5: must be a number in \[0, 1\]'),
    'double_dqn_not_a_bool': (
        'dqn_cartpole.gin', ["dqn_agent.double_dqn = 'yes'"],
        r"dqn_agent\.double_dqn = 'yes': must be True or False"),
    'discrete_agent_continuous_env': (
        'dqn_cartpole.gin', ["load_environment.env_name = 'Pendulum-v1'"],
        r'@train_eval\.dqn_agent needs discrete actions, but the environment '
        r'.* has continuous ones'),
    'continuous_agent_discrete_env': (
        'td3_pendulum.gin', ["load_environment.env_name = 'CartPole-v1'"],
        r'@train_eval\.td3_agent needs continuous actions, but the environment '
        r'.* has discrete ones'),
    'shadowed_td3_binding': (
        'td3_pendulum.gin', ['Td3Agent.gamma = 0.9'],
        r'Td3Agent\.gamma is bound in gin.*td3_agent'),
    # On-policy builders (their runs take no random steps: ON_POLICY).
    'empty_baseline_layers': (
        'reinforce_cartpole.gin', ON_POLICY + ['reinforce_agent.value_fc_layers = ()'],
        r'reinforce_agent\.value_fc_layers = \(\): must be None \(no layers\)'),
    'negative_entropy_weight': (
        'reinforce_cartpole.gin',
        ON_POLICY + ['reinforce_agent.entropy_regularization = -0.1'],
        r'reinforce_agent\.entropy_regularization = -0\.1: must be a number '
        r'in \[0, inf\)'),
    'zero_epochs': (
        'ppo_invertedpendulum.gin', ON_POLICY + ['ppo_agent.num_epochs = 0'],
        r'ppo_agent\.num_epochs = 0: must be an integer >= 1'),
    'zero_minibatch_size': (
        'ppo_invertedpendulum.gin', ON_POLICY + ['ppo_agent.minibatch_size = 0'],
        r'ppo_agent\.minibatch_size = 0: must be an integer >= 1'),
    'minibatch_above_the_batch': (
        'ppo_halfcheetah.gin', ON_POLICY + ['ppo_agent.minibatch_size = 32'],
        r'ppo_agent\.minibatch_size = 32 with '
        r'train_eval\.collect_steps_per_iteration = 16: an iteration must '
        r'hold at least one minibatch'),
    'decay_not_a_bool': (
        'ppo_invertedpendulum.gin',
        ON_POLICY + ["ppo_agent.learning_rate_decay = 'linear'"],
        r"ppo_agent\.learning_rate_decay = 'linear': must be True or False"),
    'ratio_clipping_above_one': (
        'ppo_invertedpendulum.gin',
        ON_POLICY + ['ppo_agent.importance_ratio_clipping = 1.5'],
        r'ppo_agent\.importance_ratio_clipping = 1\.5: must be a number in '
        r'\[0, 1\]'),
    'zero_gradient_clipping': (
        'ppo_halfcheetah.gin', ON_POLICY + ['ppo_agent.gradient_clipping = 0'],
        r'ppo_agent\.gradient_clipping = 0: must be a number in \(0, inf\)'),
    'normalize_not_a_bool': (
        'ppo_invertedpendulum.gin',
        ON_POLICY + ['ppo_agent.normalize_rewards = 1'],
        r'ppo_agent\.normalize_rewards = 1: must be True or False'),
    'ppo_discrete_env': (
        'ppo_invertedpendulum.gin',
        ON_POLICY + ["load_environment.suite = 'gym'",
                     "load_environment.env_name = 'CartPole-v1'"],
        r'@train_eval\.ppo_agent needs continuous actions, but the environment '
        r'.* has discrete ones'),
    'random_steps_on_policy': (
        'reinforce_cartpole.gin', [],
        r'train_eval\.initial_collect_steps = 8 with the on-policy '
        r'reinforce_agent: .* set it to 0'),
    'episodes_off_policy': (
        'dqn_cartpole.gin', ['train_eval.collect_episodes_per_iteration = 2'],
        r'train_eval\.collect_episodes_per_iteration = 2 is for on-policy '
        r'agents .*not dqn_agent'),
}


class AgentBadInputTest(test_case.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.workdir = tempfile.mkdtemp()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
      cls.results = dict(zip(CASES, pool.map(cls._run_case, CASES)))

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.workdir, ignore_errors=True)
    super().tearDownClass()

  @classmethod
  def _run_case(cls, name):
    config, bindings, _ = CASES[name]
    case_dir = os.path.join(cls.workdir, name)
    root_dir = os.path.join(case_dir, 'run')
    os.makedirs(root_dir)
    with open(os.path.join(root_dir, 'notes.txt'), 'w') as f:
      f.write('precious')
    before = train_eval_test.snapshot(root_dir)
    result = subprocess.run(
        train_eval_test.command(root_dir, [config], TINY + bindings),
        cwd=case_dir, env=subprocesses.python_env(), capture_output=True,
        text=True, timeout=600)
    return result, before, train_eval_test.snapshot(root_dir)

  @parameterized.named_parameters(*[(name, name) for name in CASES])
  def test_bad_value(self, name):
    result, before, after = self.results[name]
    output = result.stdout + result.stderr
    self.assertEqual(result.returncode, 2, output[-3000:])
    errors = [line for line in result.stderr.splitlines()
              if line.startswith('train_eval: error:')]
    self.assertLen(errors, 1, output[-3000:])
    self.assertEqual(result.stderr.rstrip().splitlines()[-1], errors[0],
                     'the error is one line, the last one')
    self.assertRegex(errors[0], CASES[name][-1])
    self.assertNotIn('Traceback', output)
    self.assertEqual(after, before, 'the root_dir changed')


if __name__ == '__main__':
  absltest.main()
