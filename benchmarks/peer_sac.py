r"""SAC minitaur in stable-baselines3 or SBX, with the tutorial's hyperparameters.

Runs in a peer's own virtualenv (benchmarks/peer_venvs.py), never in ours: it
imports neither TensorFlow nor this repository. The environment is pybullet's
classic MinitaurBulletEnv-v0 (gym 0.23, 1,000-step time limit), as
tf_agents' suite_pybullet loads it, behind a thin gymnasium wrapper. The
agent: actor and critics (256, 256), Adam 3e-4 for all three losses, batch
256, tau 0.005 every step, gamma 0.99, two critics, the entropy coefficient
learned towards tf_agents' target entropy -dim(A)/2, replay 10,000 in the
library's own buffer, `--initial_collect_steps` uniform random actions, then
one environment step and one gradient step per iteration; one CPU thread.

Prints `[12.3s] step = N: loss = n/a` every `--log_interval` gradient steps
(the tutorial loop's format, which benchmarks/actor_learner.py reads).

  benchmarks/.venvs/sb3/bin/python -m benchmarks.peer_sac --library=sb3 \
      --num_iterations=1000 --initial_collect_steps=500 --log_interval=100
"""

import argparse
import os
import sys
import time

# One thread, set before the libraries start their pools.
os.environ.setdefault('OMP_NUM_THREADS', '1')
os.environ.setdefault('MKL_NUM_THREADS', '1')
os.environ.setdefault('JAX_PLATFORMS', 'cpu')
os.environ.setdefault('XLA_FLAGS', '--xla_cpu_multi_thread_eigen=false '
                      'intra_op_parallelism_threads=1')

ENV_NAME = 'MinitaurBulletEnv-v0'


def minitaur():
  """MinitaurBulletEnv-v0 (gym 0.23) as a gymnasium.Env."""
  import gym  # pylint: disable=g-import-not-at-top
  import gymnasium  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  import pybullet_envs  # pylint: disable=g-import-not-at-top,unused-import

  class Minitaur(gymnasium.Env):
    """gym's (obs, reward, done, info) as gymnasium's; truncation from TimeLimit."""

    def __init__(self):
      self._env = gym.make(ENV_NAME)
      box = lambda space: gymnasium.spaces.Box(
          space.low.astype(np.float32), space.high.astype(np.float32),
          dtype=np.float32)
      self.observation_space = box(self._env.observation_space)
      self.action_space = box(self._env.action_space)

    def reset(self, *, seed=None, options=None):
      del options
      if seed is not None:
        self._env.seed(seed)
      return np.asarray(self._env.reset(), np.float32), {}

    def step(self, action):
      observation, reward, done, info = self._env.step(action)
      truncated = bool(info.get('TimeLimit.truncated', False))
      return (np.asarray(observation, np.float32), float(reward),
              done and not truncated, truncated, info)

    def close(self):
      self._env.close()

  return Minitaur()


def build(library: str, env, initial_collect_steps: int, seed: int):
  if library == 'sb3':
    import torch  # pylint: disable=g-import-not-at-top
    from stable_baselines3 import SAC  # pylint: disable=g-import-not-at-top
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    extra = dict(device='cpu')
  else:
    from sbx import SAC  # pylint: disable=g-import-not-at-top
    extra = {}
  action_dims = int(env.action_space.shape[0])
  return SAC('MlpPolicy', env, learning_rate=3e-4, buffer_size=10000,
             learning_starts=initial_collect_steps, batch_size=256, tau=0.005,
             gamma=0.99, train_freq=1, gradient_steps=1, ent_coef='auto',
             target_entropy=-action_dims / 2,
             policy_kwargs=dict(net_arch=[256, 256]), seed=seed, verbose=0,
             **extra)


def main(argv=None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--library', choices=('sb3', 'sbx'), required=True)
  parser.add_argument('--num_iterations', type=int, default=100000)
  parser.add_argument('--initial_collect_steps', type=int, default=10000)
  parser.add_argument('--log_interval', type=int, default=5000)
  parser.add_argument('--seed', type=int, default=0)
  args = parser.parse_args(argv)
  start = time.monotonic()
  log = lambda line: print(f'[{time.monotonic() - start:.1f}s] {line}', flush=True)
  from stable_baselines3.common.callbacks import BaseCallback  # pylint: disable=g-import-not-at-top

  class Progress(BaseCallback):
    """Prints the gradient steps done every `log_interval` of them."""

    def __init__(self):
      super().__init__()
      self._printed = 0

    def _on_step(self) -> bool:
      updates = self.model._n_updates  # pylint: disable=protected-access
      if updates >= self._printed + args.log_interval:
        self._printed = updates - updates % args.log_interval
        log(f'step = {self._printed}: loss = n/a')
      return True

  env = minitaur()
  model = build(args.library, env, args.initial_collect_steps, args.seed)
  log('built')
  # Each iteration after the random steps: one environment step, then one
  # gradient step; the callback sees the updates before the last iteration's.
  model.learn(total_timesteps=args.initial_collect_steps + args.num_iterations + 1,
              callback=Progress())
  log('done')
  env.close()
  return 0


if __name__ == '__main__':
  sys.exit(main())
