"""`policies evaluate`: runs episodes of the run's environment with a saved policy."""

import sys
from typing import Any, Callable, Dict, Optional, TextIO

import numpy as np

from policies_tool import environment
from policies_tool import run_dir as run_dir_lib


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


class ProgressBar:
  """Episodes done of total and the mean return: one live line on a terminal.

  On a terminal each update rewrites the line in place (a carriage return
  first) and `close` ends it with one newline; elsewhere (a log file, a pipe)
  each update is a line of its own. With no stream, nothing is written.
  (train_eval's `console.Console` bar counts train steps with a speed and an
  ETA; this one counts episodes.)
  """

  def __init__(self, stream: Optional[TextIO], label: str, total: int,
               width: int = 20, live: Optional[bool] = None):
    """Writes nothing yet.

    Args:
      stream: where the line goes, e.g. sys.stderr; None for nowhere.
      label: what is evaluated, e.g. 'step 5000'.
      total: episodes to run, at least 1.
      width: characters of the bar; default 20.
      live: rewrite the line in place; by default when `stream` is a terminal.
    """
    self._stream = stream
    self._label = label
    self._total = total
    self._width = width
    if live is None:
      live = stream is not None and stream.isatty()
    self._live = live
    self._written = 0  # Length of the live line on screen; 0 if none.

  def update(self, done: int, mean_return: float) -> None:
    """Shows `done` of the total episodes and their mean return."""
    if self._stream is None:
      return
    bar = '#' * (self._width * done // self._total)
    line = (f'{self._label}: episode {done}/{self._total} '
            f'[{bar:<{self._width}}] mean return {mean_return:.2f}')
    if self._live:  # Pad over the end of a longer previous line.
      self._stream.write('\r' + line.ljust(self._written))
      self._written = max(self._written, len(line))
    else:
      self._stream.write(line + '\n')
    self._stream.flush()

  def close(self) -> None:
    """Ends the live line, if one was written."""
    if self._stream is not None and self._written:
      self._stream.write('\n')
      self._stream.flush()
      self._written = 0


def evaluate(root_dir: str, checkpoint: str = 'latest', episodes: int = 10,
             seed: int = 0, policy: str = 'greedy_policy',
             progress: Optional[TextIO] = sys.stderr) -> Dict[str, Any]:
  """AverageReturn and AverageEpisodeLength over `episodes` episodes.

  Args:
    root_dir: a train_eval root_dir.
    checkpoint: 'latest', 'best' or a train step.
    episodes: episodes to run, at least 1; default 10.
    seed: environment seed; the same seed gives the same numbers.
    policy: SavedModel the checkpoint loads into; default 'greedy_policy'.
    progress: where the progress bar goes after each episode (updated in
      place on a terminal, a line per episode elsewhere); default sys.stderr;
      None writes nothing.

  Returns:
    {'checkpoint': label, 'step', 'AverageReturn', 'AverageEpisodeLength'}.

  Raises:
    PoliciesError: `episodes` < 1, or see `environment.load`.
  """
  if episodes < 1:
    raise run_dir_lib.PoliciesError(
        f'--episodes={episodes}: give at least 1.')
  selected, loaded, env = environment.load(root_dir, checkpoint, policy)
  bar = ProgressBar(progress, selected.label, episodes)
  try:
    if hasattr(env, 'seed'):
      env.seed(seed)
    results = []
    for done in range(1, episodes + 1):
      results.append(run_episode(loaded, env))
      bar.update(done, float(np.mean([r['return'] for r in results])))
  finally:
    bar.close()
    env.close()
  return {
      'checkpoint': selected.label,
      'step': selected.step,
      'AverageReturn': float(np.mean([r['return'] for r in results])),
      'AverageEpisodeLength': float(np.mean([r['length'] for r in results])),
  }
