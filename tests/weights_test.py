"""The collect policy's weights go from the learner to a collector via Reverb.

Each test builds a real agent with this repo's builder, exports its collect
policy as the train job does (a `PolicySaver` SavedModel, which traces it),
loads it back as a collector does, and moves the weights through a real
Reverb variables table with `Publisher.push` and `Subscriber.pull`.
"""

import functools

from absl.testing import absltest
import numpy as np
import reverb
import tensorflow as tf
from tf_agents.environments import suite_gym
from tf_agents.policies import policy_saver
from tf_agents.policies import py_tf_eager_policy

from tests import test_case
from train_eval import agents
from train_eval import replay
from train_eval import weights

ENV_NAME = 'Pendulum-v1'
OU_SCOPE = 'ornstein_uhlenbeck_noise'
PULLS = 3
STEPS_PER_PULL = 10  # The collectors' variable_update_interval.
TINY = {
    'ddpg_agent': dict(actor_fc_layers=(8,), critic_obs_fc_layers=(8,),
                       critic_joint_fc_layers=(8,)),
    'sac_agent': dict(actor_fc_layers=(8,), critic_joint_fc_layers=(8,)),
    'td3_agent': dict(actor_fc_layers=(8,), critic_obs_fc_layers=(8,),
                      critic_joint_fc_layers=(8,)),
    'ppo_agent': dict(actor_fc_layers=(8,), value_fc_layers=(8,)),
}


def names(variables):
  return [v.name for v in variables]


def values(variables):
  return [v.numpy() for v in variables]


def ou_state(variables):
  """The one Ornstein-Uhlenbeck state variable among `variables`."""
  (state,) = [v for v in variables if v.name.startswith(OU_SCOPE + '/')]
  return state


def perturb(variables, seed: int = 0):
  """Stands in for training: moves every floating-point variable."""
  rng = np.random.default_rng(seed)
  for variable in variables:
    if variable.dtype.is_floating:
      variable.assign_add(rng.normal(scale=0.1, size=variable.shape).astype(
          variable.dtype.as_numpy_dtype))


def load(export_dir: str):
  """The collect policy as a collector loads it."""
  return py_tf_eager_policy.SavedModelPyTFEagerPolicy(
      export_dir, load_specs_from_pbtxt=True)


class ServerDiesMidInsert:
  """A real client whose first insert fails as one the server's death cuts short."""

  def __init__(self, client: reverb.Client):
    self._client = client
    self.failed = 0

  def insert(self, *args, **kwargs):
    if not self.failed:
      self.failed += 1
      raise RuntimeError('Error when confirming that all items written to '
                         'table.')  # Reverb's words, seen in a kill test.
    return self._client.insert(*args, **kwargs)

  def __getattr__(self, name):
    return getattr(self._client, name)


class WeightsTest(test_case.TestCase):

  def setUp(self):
    super().setUp()
    server = replay.start_server([replay.variables_table()])
    self.addCleanup(server.stop)
    self.client = reverb.Client(f'{replay.LOCALHOST}:{server.port}')

  def assertSameValues(self, first, second):
    self.assertEqual(len(first), len(second))
    for a, b in zip(first, second):
      self.assertAllEqual(a, b)

  def learner(self, builder: str):
    """(agent, train_step, its collect policy's SavedModel directory)."""
    env = suite_gym.load(ENV_NAME)
    agent, train_step = agents.build(
        functools.partial(getattr(agents, builder), **TINY[builder]), env)
    env.close()
    export_dir = self.create_tempdir().full_path
    policy_saver.PolicySaver(agent.collect_policy, batch_size=None,
                             train_step=train_step).save(export_dir)
    return agent, train_step, export_dir

  def learner_and_collector(self, builder: str):
    """(agent, train_step, collector policy loaded from its SavedModel)."""
    agent, train_step, export_dir = self.learner(builder)
    return agent, train_step, load(export_dir)

  def test_ddpg_pull_moves_the_actor_and_leaves_the_collector_noise(self):
    agent, train_step, collector = self.learner_and_collector('ddpg_agent')
    # Both sides hold the noise state once traced (the SavedModel export).
    learner_noise = ou_state(agent.collect_policy.variables())
    collector_noise = ou_state(collector.variables())
    self.assertEqual(learner_noise.name, collector_noise.name)
    publisher = weights.Publisher(self.client, agent.collect_policy, train_step)
    subscriber = weights.Subscriber(self.client, collector)
    self.assertNotIn(learner_noise.name, names(publisher.variables))
    self.assertEqual(names(publisher.variables), names(subscriber.variables))
    self.assertEqual(names(publisher.variables),
                     names(v for v in agent.collect_policy.variables()
                           if v.trainable))

    env = suite_gym.load(ENV_NAME)
    self.addCleanup(env.close)
    time_step = env.reset()
    learner_start = learner_noise.numpy()
    noise_seen = []
    for pull in range(PULLS):
      for _ in range(STEPS_PER_PULL):
        time_step = env.step(collector.action(time_step).action)
      before_pull = collector_noise.numpy()
      perturb(agent.collect_policy.trainable_variables, seed=pull)
      train_step.assign_add(1)
      publisher.push()
      self.assertEqual(subscriber.pull(), pull + 1)
      with self.subTest(pull=pull):
        self.assertSameValues(values(subscriber.variables),
                              values(publisher.variables))
        self.assertAllEqual(collector_noise.numpy(), before_pull)
      noise_seen.append(before_pull)
    # The learner never acts: its noise stays where the export left it; the
    # collector's walks on, and each pull leaves it where it was.
    self.assertAllEqual(learner_noise.numpy(), learner_start)
    self.assertLen({float(x) for x in np.ravel(noise_seen)}, PULLS)
    self.assertNotIn(float(learner_start[0]), np.ravel(noise_seen))

  def test_ddpg_noise_with_pulls_is_the_noise_without_them(self):
    """The collector's noise walks as a collector that never pulls (one
    process): two loads of a SavedModel draw the same noise."""
    tf.random.set_seed(0)  # The export fixes its noise op's seeds.
    agent, train_step, export_dir = self.learner('ddpg_agent')
    collector, alone = load(export_dir), load(export_dir)
    publisher = weights.Publisher(self.client, agent.collect_policy, train_step)
    subscriber = weights.Subscriber(self.client, collector)
    env = suite_gym.load(ENV_NAME)
    self.addCleanup(env.close)
    time_step = env.reset()
    pulled, unpulled = [], []
    for step in range(PULLS * STEPS_PER_PULL):
      if step % STEPS_PER_PULL == 0:
        train_step.assign_add(1)
        publisher.push()
        subscriber.pull()
      collector.action(time_step)
      alone.action(time_step)
      pulled.append(ou_state(collector.variables()).numpy())
      unpulled.append(ou_state(alone.variables()).numpy())
    self.assertAllEqual(pulled, unpulled)
    self.assertLen({float(x) for x in np.ravel(pulled)}, len(pulled))

  def test_sac_td3_and_ppo_push_every_variable_of_the_collect_policy(self):
    for builder in ('sac_agent', 'td3_agent', 'ppo_agent'):
      with self.subTest(builder=builder):
        agent, train_step, collector = self.learner_and_collector(builder)
        publisher = weights.Publisher(self.client, agent.collect_policy,
                                      train_step)
        subscriber = weights.Subscriber(self.client, collector)
        self.assertEqual(names(publisher.variables),
                         names(agent.collect_policy.variables()))
        self.assertEqual(names(subscriber.variables),
                         names(collector.variables()))
        perturb(publisher.variables)
        train_step.assign_add(1)
        publisher.push()
        subscriber.pull()
        self.assertSameValues(values(subscriber.variables),
                              values(publisher.variables))
        if builder == 'ppo_agent':  # Its observation normaliser travels too.
          self.assertContainsSubset(
              ['avg_0:0', 'count_0:0', 'm2_0:0'],
              names(v for v in publisher.variables if not v.trainable))

  def test_a_push_cut_short_by_the_servers_death_is_made_again(self):
    agent, train_step, collector = self.learner_and_collector('sac_agent')
    dying = ServerDiesMidInsert(self.client)
    publisher = weights.Publisher(dying, agent.collect_policy, train_step)
    train_step.assign(7)
    with self.assertLogs('absl', level='WARNING') as logs:
      self.assertEqual(publisher.push(), 7)
    self.assertEqual(dying.failed, 1)
    self.assertIn('Pushing the weights of train step 7 failed',
                  '\n'.join(logs.output))
    self.assertEqual(weights.Subscriber(self.client, collector).pull(), 7)

  def test_weights_of_another_agent_are_refused(self):
    sac, sac_step, _ = self.learner_and_collector('sac_agent')
    _, _, ddpg_collector = self.learner_and_collector('ddpg_agent')
    weights.Publisher(self.client, sac.collect_policy, sac_step).push()
    subscriber = weights.Subscriber(self.client, ddpg_collector)
    with self.assertRaisesRegex(
        weights.WeightsMismatchError,
        r'\(4 arrays\) do not fit .* \(4 variables\): first difference '
        r'\(\(8, 2\), \(8, 1\)\)'):
      subscriber.pull()
    self.assertIsNone(subscriber.version)


if __name__ == '__main__':
  absltest.main()
