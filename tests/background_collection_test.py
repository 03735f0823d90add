"""Collection on a second thread: its own copy of the weights, errors re-raised."""

import threading

from absl.testing import absltest
import numpy as np
import tensorflow as tf
from tf_agents.environments import suite_gym
from tf_agents.policies import py_tf_eager_policy

from tests import agents
from tests import test_case
from train_eval import background_collection
from train_eval import collection
from train_eval import graph_replay
from train_eval import replay


class BackgroundCollectionTest(test_case.TestCase):

  def setUp(self):
    super().setUp()
    self.agent, self.train_step = agents.make_agent('dqn')
    self.twin, self.twin_step = agents.make_agent('dqn')
    self.copy = background_collection.WeightsCopy(
        self.agent, self.train_step, self.twin, self.twin_step)

  def assert_twin_has(self, values, step):
    for value, variable in zip(values,
                               background_collection.weights(self.twin)):
      self.assertAllEqual(value, variable.numpy())
    self.assertEqual(int(self.twin_step.numpy()), step)

  def test_the_copy_is_taken_when_a_run_starts_and_kept_during_it(self):
    env = suite_gym.load(agents.ENV_NAMES['dqn'])
    self.addCleanup(env.close)
    table = graph_replay.GraphReplay(
        self.agent.collect_data_spec,
        replay.ReplaySettings(capacity=100, batch_size=4))
    threads = set()

    class Recorded(collection.Collector):
      def run(self):
        threads.add(threading.current_thread().name)
        super().run()

    collector = Recorded(
        env, py_tf_eager_policy.PyTFEagerPolicy(self.twin.collect_policy),
        table.writer(), self.train_step, 3, None)
    background = background_collection.BackgroundCollector(collector,
                                                            self.copy)
    self.addCleanup(background.close)
    self.train_step.assign(7)
    before = [v.numpy() for v in background_collection.weights(self.agent)]
    self.assertNotEmpty(before)
    background.start()
    for variable in background_collection.weights(self.agent):
      variable.assign(variable + 1.0)  # A train step, while it collects.
    background.wait()
    self.assert_twin_has(before, 7)
    self.assertEqual(collector.env_steps.result(), 3)
    self.assertEqual(table.size, 0)  # Staged, not yet in the table:
    table.settle()  # they join it between train steps.
    self.assertEqual(table.size, 2)  # 3 steps of one episode: 2 items.
    self.assertEqual([name.split('_')[0] for name in threads], ['collect'])

    background.start()
    background.wait()
    self.assert_twin_has([v.numpy() for v in
                          background_collection.weights(self.agent)], 7)

  def test_an_error_on_the_thread_is_raised_by_wait(self):

    class Failing:

      def run(self):
        raise RuntimeError('the environment died')

    background = background_collection.BackgroundCollector(Failing(),
                                                            self.copy)
    background.start()
    with self.assertRaisesRegex(RuntimeError, 'the environment died'):
      background.wait()
    background.close()

  def test_a_policy_of_another_shape_is_refused(self):
    other, step = agents.make_agent('sac')
    with self.assertRaisesRegex(ValueError, 'does not match'):
      background_collection.WeightsCopy(self.agent, self.train_step, other,
                                        step)


if __name__ == '__main__':
  absltest.main()
