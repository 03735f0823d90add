"""The agent builders' contract with the rest of train_eval, in process."""

from absl.testing import absltest
from absl.testing import parameterized
import gin
from tf_agents.environments import suite_gym
from tf_agents.policies import greedy_policy

from tests import agents as test_agents
from tests import test_case
from train_eval import agents
from train_eval import errors


class TrainSequenceLengthTest(test_case.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      ('sac', agents.sac_agent, [], 2),
      ('td3', agents.td3_agent, [], 2),
      ('ddpg', agents.ddpg_agent, [], 2),
      ('dqn_default', agents.dqn_agent, [], 2),
      ('dqn_three_steps', agents.dqn_agent, ['dqn_agent.n_step_update = 3'], 4),
      ('c51_default', agents.c51_agent, [], 3),
      ('c51_bound', agents.c51_agent, ['c51_agent.n_step_update = 1'], 2),
  )
  def test_items_hold_n_step_update_plus_one_steps(self, agent_fn, bindings,
                                                  steps):
    gin.parse_config(bindings)
    self.assertEqual(agents.train_sequence_length(agent_fn), steps)

  def test_matches_the_built_agent(self):
    gin.parse_config(['c51_agent.n_step_update = 4',
                      'c51_agent.fc_layers = (8,)'])
    env = suite_gym.load('CartPole-v1')
    self.addCleanup(env.close)
    agent, _ = agents.build(agents.c51_agent, env)
    self.assertEqual(agent.train_sequence_length,
                     agents.train_sequence_length(agents.c51_agent))

  def test_a_bad_bound_n_step_is_refused_without_building(self):
    gin.parse_config(['dqn_agent.n_step_update = 0'])
    with self.assertRaisesRegex(errors.BadValueError,
                                r'^dqn_agent\.n_step_update = 0: must be'):
      agents.train_sequence_length(agents.dqn_agent)


class EvalPolicyTest(test_case.TestCase):

  def test_greedy_is_the_mode_of_a_continuous_deterministic_actor(self):
    gin.parse_config(['td3_agent.actor_fc_layers = (8,)',
                      'td3_agent.critic_obs_fc_layers = (8,)',
                      'td3_agent.critic_joint_fc_layers = (8,)'])
    env = suite_gym.load('Pendulum-v1')
    self.addCleanup(env.close)
    agent, _ = agents.build(agents.td3_agent, env)
    greedy = agents.eval_policy(agent, 'greedy')
    self.assertIsInstance(greedy, greedy_policy.GreedyPolicy)
    self.assertIs(agents.eval_policy(agent, 'policy'), agent.policy)
    time_step = test_agents.observations(agent, batch=4)
    self.assertAllClose(greedy.action(time_step).action,
                        agent.policy.action(time_step).action)


if __name__ == '__main__':
  absltest.main()
