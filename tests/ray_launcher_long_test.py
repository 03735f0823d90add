"""The Ray launcher under faults (long): kill -9 of each job's actor process, and a
two-node cluster made on this machine losing a node mid-run (the replay job,
pinned to the launcher's node, killed there too). Both runs finish."""

import os
import re
import signal
import time

from absl.testing import absltest
import psutil
import ray
from ray import cluster_utils
from ray._private import state as ray_private_state  # pylint: disable=protected-access
import tensorflow as tf

import triggers
from tests import child_run
from tests import job_kill_test
from tests import train_eval_test

NUM_ITERATIONS = job_kill_test.NUM_ITERATIONS
WAIT_SECS = 900
# Ray's prefix of an actor's lines, e.g. '(collect-1 pid=1234)' or
# '(collect-1 pid=1234, ip=10.0.0.2)'.
PREFIX = re.compile(r'\((\w+(?:-\d+)?) pid=(\d+)')


def running(pids):
  """Those of `pids` still running (an exited process not yet reaped is not)."""
  found = []
  for pid in pids:
    try:
      if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        found.append(pid)
    except psutil.NoSuchProcess:
      pass
  return found


class RayFaultsTest(child_run.ChildRunTestCase):

  wait_secs = WAIT_SECS
  poll_secs = 0.5

  def start(self, flags):
    return self.start_command(train_eval_test.command(
        self.root_dir, bindings=job_kill_test.BINDINGS,
        flags=['--collectors=2', '--launcher=ray', *flags]))

  def assert_finished(self, process):
    self.assertEqual(process.wait(timeout=WAIT_SECS), 0, self.out()[-4000:])
    out = self.out()
    self.assertRegex(out, rf'Finished at train step {NUM_ITERATIONS}\.')
    self.assertIn('[launcher] all jobs stopped.', out)
    policies = os.path.join(self.root_dir, 'policies')
    self.assertEqual(triggers.list_checkpoints(policies)[-1], NUM_ITERATIONS)
    checkpoint = tf.train.latest_checkpoint(
        os.path.join(self.root_dir, 'train', 'checkpoints'))
    self.assertTrue(checkpoint.endswith(f'ckpt-{NUM_ITERATIONS}'))
    tf.train.load_checkpoint(checkpoint)

  def test_every_job_survives_kill_9(self):
    process = self.start([])
    self.wait_for(lambda t: job_kill_test.last_step(t) >= 40,
                  'training reaches step 40', process)
    for job in ('eval', 'collect-1', 'replay', 'train'):
      with self.subTest(job):
        self.wait_for(lambda _, job=job: job_kill_test.started_pids(
            self.root_dir, job), f'{job} has started', process)
        killed = job_kill_test.started_pids(self.root_dir, job)[-1]
        os.kill(killed, signal.SIGKILL)
        self.wait_for(
            lambda _, job=job, killed=killed: job_kill_test.started_pids(
                self.root_dir, job)[-1] != killed,
            f'Ray restarts {job} in a new process', process)
    self.assert_finished(process)
    self.assertIn('Resuming from step', self.out())
    self.assertTrue(job_kill_test.distributed_test.restarted_collector_wrote(
        self.root_dir, 1))
    every_pid = {int(m.group(2)) for m in PREFIX.finditer(self.out())}
    for job in ('replay', 'train', 'collect-0', 'collect-1', 'eval'):
      every_pid.update(job_kill_test.started_pids(self.root_dir, job))
    # Ray's workers end once its raylet has (after the launcher's exit).
    deadline = time.monotonic() + WAIT_SECS
    while running(every_pid) and time.monotonic() < deadline:
      time.sleep(0.5)
    self.assertEqual(running(every_pid), [])

  def test_two_node_cluster_loses_a_node(self):
    cluster = cluster_utils.Cluster(
        initialize_head=True, head_node_args={'num_cpus': 2})
    self.addCleanup(cluster.shutdown)
    worker = cluster.add_node(num_cpus=2)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address)
    self.addCleanup(ray.shutdown)
    process = self.start([f'--ray_address={cluster.address}'])
    self.wait_for(lambda t: job_kill_test.last_step(t) >= 40,
                  'training reaches step 40', process)
    # The GCS's actor table (no dashboard needed, unlike ray.util.state).
    actors = [a for a in ray_private_state.actors(
        actor_state_name='ALIVE').values()
              if a['ActorClassName'] == 'JobActor']
    self.assertLen(actors, 5)
    self.assertLen({a['Address']['NodeID'] for a in actors}, 2,
                   'jobs on both nodes')
    replay_pid = job_kill_test.started_pids(self.root_dir, 'replay')[-1]
    replay_actor, = [a for a in actors if a['Pid'] == replay_pid]
    self.assertEqual(replay_actor['Address']['NodeID'],
                     replay_actor['OwnerAddress']['NodeID'],
                     "the replay job runs on the launcher's node")
    cluster.add_node(num_cpus=2)  # Room for what the lost node ran.
    cluster.remove_node(worker)
    # Restarted, the replay job stays there: its address is the run's.
    os.kill(replay_pid, signal.SIGKILL)
    self.wait_for(lambda _: job_kill_test.started_pids(
        self.root_dir, 'replay')[-1] != replay_pid,
                  'Ray restarts the replay job', process)
    restarted, = [a for a in ray_private_state.actors(
        actor_state_name='ALIVE').values()
                  if a['Pid'] == job_kill_test.started_pids(
                      self.root_dir, 'replay')[-1]]
    self.assertEqual(restarted['Address']['NodeID'],
                     replay_actor['Address']['NodeID'])
    self.assert_finished(process)


if __name__ == '__main__':
  absltest.main()
