"""Finds gin files, parses them strictly, and records the operative config."""

import os
from typing import List, Optional, Sequence

import gin
import tensorflow as tf

import configs


class ConfigError(ValueError):
  """The gin files or bindings cannot be used; the message says why and what to fix."""


def available_configs() -> List[str]:
  """Names of the packaged experiment configs, e.g. 'sac_minitaur.gin'."""
  return sorted(n for n in os.listdir(configs.CONFIGS_DIR) if n.endswith('.gin'))


def resolve_gin_file(name: str) -> str:
  """A path to the gin file `name`: as given if it exists, else a packaged config.

  Raises:
    ConfigError: neither exists.
  """
  if os.path.isfile(name):
    return name
  packaged = os.path.join(configs.CONFIGS_DIR, name)
  if os.path.isfile(packaged):
    return packaged
  raise ConfigError(
      f'--gin_file={name}: no such file, and no packaged config of that name. '
      f'Packaged configs: {", ".join(available_configs())}.')


def parse(gin_files: Sequence[str], bindings: Sequence[str]) -> List[str]:
  """Parses `gin_files` then `bindings`, refusing anything gin does not know.

  Packaged configs resolve from any working directory, and so do their
  includes, which name fragments by package path ('configs/fragments/...').
  Every configurable must already be imported.

  Returns:
    The resolved gin file paths.

  Raises:
    ConfigError: a missing file, an unknown configurable or parameter, or a
      malformed binding; the message holds gin's and the offending text.
  """
  paths = [resolve_gin_file(name) for name in gin_files]
  for path in paths:
    _parse_one(lambda p=path: gin.parse_config_file(p, skip_unknown=False),
               f'gin file {path}')
  for binding in bindings:
    _parse_one(lambda b=binding: gin.parse_config(b, skip_unknown=False),
               f'--gin_bindings "{binding}"')
  gin.finalize()
  return paths


def _parse_one(parse_fn, where: str) -> None:
  try:
    parse_fn()
  except (ValueError, SyntaxError, IOError, KeyError) as e:
    detail = str(e)
    if isinstance(e, SyntaxError) and e.text:
      detail += f'\n    {e.text.rstrip()}'
    raise ConfigError(f'In {where}: {type(e).__name__}: {detail}') from e


def write_operative_config(root_dir: str,
                           summary_writer: Optional[tf.summary.SummaryWriter],
                           step: int) -> str:
  """Writes gin's operative config to `root_dir/operative_config.gin`, atomically.

  Also writes it as the TensorBoard text summary `gin/operative_config` when a
  summary writer is given.

  Returns:
    The path written.
  """
  text = gin.operative_config_str()
  path = os.path.join(root_dir, 'operative_config.gin')
  temp = path + '.tmp'
  with tf.io.gfile.GFile(temp, 'w') as f:
    f.write(text)
  tf.io.gfile.rename(temp, path, overwrite=True)
  if summary_writer is not None:
    # Markdown: indented lines render as code in TensorBoard's text plugin.
    markdown = '\n'.join('    ' + line for line in text.splitlines())
    with summary_writer.as_default():
      tf.summary.text('gin/operative_config', markdown, step=step)
    summary_writer.flush()
  return path
