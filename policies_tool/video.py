"""`policies video`: a GIF of one episode, rendered offscreen from the environment."""

import os
from typing import Optional

from PIL import Image

from policies_tool import environment
from policies_tool import evaluation
from policies_tool import run_dir as run_dir_lib


def record_video(root_dir: str, out: str, checkpoint: str = 'latest',
                 max_steps: Optional[int] = None, fps: int = 30,
                 seed: int = 0) -> int:
  """Renders an episode of the run's environment to the GIF `out`.

  Args:
    root_dir: a train_eval root_dir.
    out: path of the .gif to write.
    checkpoint: 'latest', 'best' or a train step.
    max_steps: stop after this many steps; None runs the whole episode.
    fps: frames per second of the GIF; default 30.
    seed: environment seed.

  Returns:
    Frames written: one for the first observation and one per step.

  Raises:
    PoliciesError: `out` is not a .gif, or the environment cannot render.
  """
  if not out.lower().endswith('.gif'):
    raise run_dir_lib.PoliciesError(
        f'--out={out}: only GIF is written (MP4 needs ffmpeg, which this '
        'stack does not ship); use a .gif name.')
  os.environ.setdefault('SDL_VIDEODRIVER', 'dummy')  # pygame, offscreen.
  _, policy, env = environment.load(root_dir, checkpoint)
  try:
    if hasattr(env, 'seed'):
      env.seed(seed)
    frames = []
    evaluation.run_episode(policy, env, max_steps,
                           on_time_step=lambda: frames.append(_frame(env)))
  finally:
    env.close()
  images = [Image.fromarray(frame) for frame in frames]
  images[0].save(out, save_all=True, append_images=images[1:],
                 duration=max(1, round(1000 / fps)), loop=0)
  return len(images)


def _frame(env):
  frame = env.render(mode='rgb_array')
  if frame is None:
    raise run_dir_lib.PoliciesError('The environment rendered no frame.')
  return frame
