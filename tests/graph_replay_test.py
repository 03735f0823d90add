"""The in-graph table against Reverb's: the same items, FIFO, uniform, sampled in the train step."""

import collections

from absl.testing import absltest
import numpy as np
import reverb
import tensorflow as tf
from tf_agents.environments import suite_gym
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import trajectory as trajectory_lib

from tests import agents
from tests import test_case
from train_eval import collection
from train_eval import experience_writer
from train_eval import graph_replay
from train_eval import learning
from train_eval import replay

QUEUE = 'everything_in_order'


def item_key(item):
  """An item (a nest of arrays) as something hashable."""
  return tuple(np.asarray(x).tobytes() for x in tf.nest.flatten(item))


def sample_keys(table, batches):
  keys = set()
  for _ in range(batches):
    batch, _ = next(table)
    flat = [x.numpy() for x in tf.nest.flatten(batch)]
    for i in range(len(flat[0])):
      keys.add(tuple(x[i].tobytes() for x in flat))
  return keys


def numbered_items(spec, first, count, steps):
  """`count` items whose every value is its number, from `first` on."""
  return tf.nest.map_structure(
      lambda s: np.broadcast_to(
          np.arange(first, first + count).reshape(
              [count] + [1] * (1 + s.shape.rank)),
          [count, steps] + s.shape.as_list()).astype(s.dtype.as_numpy_dtype),
      spec)


def cartpole(test):
  """CartPole-v1 (closed when `test` ends) and the spec of one step of experience."""
  env = suite_gym.load('CartPole-v1')
  test.addCleanup(env.close)
  return env, tensor_spec.from_spec(trajectory_lib.Trajectory(
      step_type=env.time_step_spec().step_type,
      observation=env.observation_spec(), action=env.action_spec(),
      policy_info=(), next_step_type=env.time_step_spec().step_type,
      reward=env.time_step_spec().reward,
      discount=env.time_step_spec().discount))


class GraphReplayTest(test_case.TestCase):

  def setUp(self):
    super().setUp()
    tf.random.set_seed(0)
    self.env, self.spec = cartpole(self)

  def test_items_are_those_reverb_stores(self):
    steps, env_steps = 3, 80  # Random CartPole episodes end every ~20 steps.
    settings = replay.ReplaySettings(capacity=1000, batch_size=64,
                                     sequence_length=steps)
    table = graph_replay.GraphReplay(self.spec, settings)
    server = reverb.Server([reverb.Table.queue(QUEUE, 1000)])
    self.addCleanup(server.stop)
    client = reverb.Client(f'localhost:{server.port}')
    reverb_writer = experience_writer.ExperienceWriter(client, steps, QUEUE)
    graph_writer = table.writer()

    def both(trajectory):
      reverb_writer(trajectory)
      graph_writer(trajectory)

    collection.collect_randomly(self.env, both, tf.Variable(0, tf.int64),
                                env_steps)
    reverb_writer.flush()
    stored = replay.table_size(client, QUEUE)
    self.assertEqual(graph_writer.items_written, stored)
    self.assertEqual(table.size, 0)  # Staged until the table settles.
    table.settle()
    self.assertEqual(table.size, stored)
    self.assertLess(stored, env_steps - (steps - 1))  # Episodes ended.
    expected = set()
    for sample in reverb.TrajectoryDataset(
        client.server_address, QUEUE,
        dtypes=tf.nest.map_structure(lambda s: s.dtype, self.spec),
        shapes=tf.nest.map_structure(
            lambda s: tf.TensorShape([steps]).concatenate(s.shape), self.spec),
        max_in_flight_samples_per_worker=1, max_samples=stored):
      expected.add(item_key(sample.data))
    self.assertLen(expected, stored)
    self.assertEqual(sample_keys(table, 60), expected)

  def test_fifo_at_capacity_seen_by_a_graph_traced_before(self):
    settings = replay.ReplaySettings(capacity=10, batch_size=64,
                                     sequence_length=2)
    table = graph_replay.GraphReplay(self.spec, settings)
    sample = tf.function(lambda: next(table)[0].observation[:, 0, 0])
    table.insert(numbered_items(self.spec, 0, 4, 2))
    self.assertEqual(set(sample().numpy().tolist()), {0, 1, 2, 3})
    table.insert(numbered_items(self.spec, 4, 21, 2))  # 25 in all.
    self.assertEqual(table.size, 10)
    seen = set()
    for _ in range(20):
      seen |= set(sample().numpy().tolist())
    self.assertEqual(seen, set(range(15, 25)))
    self.assertEqual(sample.experimental_get_tracing_count(), 1)
    self.assertEqual(table.items_inserted, 25)
    self.assertEqual(table.items_sampled, 21 * 64)

  def test_more_items_than_capacity_at_once_keeps_the_newest(self):
    table = graph_replay.GraphReplay(self.spec, replay.ReplaySettings(
        capacity=5, batch_size=32, sequence_length=2))
    table.insert(numbered_items(self.spec, 0, 12, 2))
    observed = {int(key) for key in next(table)[0].observation[:, 1, 3]}
    self.assertTrue(observed <= set(range(7, 12)), observed)

  def test_sampling_is_uniform(self):
    capacity, batch, batches = 10, 64, 100
    table = graph_replay.GraphReplay(self.spec, replay.ReplaySettings(
        capacity=capacity, batch_size=batch, sequence_length=2))
    table.insert(numbered_items(self.spec, 0, capacity, 2))
    counts = collections.Counter()
    for _ in range(batches):
      counts.update(next(table)[0].action[:, 0].numpy().tolist())
    mean = batch * batches / capacity
    sigma = np.sqrt(mean * (1 - 1 / capacity))
    self.assertEqual(set(counts), set(range(capacity)))
    for slot, count in counts.items():
      self.assertBetween(count, mean - 5 * sigma, mean + 5 * sigma, slot)

  def test_the_learner_trains_on_fresh_batches_in_its_graph(self):
    agent, train_step = agents.make_agent('dqn')
    table = graph_replay.GraphReplay(agent.collect_data_spec,
                                     replay.ReplaySettings(
                                         capacity=500, batch_size=16,
                                         sequence_length=2))
    collection.collect_randomly(self.env, table.writer(), train_step, 100)
    table.settle()
    trainer = learning.Trainer(self.create_tempdir().full_path, agent,
                               train_step, table.batches, [], None, {})
    self.addCleanup(trainer.close)
    before = [v.numpy() for v in agent.trainable_variables]
    losses = [trainer.train() for _ in range(3)]
    self.assertTrue(all(np.isfinite(loss) for loss in losses), losses)
    self.assertEqual(trainer.step, 3)
    self.assertEqual(table.items_sampled, 3 * 16)
    self.assertTrue(any(not np.array_equal(b, v.numpy()) for b, v in
                        zip(before, agent.trainable_variables)))


if __name__ == '__main__':
  absltest.main()
