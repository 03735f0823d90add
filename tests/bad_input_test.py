"""Bad input through the binary: a one-line error naming the token, exit 2, nothing touched.

Every case runs `train_eval` in a subprocess against an existing root_dir (one
holding a note, or a finished run) and checks: a non-zero exit, one
'train_eval: error: ...' line that names the offending flag, binding or file,
no traceback, and a root_dir byte-identical to before. The subprocesses run
two at a time in setUpClass; each test checks one.
"""

import concurrent.futures
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time

from absl.testing import absltest
from absl.testing import parameterized
import tensorflow as tf

import triggers
from tests import subprocesses
from tests import test_case
from tests import train_eval_test

PENDULUM_RUN = 'pendulum_run'  # A finished tiny run, made once.
NOTE_ONLY = 'note_only'  # A root_dir holding only notes.txt.
# The finished run, damaged: a file named like its newest policy checkpoint,
# or its newest Learner checkpoint truncated.
FILE_AS_CHECKPOINT = 'file_as_checkpoint'
TRUNCATED_LEARNER_CHECKPOINT = 'truncated_learner_checkpoint'
# No root_dir of its own: the flag's value is given in the case's flags, and
# the working directory is what must stay untouched.
WORKING_DIR = 'working_dir'


def _gin_file(text, **others):
  """Writes experiment.gin (and `others`: name -> text); '{dir}' is their directory."""
  def make(workdir):
    for name, content in [('experiment.gin', text), *others.items()]:
      with open(os.path.join(workdir, name), 'w') as f:
        f.write(content.format(dir=workdir))
    return os.path.join(workdir, 'experiment.gin')
  return make


def _damage(kind, root_dir):
  if kind == FILE_AS_CHECKPOINT:
    with open(os.path.join(root_dir, 'policies', 'checkpoints',
                           'policy_checkpoint_0000000040'), 'w') as f:
      f.write('not a checkpoint')
  elif kind == TRUNCATED_LEARNER_CHECKPOINT:
    state = tf.train.get_checkpoint_state(
        os.path.join(root_dir, 'train', 'checkpoints'))
    data = glob.glob(state.model_checkpoint_path + '.data-*')[0]
    os.truncate(data, os.path.getsize(data) // 2)


# name -> (root_dir kind, gin files (str or maker), bindings, flags, pattern).
CASES = {
    # Gin files.
    'no_gin_file': (NOTE_ONLY, [], [], [], r'at least one --gin_file'),
    'missing_gin_file': (NOTE_ONLY, ['/nonexistent/x.gin'], [], [],
                         r'--gin_file=/nonexistent/x\.gin: no such file'),
    'unknown_packaged_config': (NOTE_ONLY, ['sac_nothing.gin'], [], [],
                                r'sac_nothing\.gin.*Packaged configs'),
    'malformed_gin_file': (
        NOTE_ONLY, [_gin_file("include 'configs/sac_pendulum.gin'\n"
                              'train_eval.num_iterations = = 3\n')], [], [],
        r'experiment\.gin line 2: malformed'),
    'unknown_parameter_in_gin_file': (
        NOTE_ONLY, [_gin_file("include 'configs/sac_pendulum.gin'\n"
                              'train_eval.num_iteratons = 3\n')], [], [],
        r'experiment\.gin line 2.*num_iteratons'),
    'missing_include': (
        NOTE_ONLY, [_gin_file("include 'configs/nowhere.gin'\n")], [], [],
        r'configs/nowhere\.gin'),
    # Bindings.
    'unknown_configurable': (NOTE_ONLY, None, ['NoSuchTrigger.interval = 5'],
                             [], r'NoSuchTrigger'),
    'unknown_parameter': (NOTE_ONLY, None, ['train_eval.num_iteration = 5'],
                          [], r"doesn't have a parameter named 'num_iteration'"),
    'malformed_binding': (NOTE_ONLY, None, ['train_eval.num_iterations = = 5'],
                          [], r'train_eval\.num_iterations = = 5.*malformed'),
    'unbalanced_brackets': (NOTE_ONLY, None,
                            ['sac_agent.actor_fc_layers = (64, 64'], [],
                            r'actor_fc_layers = \(64, 64.*malformed'),
    'unknown_reference': (NOTE_ONLY, None, ['train_eval.agent_fn = @nothing'],
                          [], r'@nothing'),
    'unbound_macro': (NOTE_ONLY, None, ['train_eval.num_iterations = %STEPS'],
                      [], r'macro %STEPS is used but never bound'),
    'shadowed_agent_binding': (NOTE_ONLY, None, ['SacAgent.gamma = 0.5'], [],
                               r'SacAgent\.gamma is bound.*sac_agent'),
    'shadowed_trigger_dir': (
        NOTE_ONLY, None, ["PolicySavedModelTrigger.saved_model_dir = '/tmp/x'"],
        [], r'PolicySavedModelTrigger\.saved_model_dir is bound'),
    'shadowed_trigger_metrics': (
        NOTE_ONLY, None, ['PolicySavedModelTrigger.metadata_metrics = {}'], [],
        r'PolicySavedModelTrigger\.metadata_metrics is bound'),
    'agent_fn_not_callable': (NOTE_ONLY, None, ['train_eval.agent_fn = 5'], [],
                              r'train_eval\.agent_fn = 5'),
    # Values out of range.
    'negative_iterations': (NOTE_ONLY, None,
                            ['train_eval.num_iterations = -5'], [],
                            r'train_eval\.num_iterations = -5: must be an '
                            r'integer >= 1'),
    'zero_eval_episodes': (NOTE_ONLY, None, ['train_eval.eval_episodes = 0'],
                           [], r'train_eval\.eval_episodes = 0'),
    'bad_eval_policy': (NOTE_ONLY, None, ["train_eval.eval_policy = 'random'"],
                        [], r"train_eval\.eval_policy = 'random'.*'greedy'"),
    'negative_seed': (NOTE_ONLY, None, ['train_eval.seed = -1'], [],
                      r'train_eval\.seed = -1'),
    'zero_batch_size': (NOTE_ONLY, None, ['ReverbReplay.batch_size = 0'], [],
                        r'ReverbReplay\.batch_size = 0'),
    'in_graph_not_a_bool': (NOTE_ONLY, None, ["ReverbReplay.in_graph = 'yes'"],
                            [], r"ReverbReplay\.in_graph = 'yes': must be "
                            r'True or False'),
    'initial_collection_over_capacity': (
        NOTE_ONLY, None, ['ReverbReplay.capacity = 10'], [],
        r'initial_collect_steps = 64 is more than ReverbReplay\.capacity = 10'),
    'unknown_environment': (NOTE_ONLY, None,
                            ["load_environment.env_name = 'NoSuchEnv-v0'"], [],
                            r"env_name = 'NoSuchEnv-v0'.*no such environment"),
    'unknown_suite': (NOTE_ONLY, None, ["load_environment.suite = 'atari'"],
                      [], r"load_environment\.suite = 'atari'"),
    'zero_layer_size': (NOTE_ONLY, None, ['sac_agent.actor_fc_layers = (0,)'],
                        [], r'sac_agent\.actor_fc_layers = \(0,\)'),
    'gamma_above_one': (NOTE_ONLY, None, ['sac_agent.gamma = 1.5'], [],
                        r'sac_agent\.gamma = 1\.5: must be a number in \[0, 1\]'),
    'negative_learning_rate': (NOTE_ONLY, None,
                               ['sac_agent.actor_learning_rate = -0.1'], [],
                               r'sac_agent\.actor_learning_rate = -0\.1'),
    # Flags.
    'interval_zero': (NOTE_ONLY, None, [], ['--interval=0'],
                      r'--interval=0: must be greater than 0'),
    'max_to_keep_zero': (NOTE_ONLY, None, [], ['--max_to_keep=0'],
                         r'--max_to_keep=0'),
    'negative_interval_secs': (NOTE_ONLY, None, [], ['--interval_secs=-1'],
                               r'--interval_secs=-1'),
    'conflicting_flag_and_binding': (
        NOTE_ONLY, None, ['PolicySavedModelTrigger.interval = 9'],
        ['--interval=7'],
        r'PolicySavedModelTrigger\.interval = 7.*PolicySavedModelTrigger'
        r'\.interval = 9'),
    'unknown_best_metric': (NOTE_ONLY, None, [], ['--best_metric=Return'],
                            r"best_metric = 'Return'.*AverageReturn"),
    'best_metric_without_evaluations': (
        NOTE_ONLY, None, ['train_eval.eval_interval = 0'],
        ['--best_metric=AverageReturn'], r'eval_interval = 0'),
    'zero_collectors': (NOTE_ONLY, None, [], ['--collectors=0'],
                        r'--collectors=0: must be >= 1'),
    'collect_job_without_collectors': (NOTE_ONLY, None, [], ['--job=collect'],
                                       r'--job=collect needs --collectors'),
    'task_out_of_range': (
        NOTE_ONLY, None, [],
        ['--job=collect', '--collectors=2', '--task=2',
         '--replay_address=localhost:1234'], r'--task=2: must be in \[0, 1\]'),
    'train_job_without_address': (NOTE_ONLY, None, [], ['--job=train'],
                                  r'--job=train needs --replay_address'),
    'malformed_replay_address': (
        NOTE_ONLY, None, [], ['--job=train', '--replay_address=nowhere'],
        r"--replay_address=HOST:PORT.*'nowhere'"),
    'malformed_job_threads': (NOTE_ONLY, None, [],
                              ['--job_threads=train=two'],
                              r'--job_threads=train=two: expected'),
    'launcher_without_collectors': (NOTE_ONLY, None, [], ['--launcher=ray'],
                                    r'--launcher .*--collectors'),
    'unknown_flag': (NOTE_ONLY, None, [], ['--no_such_flag=3'],
                     r'no_such_flag'),
    'positional_argument': (NOTE_ONLY, None, [], ['extra'],
                            r"unexpected arguments \['extra'\]"),
    # Directories and earlier runs.
    'root_dir_is_a_file': (NOTE_ONLY, None, [], [], r'is a file'),
    'empty_root_dir': (WORKING_DIR, None, [], ['--root_dir='],
                       r'--root_dir is empty'),
    'root_dir_with_a_scheme': (
        WORKING_DIR, None, [], ['--root_dir=gs://bucket/run'],
        r"--root_dir 'gs://bucket/run': paths with a scheme \(gs://\) are "
        r'not supported'),
    'gin_file_includes_itself': (
        NOTE_ONLY, [_gin_file("include '{dir}/experiment.gin'\n")], [], [],
        r'experiment\.gin: include cycle: \S+/experiment\.gin \(line 1\) -> '
        r'\S+/experiment\.gin; remove one'),
    'two_gin_files_include_each_other': (
        NOTE_ONLY, [_gin_file("include '{dir}/other.gin'\n",
                              **{'other.gin': "include '{dir}/experiment.gin'\n"})],
        [], [], r'include cycle: \S+/experiment\.gin \(line 1\) -> '
        r'\S+/other\.gin \(line 1\) -> \S+/experiment\.gin'),
    'gin_file_imports_a_missing_module': (
        NOTE_ONLY, [_gin_file("import no_such_module\n"
                              "include 'configs/sac_pendulum.gin'\n")], [], [],
        r"experiment\.gin line 1: import failed: No module named "
        r"'no_such_module'"),
    'file_named_like_a_policy_checkpoint': (
        FILE_AS_CHECKPOINT, None, [], [],
        r'policy_checkpoint_0000000040 is named like a policy checkpoint but '
        r'is a file.*Move it out'),
    'truncated_learner_checkpoint': (
        TRUNCATED_LEARNER_CHECKPOINT, None, [], [],
        r'the newest Learner checkpoint \S+/ckpt-\d+ cannot be read \(Read '
        r'less bytes than requested\)'),
    # Ports, addresses and job counts.
    'replay_port_in_use': (NOTE_ONLY, None, [],
                           ['--job=replay', '--replay_port={busy_port}'],
                           r'--replay_port=\d+: port \d+ cannot be served on '
                           r'this machine \(already in use\)'),
    'replay_address_port_out_of_range': (
        NOTE_ONLY, None, [],
        ['--job=collect', '--collectors=1', '--replay_address=localhost:99999'],
        r'--replay_address=localhost:99999: port 99999 is out of range'),
    'more_collectors_than_the_machine_runs': (
        NOTE_ONLY, None, [], ['--collectors=10000'],
        r'--collectors=10000: this machine can run at most \d+ collectors'),
    'ray_launcher_without_ray': (
        NOTE_ONLY, None, [], ['--collectors=2', '--launcher=ray'],
        r"--launcher=ray needs Ray \(No module named 'ray'\)"),
    'malformed_ray_address': (
        NOTE_ONLY, None, [],
        ['--collectors=2', '--launcher=ray', '--ray_address=nowhere'],
        r'--ray_address=nowhere: expected auto, HOST:PORT'),
    'changed_agent': (PENDULUM_RUN, None, ['sac_agent.actor_fc_layers = (8,)'],
                      [], r'holds a run of another agent: its Learner '
                      r'checkpoint train/checkpoints/ckpt-\d+ does not fit.*'
                      r'--overwrite_existing'),
    'other_environment': (PENDULUM_RUN, ['dqn_cartpole.gin'],
                          train_eval_test.TINY_DQN_BINDINGS, [],
                          r'holds a run of another agent'),
}


MOUNT_SKIP_REASON = (
    'cannot mount a tmpfs here (needs root): the read-only, full '
    'and filling filesystem cases are not run, and the README counts them '
    'only where they run')


def _can_mount() -> bool:
  target = tempfile.mkdtemp()
  try:
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', target],
                   check=True, capture_output=True)
    subprocess.run(['umount', target], check=True, capture_output=True)
    return True
  except (OSError, subprocess.CalledProcessError):
    return False
  finally:
    os.rmdir(target)


class BadInputTest(test_case.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.workdir = tempfile.mkdtemp()
    # Held while the cases run: what --replay_port finds in use.
    cls.busy_socket = socket.socket()
    cls.busy_socket.bind(('127.0.0.1', 0))
    cls.busy_socket.listen()
    # A `ray` package that cannot be imported, first on the path.
    cls.without_ray = os.path.join(cls.workdir, 'without_ray')
    os.makedirs(os.path.join(cls.without_ray, 'ray'))
    with open(os.path.join(cls.without_ray, 'ray', '__init__.py'), 'w') as f:
      f.write('raise ImportError("No module named \'ray\'")\n')
    cls.finished_run = os.path.join(cls.workdir, 'finished')
    train_eval_test.make_run(cls.finished_run, cls.workdir,
                             bindings=['train_eval.num_iterations = 20',
                                       'train_eval.eval_interval = 0',
                                       'PolicySavedModelTrigger.best_metric = None'])
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
      cls.results = dict(zip(CASES, pool.map(cls._run_case, CASES)))

  @classmethod
  def tearDownClass(cls):
    cls.busy_socket.close()
    shutil.rmtree(cls.workdir, ignore_errors=True)
    super().tearDownClass()

  @classmethod
  def _run_case(cls, name):
    kind, gin_files, bindings, flags, _ = CASES[name]
    case_dir = os.path.join(cls.workdir, name)
    os.makedirs(case_dir)
    root_dir = os.path.join(case_dir, 'run')
    flags = [f.format(busy_port=cls.busy_socket.getsockname()[1])
             for f in flags]
    env = subprocesses.python_env()
    if name == 'ray_launcher_without_ray':
      env['PYTHONPATH'] = os.pathsep.join([cls.without_ray, env['PYTHONPATH']])
    if kind in (PENDULUM_RUN, FILE_AS_CHECKPOINT, TRUNCATED_LEARNER_CHECKPOINT):
      shutil.copytree(cls.finished_run, root_dir, symlinks=True)
      _damage(kind, root_dir)
    elif kind == WORKING_DIR:
      root_dir = None
    elif name == 'root_dir_is_a_file':
      with open(root_dir, 'w') as f:
        f.write('not a directory')
      root_dir = os.path.join(root_dir, 'below')
    else:
      os.makedirs(root_dir)
      with open(os.path.join(root_dir, 'notes.txt'), 'w') as f:
        f.write('precious')
    files = ([train_eval_test.TINY_SAC] if gin_files is None else
             [f(case_dir) if callable(f) else f for f in gin_files])
    watched = (case_dir if root_dir is None else os.path.dirname(root_dir)
               if name == 'root_dir_is_a_file' else root_dir)
    before = train_eval_test.snapshot(watched)
    result = subprocess.run(
        train_eval_test.command(root_dir, files, bindings, flags), cwd=case_dir,
        env=env, capture_output=True, text=True, timeout=600)
    return result, before, train_eval_test.snapshot(watched)

  @parameterized.named_parameters(*[(name, name) for name in CASES])
  def test_bad_input(self, name):
    result, before, after = self.results[name]
    pattern = CASES[name][-1]
    output = result.stdout + result.stderr
    self.assertEqual(result.returncode, 2, output[-3000:])
    errors = [line for line in result.stderr.splitlines()
              if line.startswith('train_eval: error:')]
    self.assertLen(errors, 1, output[-3000:])
    self.assertEqual(result.stderr.rstrip().splitlines()[-1], errors[0],
                     'the error is one line, the last one')
    self.assertRegex(errors[0], pattern)
    self.assertNotIn('Traceback', output)
    self.assertEqual(after, before, 'the root_dir changed')

  def mount_tmpfs(self, size='1m'):
    mount_point = self.create_tempdir().full_path
    subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs',
                    mount_point], check=True)
    self.addCleanup(subprocess.run, ['umount', mount_point])
    return mount_point

  @absltest.skipUnless(_can_mount(), MOUNT_SKIP_REASON)
  def test_disk_filling_during_training_is_one_line_and_keeps_checkpoints(self):
    mount_point = self.mount_tmpfs('32m')
    root_dir = os.path.join(mount_point, 'run')
    child = subprocess.Popen(
        train_eval_test.command(
            root_dir, bindings=['train_eval.num_iterations = 100000',
                                'train_eval.eval_interval = 0',
                                'PolicySavedModelTrigger.best_metric = None']),
        cwd=mount_point, env=subprocesses.python_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    self.addCleanup(child.kill)
    saved_model_dir = os.path.join(root_dir, 'policies')
    while not triggers.list_checkpoints(saved_model_dir):  # The first save.
      self.assertIsNone(child.poll(), 'the run ended before its first save')
      time.sleep(0.1)
    with open(os.path.join(mount_point, 'filler'), 'wb', buffering=0) as f:
      try:
        while True:
          f.write(b'\0' * (1 << 16))
      except OSError:
        pass
    _, stderr = child.communicate(timeout=600)
    self.assertEqual(child.returncode, 2, stderr[-3000:])
    self.assertNotIn('Traceback', stderr)
    last = stderr.rstrip().splitlines()[-1]
    self.assertRegex(last, r'^train_eval: error: .*No space left on device')
    self.assertLen([l for l in stderr.splitlines()
                    if l.startswith('train_eval: error:')], 1)
    for step in triggers.list_checkpoints(saved_model_dir):
      triggers.verify_checkpoint(saved_model_dir, step)

  @absltest.skipUnless(_can_mount(), MOUNT_SKIP_REASON)
  def test_read_only_and_full_filesystems(self):
    for options, pattern in (('ro', r'Read-only file system'),
                             ('size=64k', r'No space left on device')):
      mount_point = self.mount_tmpfs()
      root_dir = os.path.join(mount_point, 'run')
      os.makedirs(root_dir)
      with open(os.path.join(root_dir, 'notes.txt'), 'w') as f:
        f.write('precious')
      if options == 'ro':
        subprocess.run(['mount', '-o', 'remount,ro', mount_point], check=True)
      else:  # Fill it.
        with open(os.path.join(mount_point, 'filler'), 'wb') as f:
          try:
            f.write(b'\0' * (2 << 20))
          except OSError:
            pass
      before = train_eval_test.snapshot(root_dir)
      result = subprocess.run(
          train_eval_test.command(root_dir), cwd=mount_point,
          env=subprocesses.python_env(), capture_output=True, text=True,
          timeout=600)
      self.assertEqual(result.returncode, 2, result.stderr[-3000:])
      self.assertRegex(result.stderr, rf'train_eval: error: --root_dir=.*{pattern}')
      self.assertNotIn('Traceback', result.stderr)
      self.assertEqual(train_eval_test.snapshot(root_dir), before)


if __name__ == '__main__':
  absltest.main()
