"""`learning.Trainer` talks to triggers through flush, close and report_evaluation,
whoever wrote them: here a trigger that is not ours, on a real agent and Reverb."""

from absl.testing import absltest
import reverb
from tf_agents.environments import suite_gym

from tests import agents
from tests import test_case
from train_eval import collection
from train_eval import experience_writer
from train_eval import learning
from train_eval import replay


class ForeignTrigger:
  """A trigger from someone else's code: no base class of ours."""

  def __init__(self, train_step):
    self.train_step = train_step
    self.calls = []

  def __call__(self, step=None, force_trigger=False):
    self.calls.append(('call', force_trigger))

  def flush(self):
    self.calls.append(('flush', int(self.train_step.numpy())))

  def close(self):
    self.calls.append(('close',))

  def report_evaluation(self, step, results):
    self.calls.append(('report_evaluation', step, dict(results)))


class OnlyCalled:
  """A trigger with none of the optional methods."""

  def __init__(self):
    self.count = 0

  def __call__(self, step=None, force_trigger=False):
    self.count += 1


class TrainerTest(test_case.TestCase):

  def test_a_trigger_that_is_not_ours_is_flushed_told_and_closed(self):
    agent, train_step = agents.make_agent('sac')
    settings = replay.ReplaySettings(capacity=1000, batch_size=8)
    server = replay.start_server([replay.experience_table(settings)])
    self.addCleanup(server.stop)
    address = f'{replay.LOCALHOST}:{server.port}'
    client = reverb.Client(address)
    env = suite_gym.load(agents.ENV_NAMES['sac'])
    self.addCleanup(env.close)
    writer = experience_writer.ExperienceWriter(client, steps=2)
    collection.collect_randomly(env, writer, train_step, 32)
    writer.flush()

    built = {}

    def foreign(train_step):
      built['foreign'] = ForeignTrigger(train_step)
      return built['foreign']

    def plain():
      built['plain'] = OnlyCalled()
      return built['plain']

    foreign.__name__ = 'ForeignTrigger'
    plain.__name__ = 'OnlyCalled'
    trainer = learning.Trainer(
        self.create_tempdir().full_path, agent, train_step,
        lambda: replay.dataset(agent.collect_data_spec, settings, address,
                               over_grpc=False, steps=2),
        [foreign, plain], client, {})
    trigger = built['foreign']
    self.assertIsNotNone(trainer.train())
    self.assertEqual(trigger.calls, [('call', False)])

    self.assertEqual(trainer.save_now(checkpoint_replay=False), 1)
    self.assertEqual(trigger.calls[1:], [('call', True), ('flush', 1)])

    trainer.report_evaluation(1, {'AverageReturn': -3.5})
    self.assertEqual(trigger.calls[-1],
                     ('report_evaluation', 1, {'AverageReturn': -3.5}))

    trainer.close()
    trainer.close()  # Once only.
    self.assertEqual(trigger.calls.count(('close',)), 1)
    self.assertEqual(built['plain'].count, 2)  # The train step and save_now.


if __name__ == '__main__':
  absltest.main()
