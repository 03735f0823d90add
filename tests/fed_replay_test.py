"""The learner's table in separate jobs, fed through the replay job's queue of new items."""

import threading

from absl.testing import absltest
import numpy as np
import reverb
import tensorflow as tf

from tests import graph_replay_test
from tests import test_case
from train_eval import collection
from train_eval import experience_writer
from train_eval import fed_replay
from train_eval import graph_replay
from train_eval import replay

SETTINGS = replay.ReplaySettings(capacity=1000, batch_size=8,
                                 sequence_length=2, rate_limit_slack_steps=4)
# Long enough for an item that was written to arrive on a busy machine.
TIMEOUT_MS = 3000


class FedReplayTest(test_case.TestCase):

  def setUp(self):
    super().setUp()
    tf.keras.utils.set_random_seed(0)
    self.env, self.spec = graph_replay_test.cartpole(self)

  def serve(self, settings=SETTINGS):
    """The replay job's off-policy tables; returns a client."""
    server = replay.start_server([replay.experience_table(settings),
                                  replay.new_items_table(settings)])
    self.addCleanup(server.stop)
    return reverb.Client(f'localhost:{server.port}')

  def fed(self, client, initial, timeout_ms=TIMEOUT_MS, settings=SETTINGS):
    return fed_replay.FedReplay(self.spec, settings, client.server_address,
                                initial_collect_steps=initial,
                                collect_steps_per_iteration=1,
                                timeout_ms=timeout_ms)

  def numbered_steps(self, writer, first, count):
    """`count` mid-episode steps into `writer`, observations first, first+1, ..."""
    for number in range(first, first + count):
      writer(tf.nest.map_structure(
          lambda s, n=number: np.full(s.shape, n if s.dtype.is_floating else 1,
                                      s.dtype.as_numpy_dtype), self.spec))

  def test_the_learner_takes_each_collected_item_once_in_order(self):
    client = self.serve()
    writer = experience_writer.ExperienceWriter(
        client, 2, replay.experience_tables(SETTINGS))
    reference = graph_replay.GraphReplay(self.spec, SETTINGS)
    reference_writer = reference.writer()

    def both(trajectory):
      writer(trajectory)
      reference_writer(trajectory)

    # The queue holds 4 items: collection waits for the learner.
    collector = threading.Thread(target=lambda: (collection.collect_randomly(
        self.env, both, tf.Variable(0, tf.int64), 60), writer.flush()))
    collector.start()
    fed = self.fed(client, initial=10)
    self.assertTrue(fed.take_items_for_next_step())
    # 11 needed, taken 4 at a time (rate_limit_slack_steps).
    self.assertEqual((fed.items_received, fed.table.size), (12, 12))
    while fed.items_received < 40:
      self.assertTrue(fed.take_items_for_next_step())
      needed = 10 + fed.steps_started  # By the step just allowed.
      self.assertBetween(fed.items_received - needed, 0, 3)
      self.assertEqual(fed.items_needed(), needed + 1)
    fed.timeout_ms = 300
    while fed.take_items_for_next_step():
      pass  # The rest, until none comes.
    collector.join()
    reference.settle()

    written = writer.items_written
    self.assertEqual(fed.items_received, written)
    self.assertEqual(replay.table_size(client), written,
                     'the experience table keeps every item')
    self.assertEqual(replay.table_size(client, replay.NEW_ITEMS_TABLE), 0)
    for got, want in zip(tf.nest.flatten(fed.table._items),
                         tf.nest.flatten(reference._items)):
      self.assertAllEqual(got.numpy()[:written], want.numpy()[:written])

  def test_collection_waits_while_the_queue_is_full(self):
    client = self.serve()
    writer = experience_writer.ExperienceWriter(
        client, 2, replay.experience_tables(SETTINGS))
    self.numbered_steps(writer, 0, 11)  # 10 items.
    self.assertFalse(writer.flush(timeout_ms=500),
                     'the queue holds 4 items and the learner took none')
    self.assertEqual(replay.table_size(client, replay.NEW_ITEMS_TABLE), 4)
    fed = self.fed(client, initial=5)
    self.assertTrue(fed.take_items_for_next_step())  # Needs 6, takes 8.
    self.assertEqual(fed.items_received, 8)
    self.assertTrue(writer.flush(timeout_ms=TIMEOUT_MS),
                    'room for the last 2 once the learner took 8')
    observations = fed.table._items.observation.numpy()[:6, :, 0]
    self.assertAllEqual(observations, [[i, i + 1] for i in range(6)])

  def test_no_item_in_time_is_false_and_keeps_what_came(self):
    client = self.serve()
    writer = experience_writer.ExperienceWriter(
        client, 2, replay.experience_tables(SETTINGS))
    fed = self.fed(client, initial=4, timeout_ms=300)
    self.numbered_steps(writer, 0, 4)  # 3 items.
    writer.flush()
    self.assertFalse(fed.take_items_for_next_step())
    self.assertEqual((fed.items_received, fed.table.size), (3, 3))
    self.assertEqual(fed.steps_started, 0)
    self.numbered_steps(writer, 4, 2)  # 2 more: a chunk of 4 times out with 2.
    writer.flush()
    self.assertTrue(fed.take_items_for_next_step())
    self.assertEqual((fed.items_received, fed.table.size), (5, 5))
    self.assertEqual(fed.items_needed(), 6)

  def test_a_restarted_learner_refills_from_the_experience_table(self):
    client = self.serve()
    writer = experience_writer.ExperienceWriter(client, 2)  # Not the queue.
    self.numbered_steps(writer, 0, 31)  # 30 items, observations 0-30.
    writer.flush()
    settings = replay.ReplaySettings(capacity=20, batch_size=8,
                                     sequence_length=2,
                                     rate_limit_slack_steps=4)
    fed = self.fed(client, initial=25, settings=settings)
    self.assertEqual(fed.refill(client), 20)
    self.assertEqual(fed.table.size, 20)
    firsts = fed.table._items.observation.numpy()[:, :, 0]
    for first, second in firsts:
      self.assertIn(first, range(30))
      self.assertEqual(second, first + 1, 'whole items, as written')
    self.assertEqual(fed.items_needed(), 5 + 1,
                     'the initial steps the refill lacks, then one per step')


if __name__ == '__main__':
  absltest.main()
