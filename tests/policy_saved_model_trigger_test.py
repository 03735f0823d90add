"""PolicySavedModelTrigger against tf_agents' own trigger and loaders."""

import hashlib
import os
import threading
from unittest import mock

from absl.testing import absltest
from absl.testing import parameterized
import gin
import numpy as np
import tensorflow as tf
from tf_agents.policies import greedy_policy
from tf_agents.policies import policy_loader
from tf_agents.policies import py_tf_eager_policy
from tf_agents.train import triggers as tfa_triggers

import triggers
from tests import agents
from tests import test_case

POLICY_DIRS = ('policy', 'greedy_policy', 'collect_policy')


@gin.configurable('configured', module='gin_hash_test')
def configured(value=0):
  """A configurable whose binding the gin hash test changes."""
  return value


def tree(root: str):
  """Relative paths of every file and directory under `root`."""
  paths = set()
  for dirpath, dirnames, filenames in os.walk(root):
    for name in dirnames + filenames:
      paths.add(os.path.relpath(os.path.join(dirpath, name), root))
  return paths


def without_manifests(paths):
  """`paths` less our one addition to each checkpoint: its manifest.json."""
  manifests = {p for p in paths if os.path.basename(p) == 'manifest.json'}
  checkpoints = {p for p in paths
                 if os.path.basename(p).startswith('policy_checkpoint_')}
  assert {os.path.dirname(p) for p in manifests} == checkpoints, paths
  return paths - manifests


def variable_values(variables):
  """name -> value of each variable, for comparing a loaded policy to a live one."""
  return {v.name: v.numpy() for v in variables}


class DirectoryTreeTest(test_case.TestCase, parameterized.TestCase):
  """Ours and tf_agents' trigger, on one agent, write the same names."""

  @parameterized.named_parameters(('sac_pendulum', 'sac'),
                                  ('dqn_cartpole', 'dqn'))
  def test_same_tree_as_tf_agents(self, kind):
    agent, train_step = agents.make_agent(kind)
    ours_dir = self.create_tempdir('ours').full_path
    theirs_dir = self.create_tempdir('theirs').full_path
    ours = triggers.PolicySavedModelTrigger(ours_dir, agent, train_step,
                                            interval=3)
    theirs = tfa_triggers.PolicySavedModelTrigger(theirs_dir, agent,
                                                  train_step, interval=3)
    for step in range(1, 11):
      agents.perturb(agent, train_step, seed=step)
      ours(step)
      theirs(step)
    ours(10, force_trigger=True)
    theirs(10, force_trigger=True)
    self.assertEqual(without_manifests(tree(ours_dir)), tree(theirs_dir))
    self.assertEqual(
        sorted(os.listdir(os.path.join(ours_dir, 'checkpoints'))),
        ['policy_checkpoint_%010d' % s for s in (3, 6, 9, 10)])

  @parameterized.named_parameters(
      ('no_greedy', dict(save_greedy_policy=False)),
      ('no_collect', dict(save_collect_policy=False)),
      ('batch_size', dict(batch_size=4)),
  )
  def test_same_tree_as_tf_agents_with_options(self, kwargs):
    agent, train_step = agents.make_agent('dqn')
    ours_dir = self.create_tempdir('ours').full_path
    theirs_dir = self.create_tempdir('theirs').full_path
    ours = triggers.PolicySavedModelTrigger(ours_dir, agent, train_step, 1,
                                            **kwargs)
    theirs = tfa_triggers.PolicySavedModelTrigger(theirs_dir, agent,
                                                  train_step, 1, **kwargs)
    train_step.assign(1)
    ours(1)
    theirs(1)
    self.assertEqual(without_manifests(tree(ours_dir)), tree(theirs_dir))


class RoundTripTest(test_case.TestCase, parameterized.TestCase):
  """Checkpoints load with tf_agents' loaders and hold the values at their step."""

  @parameterized.named_parameters(
      ('sac_sync', 'sac', False), ('sac_async', 'sac', True),
      ('dqn_sync', 'dqn', False), ('dqn_async', 'dqn', True))
  def test_checkpoints_load_and_act_like_the_live_agent(self, kind,
                                                        async_saving):
    agent, train_step = agents.make_agent(kind)
    saved_model_dir = self.create_tempdir().full_path
    metric = agents.ConstantMetric()
    trigger = triggers.PolicySavedModelTrigger(
        saved_model_dir, agent, train_step, interval=2,
        async_saving=async_saving, metadata_metrics={'Constant': metric})
    live_greedy = (agent.policy if isinstance(
        agent.policy, greedy_policy.GreedyPolicy) else
                   greedy_policy.GreedyPolicy(agent.policy))
    time_steps = agents.observations(agent)
    expected = {}
    for step in range(1, 7):
      agents.perturb(agent, train_step, seed=step)
      metric.value = np.float32(step * 1.5)
      trigger(step)
      if step % 2 == 0:
        expected[step] = dict(
            greedy=live_greedy.action(time_steps).action.numpy(),
            variables=variable_values(agent.policy.variables()),
            metric=np.float32(step * 1.5))
    trigger.close()
    written = triggers.list_checkpoints(saved_model_dir)
    if async_saving:
      # A slow writer may replace a waiting step by a newer one; the newest
      # is always written.
      self.assertEqual(written[-1], 6)
      self.assertContainsSubset(written, [2, 4, 6])
    else:
      self.assertEqual(written, [2, 4, 6])

    for step in written:
      want = expected[step]
      checkpoint = triggers.checkpoint_path(saved_model_dir, step)
      for name in POLICY_DIRS:
        with self.subTest(step=step, policy=name):
          path = os.path.join(saved_model_dir, name)
          loaded = policy_loader.load(path, checkpoint)
          self._assert_policy_matches(loaded, want, step, time_steps)
          # The other documented way: SavedModel, then update_from_checkpoint.
          eager = py_tf_eager_policy.SavedModelPyTFEagerPolicy(
              path, load_specs_from_pbtxt=True)
          eager.update_from_checkpoint(checkpoint)
          self._assert_policy_matches(eager, want, step, time_steps)

  def _assert_policy_matches(self, loaded, want, step, time_steps):
    self.assertEqual(loaded.get_train_step(), step)
    self.assertEqual(loaded.get_metadata(), {'Constant': want['metric']})
    loaded_values = variable_values(loaded.variables())
    self.assertNotEmpty(loaded_values)
    for name, value in loaded_values.items():
      self.assertAllClose(value, want['variables'][name], msg=name)
    # Greedy action: the mode of the saved distribution. EpsilonGreedy
    # (DQN's collect policy) has none; its variables were compared above.
    try:
      distribution = loaded._policy.distribution(time_steps, ())  # pylint: disable=protected-access
    except tf.errors.InvalidArgumentError:
      return
    mode = distribution.action.mode()
    self.assertAllClose(mode, want['greedy'], atol=1e-5)

  def test_metadata_and_train_step_through_saved_policy(self):
    agent, train_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    metric = agents.ConstantMetric(dtype=np.int64)
    trigger = triggers.PolicySavedModelTrigger(
        saved_model_dir, agent, train_step, interval=5,
        metadata_metrics={'EnvSteps': metric})
    metric.value = np.int64(1234)
    train_step.assign(5)
    trigger(5)
    loaded = policy_loader.load(
        os.path.join(saved_model_dir, 'policy'),
        triggers.checkpoint_path(saved_model_dir, 5))
    self.assertEqual(loaded.get_metadata(), {'EnvSteps': 1234})
    self.assertEqual(loaded.get_train_step(), 5)


class GinConfigHashTest(test_case.TestCase):

  def test_hash_follows_the_operative_config_computed_by_the_caller(self):
    agent, train_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    trigger = triggers.PolicySavedModelTrigger(
        saved_model_dir, agent, train_step, interval=1, async_saving=True)
    real_operative_config_str = gin.operative_config_str
    callers = []

    def operative_config_str():
      callers.append(threading.get_ident())
      return real_operative_config_str()

    def expected():
      return hashlib.sha256(real_operative_config_str().encode()).hexdigest()

    def save(step):
      train_step.assign(step)
      trigger(step)
      trigger.flush()
      return triggers.read_manifest(saved_model_dir, step)['gin_config_sha256']

    with mock.patch.object(gin, 'operative_config_str', operative_config_str):
      gin.bind_parameter('gin_hash_test.configured.value', 1)
      configured()
      first = save(1)
      self.assertEqual(first, expected())
      self.assertEqual(save(2), first)
      self.assertLen(callers, 1, 'unchanged config formatted again')
      gin.bind_parameter('gin_hash_test.configured.value', 2)
      self.assertEqual(save(3), first, 'a binding not yet used is not operative')
      configured()
      changed = save(4)
      self.assertNotEqual(changed, first)
      self.assertEqual(changed, expected())
      gin.clear_config()
      self.assertIsNone(save(5))
    trigger.close()
    self.assertLen(callers, 3)
    self.assertEqual(set(callers), {threading.get_ident()})


class ConstructionTest(test_case.TestCase):

  def test_extra_concrete_functions_in_every_saved_model(self):
    agent, train_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path

    @tf.function(input_signature=[tf.TensorSpec((), tf.float32)])
    def double(x):
      return 2.0 * x

    triggers.PolicySavedModelTrigger(
        saved_model_dir, agent, train_step, 10,
        extra_concrete_functions=[('double', double)])
    for name in POLICY_DIRS:
      loaded = tf.saved_model.load(os.path.join(saved_model_dir, name))
      self.assertEqual(float(loaded.double(tf.constant(3.0))), 6.0)

  def test_agent_with_greedy_policy_saves_its_wrapped_policy(self):
    # DqnAgent.policy is already a GreedyPolicy; tf_agents saves the wrapped
    # QPolicy as `policy/` and the agent's policy as `greedy_policy/`.
    agent, train_step = agents.make_agent('dqn')
    self.assertIsInstance(agent.policy, greedy_policy.GreedyPolicy)
    saved_model_dir = self.create_tempdir().full_path
    triggers.PolicySavedModelTrigger(saved_model_dir, agent, train_step, 10)
    time_steps = agents.observations(agent)
    raw = tf.saved_model.load(os.path.join(saved_model_dir, 'policy'))
    greedy = tf.saved_model.load(os.path.join(saved_model_dir,
                                              'greedy_policy'))
    self.assertEqual(
        type(raw.distribution(time_steps, ()).action).__name__, 'Categorical')
    self.assertAllEqual(greedy.action(time_steps, ()).action,
                        agent.policy.action(time_steps).action)

  def test_existing_saved_models_are_reused_not_rewritten(self):
    agent, train_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    triggers.PolicySavedModelTrigger(saved_model_dir, agent, train_step, 10)
    pb = os.path.join(saved_model_dir, 'policy', 'saved_model.pb')
    before = os.stat(pb).st_mtime_ns
    triggers.PolicySavedModelTrigger(saved_model_dir, agent, train_step, 10)
    self.assertEqual(os.stat(pb).st_mtime_ns, before)

  def test_policies_of_another_agent_are_an_error_and_kept(self):
    sac, sac_step = agents.make_agent('sac')
    dqn, dqn_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    triggers.PolicySavedModelTrigger(saved_model_dir, sac, sac_step, 10)
    before = tree(saved_model_dir)
    with self.assertRaisesRegex(triggers.SpecMismatchError,
                                '(?s)other specs.*on disk:.*this agent:.*new saved_model_dir'):
      triggers.PolicySavedModelTrigger(saved_model_dir, dqn, dqn_step, 10)
    self.assertEqual(tree(saved_model_dir), before)

  def test_unfinished_saves_are_removed_at_construction(self):
    agent, train_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    leftovers = [
        os.path.join(saved_model_dir, '.policy.tmp-0123'),
        os.path.join(saved_model_dir, 'checkpoints',
                     '.policy_checkpoint_0000000005.tmp-abcd'),
    ]
    for path in leftovers:
      os.makedirs(os.path.join(path, 'variables'))
    triggers.PolicySavedModelTrigger(saved_model_dir, agent, train_step, 10)
    for path in leftovers:
      self.assertFalse(os.path.exists(path), path)
    self.assertTrue(os.path.exists(
        os.path.join(saved_model_dir, 'policy', 'policy_specs.pbtxt')))

  def test_existing_checkpoint_is_not_overwritten(self):
    agent, train_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    trigger = triggers.PolicySavedModelTrigger(saved_model_dir, agent,
                                               train_step, 1)
    train_step.assign(1)
    trigger(1)
    index = os.path.join(triggers.checkpoint_path(saved_model_dir, 1),
                         'variables', 'variables.index')
    before = open(index, 'rb').read()
    agents.perturb(agent, train_step, steps=0)
    trigger.reset()
    trigger(1)
    self.assertEqual(open(index, 'rb').read(), before)
    self.assertEqual(trigger.writer.already_present, 1)


class ArgumentsTest(test_case.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.agent, self.train_step = agents.make_agent('dqn')
    self.dir = self.create_tempdir().full_path

  def build(self, **overrides):
    kwargs = dict(saved_model_dir=self.dir, agent=self.agent,
                  train_step=self.train_step, interval=5)
    kwargs.update(overrides)
    return triggers.PolicySavedModelTrigger(**kwargs)

  @parameterized.named_parameters(
      ('bool_interval', dict(interval=True), TypeError, 'interval must be an integer'),
      ('float_interval', dict(interval=5.5), TypeError, 'interval must be an integer'),
      ('bool_start', dict(start=True), TypeError, 'start must be an integer'),
      ('agent_not_tf_agent', dict(agent='sac'), TypeError, 'agent must be a tf_agents.agents.TFAgent'),
      ('train_step_int', dict(train_step=3), TypeError, 'train_step must be a scalar integer tf.Variable'),
      ('train_step_float', dict(train_step=tf.Variable(0.0)), TypeError, 'train_step must be.*dtype float32'),
      ('train_step_vector', dict(train_step=tf.Variable([0, 1], dtype=tf.int64)), ValueError, 'train_step must be.*shape'),
  )
  def test_bad_argument_names_it(self, overrides, error, message):
    with self.assertRaisesRegex(error, message):
      self.build(**overrides)
    self.assertEmpty(os.listdir(self.dir), 'nothing is written on bad input')

  def test_saved_model_dir_that_cannot_be_created(self):
    blocker = os.path.join(self.dir, 'a_file')
    with open(blocker, 'w') as f:
      f.write('not a directory')
    with self.assertRaisesRegex(ValueError,
                                'saved_model_dir .*a_file/policies.*cannot be created'):
      self.build(saved_model_dir=os.path.join(blocker, 'policies'))


if __name__ == '__main__':
  absltest.main()
