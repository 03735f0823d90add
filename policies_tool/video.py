"""`policies video`: one episode, rendered offscreen, as an MP4 (H.264) or a GIF."""

import os
from typing import List, Optional

import imageio
import numpy as np
from PIL import Image

from policies_tool import environment
from policies_tool import evaluation
from policies_tool import run_dir as run_dir_lib
from triggers import checkpoint_format

EXTENSIONS = ('.mp4', '.gif')


def record_video(root_dir: str, out: str, checkpoint: str = 'latest',
                 max_steps: Optional[int] = None, fps: int = 30,
                 seed: int = 0) -> int:
  """Renders an episode of the run's environment to `out`, an .mp4 or a .gif.

  MP4 is H.264 (libx264, yuv420p, through imageio's ffmpeg plugin and the
  ffmpeg binary imageio-ffmpeg ships), at the frames' own size; as yuv420p
  needs an even width and height, an odd one gains one black row or column.
  The file appears complete or not at all (written under a temporary name).

  Args:
    root_dir: a train_eval root_dir.
    out: path of the video to write; its extension, .mp4 or .gif (any case),
      picks the format.
    checkpoint: 'latest', 'best' or a train step.
    max_steps: stop after this many steps; None (default) runs the whole
      episode.
    fps: frames per second; default 30.
    seed: environment seed; default 0.

  Returns:
    Frames written: one for the first observation and one per step.

  Raises:
    PoliciesError: `out` is neither .mp4 nor .gif, the environment cannot
      render, or see `environment.load`.
  """
  extension = os.path.splitext(out)[1].lower()
  if extension not in EXTENSIONS:
    raise run_dir_lib.PoliciesError(
        f'--out={out}: name the video .mp4 (H.264) or .gif; those are the '
        'formats written.')
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
  # The extension kept last: imageio picks its plugin by it.
  temp = checkpoint_format.temp_path(os.path.abspath(out)) + extension
  try:
    if extension == '.mp4':
      _write_mp4(frames, temp, fps)
    else:
      _write_gif(frames, temp, fps)
    os.replace(temp, out)
  finally:
    if os.path.exists(temp):
      os.remove(temp)
  return len(frames)


def _frame(env) -> np.ndarray:
  frame = env.render(mode='rgb_array')
  if frame is None:
    raise run_dir_lib.PoliciesError('The environment rendered no frame.')
  return frame


def _write_gif(frames: List[np.ndarray], path: str, fps: int) -> None:
  images = [Image.fromarray(frame) for frame in frames]
  images[0].save(path, format='GIF', save_all=True, append_images=images[1:],
                 duration=max(1, round(1000 / fps)), loop=0)


def _write_mp4(frames: List[np.ndarray], path: str, fps: int) -> None:
  # macro_block_size=1: imageio would otherwise resize to multiples of 16.
  with imageio.get_writer(path, format='FFMPEG', mode='I', fps=fps,
                          codec='libx264', pixelformat='yuv420p',
                          macro_block_size=1) as writer:
    for frame in frames:
      writer.append_data(_even_size(frame))


def _even_size(frame: np.ndarray) -> np.ndarray:
  """`frame` with a black row and/or column added where its size is odd."""
  height, width = frame.shape[:2]
  padding = [(0, height % 2), (0, width % 2)] + [(0, 0)] * (frame.ndim - 2)
  return np.pad(frame, padding)
