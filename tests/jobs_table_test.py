"""The table of jobs and the invocation a launcher hands each job."""

from absl import flags
from absl.testing import absltest
from absl.testing import flagsaver

from train_eval import invocation as invocation_lib
from train_eval import main
from train_eval import threads
from train_eval.jobs import table


class JobsTableTest(absltest.TestCase):

  def test_instances_in_start_order_and_stop_groups(self):
    jobs = table.instances(2, with_eval=True)
    self.assertEqual([j.name for j in jobs],
                     ['replay', 'train', 'collect-0', 'collect-1', 'eval'])
    self.assertEqual([[j.name for j in group]
                      for group in table.stop_groups(jobs)],
                     [['collect-0', 'collect-1', 'eval'], ['train'],
                      ['replay']])
    self.assertNotIn('eval', [j.name for j in table.instances(1, False)])

  def test_every_kind_has_thread_defaults_and_a_job_flag_value(self):
    self.assertEqual(set(threads.DEFAULTS), set(table.KINDS))
    self.assertEqual(set(flags.FLAGS['job'].parser.enum_values), set(table.KINDS))

  def test_job_fields(self):
    collector = table.instances(3, False)[-1]
    self.assertEqual(
        table.job_fields(collector, 3, 'localhost:7', 7),
        {'job': 'collect', 'task': 2, 'collectors': 3,
         'replay_address': 'localhost:7', 'replay_port': None})


class InvocationTest(absltest.TestCase):

  def test_to_args_parses_back_to_the_same_invocation(self):
    sent = invocation_lib.Invocation(
        root_dir='/runs/a', gin_files=('/configs/x.gin',),
        gin_bindings=('PolicySavedModelTrigger.interval = 5',
                      'train_eval.num_iterations = 9'),
        job='collect', task=1, collectors=2, replay_address='localhost:5',
        job_threads=('train=2,1',), verbosity=1)
    with flagsaver.flagsaver():
      flags.FLAGS.unparse_flags()
      flags.FLAGS(['train_eval', *sent.to_args()])
      self.assertEqual(main.invocation(), sent)

  def test_saver_flags_become_bindings_before_gin_bindings(self):
    with flagsaver.flagsaver():
      flags.FLAGS.unparse_flags()
      flags.FLAGS(['train_eval', '--root_dir=/r', '--gin_file=a.gin',
                   '--interval=5', '--gin_bindings=train_eval.seed = 1'])
      got = main.invocation()
    self.assertEqual(got.gin_bindings, ('PolicySavedModelTrigger.interval = 5',
                                        'train_eval.seed = 1'))
    self.assertEqual(got.log_name, 'all')
    launcher = got.for_job(collectors=None)
    self.assertTrue(launcher.root_dir.startswith('/'))


if __name__ == '__main__':
  # train_eval.main requires --root_dir of the binary; this script has none.
  flags.FLAGS.set_default('root_dir', '/unused')
  absltest.main()
