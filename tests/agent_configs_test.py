"""Every packaged config trains end to end through the binary, and its policies load back.

Each config in configs/ runs as a user runs it (`train_eval` in a subprocess)
with bindings that shrink it to a few train steps and tiny networks, then
`policies evaluate` loads its latest checkpoint (the greedy policy) and runs
one episode: discrete actions (DQN, C51, REINFORCE) and continuous ones (SAC,
TD3, DDPG, PPO), off- and on-policy. C51,
whose replay items hold n_step_update + 1 = 3 steps, also runs as separate
jobs (`--collectors=1`), and REINFORCE with two collectors (`--collectors=2`,
one episode each per iteration). The runs go two at a time in setUpClass; each test
checks one.
"""

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

from absl.testing import absltest
from absl.testing import parameterized
import gin

import triggers
from tests import subprocesses
from tests import test_case
from tests import train_eval_test
from train_eval import agents  # pylint: disable=unused-import
from train_eval import environments  # pylint: disable=unused-import
from train_eval import experiment  # pylint: disable=unused-import
from train_eval import gin_config
from train_eval import replay  # pylint: disable=unused-import

CONFIGS = gin_config.available_configs()
SEPARATE_JOBS = 'c51_cartpole.gin --collectors=1'
ON_POLICY_SEPARATE_JOBS = 'reinforce_cartpole.gin --collectors=2'
ITERATIONS = 4
SHRINK = [
    f'train_eval.num_iterations = {ITERATIONS}',
    'train_eval.initial_collect_steps = 16', 'train_eval.eval_interval = 0',
    'train_eval.log_interval = 2', 'ReverbReplay.batch_size = 8',
    'PolicySavedModelTrigger.interval = 2',
    'StepPerSecondLogTrigger.interval = 2', 'Learner.checkpoint_interval = 4',
]
# Tiny networks, per builder.
LAYERS = {
    'sac_agent': ['sac_agent.actor_fc_layers = (8,)',
                  'sac_agent.critic_joint_fc_layers = (8,)'],
    'td3_agent': ['td3_agent.actor_fc_layers = (8,)',
                  'td3_agent.critic_obs_fc_layers = (8,)',
                  'td3_agent.critic_joint_fc_layers = (8,)'],
    'ddpg_agent': ['ddpg_agent.actor_fc_layers = (8,)',
                   'ddpg_agent.critic_obs_fc_layers = (8,)',
                   'ddpg_agent.critic_joint_fc_layers = (8,)'],
    'dqn_agent': ['dqn_agent.fc_layers = (8,)'],
    'c51_agent': ['c51_agent.fc_layers = (8,)'],
    'reinforce_agent': ['reinforce_agent.actor_fc_layers = (8,)',
                        'reinforce_agent.value_fc_layers = (8,)'],
    'ppo_agent': ['ppo_agent.actor_fc_layers = (8,)',
                  'ppo_agent.value_fc_layers = (8,)'],
}
# On-policy agents take no random steps; PPO's train step counts its
# minibatches (2 epochs of one 32-step minibatch per iteration here, so that
# the steps are 2 and 4 as for the others).
ON_POLICY = {
    'reinforce_agent': ['train_eval.initial_collect_steps = 0',
                        'train_eval.collect_episodes_per_iteration = 2'],
    'ppo_agent': ['train_eval.initial_collect_steps = 0',
                  'train_eval.collect_steps_per_iteration = 32',
                  'ppo_agent.num_epochs = 2',
                  'ppo_agent.minibatch_size = 32'],
}
EVALUATION = re.compile(r'step (\d+): AverageReturn = (-?[\d.]+), '
                        r'AverageEpisodeLength = ([\d.]+)')


def agent_of(config: str) -> str:
  """The builder a packaged config binds, e.g. 'td3_agent'."""
  gin.clear_config()
  try:
    gin_config.parse([config], [])
    return gin.query_parameter('train_eval.agent_fn').selector.split('.')[-1]
  finally:
    gin.clear_config()


class AgentConfigsTest(test_case.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.workdir = tempfile.mkdtemp()
    cls.agents = {config: agent_of(config) for config in CONFIGS}
    runs = [SEPARATE_JOBS, ON_POLICY_SEPARATE_JOBS] + CONFIGS
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
      cls.results = dict(zip(runs, pool.map(cls._train_and_evaluate, runs)))

  @classmethod
  def tearDownClass(cls):
    shutil.rmtree(cls.workdir, ignore_errors=True)
    super().tearDownClass()

  @classmethod
  def _train_and_evaluate(cls, run_name):
    config, *flags = run_name.split()
    root_dir = os.path.join(cls.workdir, run_name.replace(' ', '_'))
    run = lambda args: subprocess.run(
        args, cwd=cls.workdir, env=subprocesses.python_env(),
        capture_output=True, text=True, timeout=600)
    agent = cls.agents[config]
    trained = run(train_eval_test.command(
        root_dir, [config], SHRINK + LAYERS[agent] + ON_POLICY.get(agent, []),
        flags))
    if trained.returncode:
      return root_dir, trained, None
    evaluated = run([sys.executable, '-m', 'policies_tool.cli', 'evaluate',
                     f'--root_dir={root_dir}', '--checkpoint=latest',
                     '--episodes=1', '--seed=0'])
    return root_dir, trained, evaluated

  def test_every_config_has_a_tiny_network_binding(self):
    self.assertContainsSubset(set(self.agents.values()), set(LAYERS))

  @parameterized.parameters(*CONFIGS, SEPARATE_JOBS, ON_POLICY_SEPARATE_JOBS)
  def test_trains_saves_and_its_policy_evaluates(self, run_name):
    root_dir, trained, evaluated = self.results[run_name]
    output = trained.stdout + trained.stderr
    self.assertEqual(trained.returncode, 0, output[-3000:])
    self.assertRegex(output,
                     rf'(\[train\] )?Finished at train step {ITERATIONS}\.')
    policies = os.path.join(root_dir, 'policies')
    for saved_model in ('policy', 'greedy_policy', 'collect_policy'):
      self.assertTrue(os.path.exists(
          os.path.join(policies, saved_model, 'saved_model.pb')), saved_model)
    self.assertEqual(triggers.list_checkpoints(policies), [2, ITERATIONS])
    self.assertEqual(evaluated.returncode, 0, evaluated.stderr[-3000:])
    found = EVALUATION.search(evaluated.stdout + evaluated.stderr)
    self.assertIsNotNone(found, evaluated.stdout + evaluated.stderr)
    self.assertEqual(int(found.group(1)), ITERATIONS)
    self.assertGreater(float(found.group(3)), 0)


if __name__ == '__main__':
  absltest.main()
