"""Best policy export: rules, a self-contained SavedModel, atomic replacement."""

import json
import os

from absl.testing import absltest
from absl.testing import parameterized
import tensorflow as tf

import triggers
from triggers import best_policy
from triggers import checkpoint_format
from tests import agents
from tests import test_case


class BestPolicyTriggerTest(test_case.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    self.agent, self.train_step = agents.make_agent('dqn')
    self.saved_model_dir = self.create_tempdir().full_path
    self.best_dir = os.path.join(self.saved_model_dir, 'best_policy')

  def build(self, **kwargs):
    return triggers.PolicySavedModelTrigger(
        self.saved_model_dir, self.agent, self.train_step, interval=100,
        best_metric='AverageReturn', **kwargs)

  def record(self):
    with open(os.path.join(self.best_dir, 'best.json')) as f:
      return json.load(f)

  @parameterized.named_parameters(
      ('max', 'max', [1.0, 3.0, 2.0, 3.0, 5.0], [True, True, False, False, True],
       5.0, 5),
      ('min', 'min', [4.0, 2.0, 3.0, 1.0], [True, True, False, True], 1.0, 4),
      ('nan_ignored', 'max', [float('nan'), 1.0, float('nan')],
       [False, True, False], 1.0, 2),
  )
  def test_exports_only_on_improvement(self, mode, values, exported, best,
                                       best_step):
    trigger = self.build(best_mode=mode)
    for step, value in enumerate(values, start=1):
      self.train_step.assign(step)
      self.assertEqual(
          trigger.report_evaluation(step, {'AverageReturn': value,
                                           'AverageEpisodeLength': 9.0}),
          exported[step - 1], f'step {step}')
    self.assertEqual(self.record()['value'], best)
    self.assertEqual(self.record()['step'], best_step)
    self.assertEqual(self.record()['mode'], mode)
    # Only the final directory and no leftovers.
    self.assertEqual(
        [n for n in os.listdir(self.saved_model_dir) if n.startswith('.')], [])

  def test_best_policy_is_self_contained_and_acts_like_the_live_greedy(self):
    trigger = self.build()
    time_steps = agents.observations(self.agent)
    agents.perturb(self.agent, self.train_step, steps=7, seed=1)
    trigger.report_evaluation(7, {'AverageReturn': 10.0})
    expected = self.agent.policy.action(time_steps).action.numpy()
    agents.perturb(self.agent, self.train_step, steps=1, seed=2)
    trigger.report_evaluation(8, {'AverageReturn': 9.0})  # Not better.
    loaded = tf.saved_model.load(self.best_dir)  # No checkpoint needed.
    self.assertAllEqual(loaded.action(time_steps, ()).action, expected)
    self.assertEqual(int(loaded.get_train_step()), 7)

  def test_resumed_trigger_must_beat_the_recorded_best(self):
    self.build().report_evaluation(5, {'AverageReturn': 50.0})
    trigger = self.build()
    self.assertFalse(trigger.report_evaluation(9, {'AverageReturn': 40.0}))
    self.assertEqual(self.record()['step'], 5)
    self.assertTrue(trigger.report_evaluation(9, {'AverageReturn': 60.0}))

  def test_unknown_metric_names_the_available_ones(self):
    trigger = self.build()
    with self.assertRaisesRegex(KeyError, "AverageReturn.*'Other'"):
      trigger.report_evaluation(1, {'Other': 1.0})

  def test_bad_mode(self):
    with self.assertRaisesRegex(triggers.BadArgument, 'best_mode'):
      self.build(best_mode='median')

  def test_without_best_metric_nothing_is_exported(self):
    trigger = triggers.PolicySavedModelTrigger(
        self.saved_model_dir, self.agent, self.train_step, interval=100)
    self.assertFalse(trigger.report_evaluation(1, {'AverageReturn': 1.0}))
    self.assertFalse(os.path.exists(self.best_dir))


class ReplaceDirectoryTest(test_case.TestCase):

  def test_replaces_and_leaves_nothing_behind(self):
    root = self.create_tempdir().full_path
    final = os.path.join(root, 'best_policy')
    for content in ('old', 'new'):
      temp = checkpoint_format.temp_path(final)
      os.makedirs(temp)
      open(os.path.join(temp, content), 'w').close()
      checkpoint_format.replace_directory(temp, final)
    self.assertEqual(os.listdir(final), ['new'])
    self.assertEqual(os.listdir(root), ['best_policy'])


class IntervalSecsTest(test_case.TestCase):
  """Wall-clock saving, with an injected clock (no sleeps)."""

  def test_fires_on_time_alone_and_with_steps(self):
    now = [0.0]
    fired = []
    trigger = triggers.IntervalTrigger(
        0, lambda: fired.append(current[0]), interval_secs=60,
        clock=lambda: now[0])
    current = [None]
    for step, seconds in ((1, 10), (2, 59), (3, 61), (4, 100), (5, 125),
                          (5, 300)):
      now[0], current[0] = seconds, step
      trigger(step)
    # 61 s after start, then 60 s after that; never twice at one step.
    self.assertEqual(fired, [3, 5])

  def test_steps_or_seconds_whichever_first(self):
    now = [0.0]
    fired = []
    trigger = triggers.IntervalTrigger(
        10, lambda: fired.append(now[0]), interval_secs=30,
        clock=lambda: now[0])
    for step in range(1, 41):
      now[0] = step * 2.0  # 2 s per step: 10 steps (20 s) come first.
      trigger(step)
    self.assertEqual(fired, [20.0, 40.0, 60.0, 80.0])
    slow = []
    now[0] = 100.0
    trigger = triggers.IntervalTrigger(
        10, lambda: slow.append(now[0]), interval_secs=30,
        clock=lambda: now[0])
    for step in range(1, 13):
      now[0] = 100 + step * 5.0  # 5 s per step: 30 s come first.
      trigger(step)
    self.assertEqual(slow, [130.0, 160.0])

  def test_bad_interval_secs(self):
    for value, error in ((0, triggers.BadArgument), (-1.0, ValueError),
                         ('60', TypeError)):
      with self.assertRaises(error):
        triggers.IntervalTrigger(5, lambda: None, interval_secs=value)


class ResumeTest(test_case.TestCase):

  def test_new_trigger_counts_from_the_newest_saved_step(self):
    agent, train_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    first = triggers.PolicySavedModelTrigger(saved_model_dir, agent,
                                             train_step, interval=10)
    for step in range(1, 26):
      train_step.assign(step)
      first(step)
    self.assertEqual(triggers.list_checkpoints(saved_model_dir), [10, 20])
    # A restart whose Learner checkpoint is older (step 15) than the newest
    # policy checkpoint: the Learner calls set_start(15).
    second = triggers.PolicySavedModelTrigger(saved_model_dir, agent,
                                              train_step, interval=10)
    second.set_start(15)
    for step in range(15, 31):
      train_step.assign(step)
      second(step)
    self.assertEqual(triggers.list_checkpoints(saved_model_dir), [10, 20, 30])
    self.assertEqual(second.writer.already_present, 0)

  def test_overwrite_existing_replaces_another_agents_policies(self):
    sac, sac_step = agents.make_agent('sac')
    dqn, dqn_step = agents.make_agent('dqn')
    saved_model_dir = self.create_tempdir().full_path
    sac_trigger = triggers.PolicySavedModelTrigger(saved_model_dir, sac,
                                                   sac_step, 1)
    sac_step.assign(3)
    sac_trigger(3)
    dqn_trigger = triggers.PolicySavedModelTrigger(
        saved_model_dir, dqn, dqn_step, 1, overwrite_existing=True)
    self.assertEqual(triggers.list_checkpoints(saved_model_dir), [])
    dqn_step.assign(1)
    dqn_trigger(1)
    self.assertEqual(triggers.list_checkpoints(saved_model_dir), [1])
    # Matching specs are never deleted, even with overwrite_existing.
    triggers.PolicySavedModelTrigger(saved_model_dir, dqn, dqn_step, 1,
                                     overwrite_existing=True)
    self.assertEqual(triggers.list_checkpoints(saved_model_dir), [1])


if __name__ == '__main__':
  absltest.main()
