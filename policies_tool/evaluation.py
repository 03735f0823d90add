"""`policies evaluate`: runs episodes of the run's environment with a saved policy."""

import sys
from typing import Any, Callable, Dict, Optional, TextIO

import numpy as np

from policies_tool import environment


def run_episode(policy, env, max_steps: Optional[int] = None,
                on_time_step: Optional[Callable[[], None]] = None
                ) -> Dict[str, float]:
  """One episode, or its first `max_steps` steps.

  Args:
    policy: a py policy (e.g. from `policy_loader.load`).
    env: a py environment.
    max_steps: stop after this many steps; None (default) for the episode.
    on_time_step: called after the reset and after each step (e.g. to render).

  Returns:
    {'return': summed reward, 'length': steps taken}.
  """
  time_step = env.reset()
  if on_time_step:
    on_time_step()
  state = policy.get_initial_state(env.batch_size or 1)
  total, length = 0.0, 0
  while not time_step.is_last() and (max_steps is None or length < max_steps):
    action_step = policy.action(time_step, state)
    state = action_step.state
    time_step = env.step(action_step.action)
    total += float(np.sum(time_step.reward))
    length += 1
    if on_time_step:
      on_time_step()
  return {'return': total, 'length': length}


def evaluate(root_dir: str, checkpoint: str = 'latest', episodes: int = 10,
             seed: int = 0, policy: str = 'greedy_policy',
             progress: TextIO = sys.stderr) -> Dict[str, Any]:
  """AverageReturn and AverageEpisodeLength over `episodes` episodes.

  Args:
    root_dir: a train_eval root_dir.
    checkpoint: 'latest', 'best' or a train step.
    episodes: episodes to run; default 10.
    seed: environment seed; the same seed gives the same numbers.
    policy: SavedModel the checkpoint loads into; default 'greedy_policy'.
    progress: where the progress bar goes; None for none.

  Returns:
    {'checkpoint': label, 'step', 'AverageReturn', 'AverageEpisodeLength'}.
  """
  selected, loaded, env = environment.load(root_dir, checkpoint, policy)
  try:
    if hasattr(env, 'seed'):
      env.seed(seed)
    results = []
    for episode in range(episodes):
      results.append(run_episode(loaded, env))
      if progress:
        done = episode + 1
        bar = '#' * (20 * done // episodes)
        progress.write(f'\r{selected.label}: episode {done}/{episodes} '
                       f'[{bar:<20}]')
        progress.flush()
    if progress:
      progress.write('\n')
  finally:
    env.close()
  return {
      'checkpoint': selected.label,
      'step': selected.step,
      'AverageReturn': float(np.mean([r['return'] for r in results])),
      'AverageEpisodeLength': float(np.mean([r['length'] for r in results])),
  }
