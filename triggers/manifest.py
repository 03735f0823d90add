"""`manifest.json` inside each checkpoint: what it holds, readable without TensorFlow.

  {"format": 1, "step": 5000, "wall_time": 1795471941.7,
   "metadata": {"env_step": 5012}, "gin_config_sha256": "…" or null,
   "total_bytes": 123456,
   "files": {"variables/variables.index": {"bytes": 1234, "sha256": "…"}, …}}

Written into the temporary directory before it is renamed into place, so a
complete checkpoint always has one. Plain JSON and stdlib only.
"""

import hashlib
import json
import os
import time
from typing import Any, Dict, Mapping, Optional

FILENAME = 'manifest.json'
FORMAT = 1


class VerificationError(ValueError):
  """A checkpoint's files do not match its manifest."""


def _sha256(path: str) -> str:
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def _files(directory: str) -> Dict[str, Dict[str, Any]]:
  files = {}
  for dirpath, _, filenames in os.walk(directory):
    for name in sorted(filenames):
      path = os.path.join(dirpath, name)
      relative = os.path.relpath(path, directory)
      if relative == FILENAME:
        continue
      files[relative] = {'bytes': os.path.getsize(path),
                         'sha256': _sha256(path)}
  return dict(sorted(files.items()))


def gin_config_sha256(gin_config: Optional[str]) -> Optional[str]:
  """The manifest's `gin_config_sha256` of an operative gin config; None if empty."""
  return hashlib.sha256(gin_config.encode()).hexdigest() if gin_config else None


def write(directory: str, step: int, metadata: Mapping[str, Any],
          gin_config_sha256: Optional[str] = None,
          wall_time: Optional[float] = None) -> Dict[str, Any]:
  """Describes the files now in `directory` in `directory/manifest.json`.

  Args:
    directory: the checkpoint directory (still under its temporary name).
    step: the train step it holds.
    metadata: name -> JSON-serialisable scalar (the metadata metrics).
    gin_config_sha256: see `gin_config_sha256`; None (default) for none.
    wall_time: seconds since the epoch; now by default.

  Returns:
    The manifest.
  """
  files = _files(directory)
  content = {
      'format': FORMAT,
      'step': int(step),
      'wall_time': time.time() if wall_time is None else wall_time,
      'metadata': dict(metadata),
      'gin_config_sha256': gin_config_sha256,
      'total_bytes': sum(f['bytes'] for f in files.values()),
      'files': files,
  }
  with open(os.path.join(directory, FILENAME), 'w') as f:
    json.dump(content, f, indent=1, sort_keys=True)
  return content


def read(directory: str) -> Dict[str, Any]:
  """The manifest of the checkpoint in `directory`.

  Raises:
    FileNotFoundError: there is none (e.g. a checkpoint tf_agents wrote).
  """
  with open(os.path.join(directory, FILENAME)) as f:
    return json.load(f)


def verify(directory: str) -> Dict[str, Any]:
  """Checks every file's size and SHA-256 against the manifest; returns it.

  Raises:
    FileNotFoundError: no manifest.
    VerificationError: a file is missing, extra, or differs.
  """
  content = read(directory)
  expected = content['files']
  found = _files(directory)
  problems = []
  for name in sorted(set(expected) | set(found)):
    if name not in found:
      problems.append(f'{name} is missing')
    elif name not in expected:
      problems.append(f'{name} is not in the manifest')
    elif found[name] != expected[name]:
      problems.append(f'{name} differs from the manifest')
  if problems:
    raise VerificationError(f'{directory}: ' + '; '.join(problems))
  return content
