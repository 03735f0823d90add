"""Kills a saving child process at random moments and checks what is on disk."""

import os
import random
import signal
import subprocess
import sys
import time

from tf_agents.policies import policy_loader

import triggers
from triggers import checkpoint_format
from tests import save_loop
from tests import subprocesses


def start_child(saved_model_dir: str, mode: str,
                *args: str) -> subprocess.Popen:
  return subprocess.Popen(
      [sys.executable, '-m', 'tests.save_loop', saved_model_dir, mode, *args],
      cwd=subprocesses.REPO_ROOT, env=subprocesses.python_env(), stdout=subprocess.PIPE,
      stderr=subprocess.DEVNULL, text=True)


def kill_at_random(saved_model_dir: str, rng: random.Random) -> str:
  """Starts the child and SIGKILLs it; returns when in its life it died.

  A quarter of the kills land at a random time of start-up; the others inside
  a checkpoint write, at a stage and write chosen at random: the child says
  when it is there (`save_loop.STAGES`), and waits to be killed.
  """
  if rng.random() < 0.25:
    # During start-up: imports, agent, possibly the SavedModel export.
    child = start_child(saved_model_dir, 'loop')
    time.sleep(rng.uniform(0.5, 8.0))
    moment = 'start-up'
  else:
    stage = rng.choice(sorted(save_loop.STAGES))
    child = start_child(saved_model_dir, 'loop', stage,
                        str(rng.randint(1, 3)))
    lines = []
    for line in child.stdout:  # 'ready', 'saved N'... then 'in-write'.
      lines.append(line.strip())
      if lines[-1].startswith('in-write') or len(lines) > 20:
        break  # Past 20 lines the hook never fired: fail, do not hang.
    assert lines and lines[-1] == f'in-write {stage}', lines[-5:]
    moment = f'inside a write: {stage}'
  child.send_signal(signal.SIGKILL)
  child.communicate()
  return moment


def check_after_kill(test, saved_model_dir: str) -> None:
  """No partial checkpoint is listed or loadable; the latest listed one loads."""
  listed = triggers.list_checkpoints(saved_model_dir)
  for step in listed:
    triggers.verify_checkpoint(saved_model_dir, step)  # Complete, uncorrupted.
  # tf_agents' own way of finding the newest: every policy_checkpoint_* name.
  checkpoints_dir = os.path.join(saved_model_dir, 'checkpoints')
  names = sorted(n for n in (os.listdir(checkpoints_dir)
                             if os.path.isdir(checkpoints_dir) else [])
                 if n.startswith('policy_checkpoint_'))
  test.assertEqual(names, [checkpoint_format.checkpoint_name(s) for s in listed])
  for name in ('policy', 'greedy_policy', 'collect_policy'):
    path = os.path.join(saved_model_dir, name)
    if os.path.exists(path):
      test.assertTrue(os.path.exists(os.path.join(path, 'policy_specs.pbtxt')),
                      f'incomplete SavedModel {path}')
  if listed:
    policy = policy_loader.load(
        os.path.join(saved_model_dir, 'policy'),
        triggers.checkpoint_path(saved_model_dir, listed[-1]))
    test.assertEqual(policy.get_train_step(), listed[-1])


def run_trials(test, trials: int, seed: int) -> None:
  """`trials` kills of one child after another, all saving into one directory."""
  rng = random.Random(seed)
  saved_model_dir = test.create_tempdir().full_path
  moments = []
  for trial in range(trials):
    moments.append(kill_at_random(saved_model_dir, rng))
    with test.subTest(trial=trial, moment=moments[-1]):
      check_after_kill(test, saved_model_dir)
  test.assertTrue(any(m.startswith('inside a write') for m in moments),
                  moments)
  test.assertNotEmpty(triggers.list_checkpoints(saved_model_dir))
