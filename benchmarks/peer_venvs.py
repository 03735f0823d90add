"""The peers' own virtualenvs (benchmarks/.venvs/NAME), never the project's .venv.

Each side lists its pip installs in order; a venv whose marker file holds the
same list is reused. torch comes first and alone: pip then takes the CPU
wheel of that version instead of the CUDA build a later resolve would pull.

  .venv/bin/python -m benchmarks.peer_venvs sb3 sbx    # creates or reuses both
"""

import json
import os
import subprocess
import sys
from typing import List

from benchmarks import common

VENVS_DIR = os.path.join(common.REPO_ROOT, 'benchmarks', '.venvs')
# The environment every peer runs: MinitaurBulletEnv from pybullet's classic
# pybullet_envs (gym 0.23), as tf_agents' suite_pybullet loads it.
# pybullet_envs imports pkg_resources, which setuptools 81 removed.
ENVIRONMENT = ['gym==0.23.0', 'pybullet==3.2.7', 'gymnasium==1.2.2',
               'setuptools==80.9.0']
TORCH_CPU = ['torch==2.13.0']
JAX_CPU = ['jax==0.10.2', 'jaxlib==0.10.2']
# What each side is: its library and the framework under it.
PACKAGES = {'sb3': ['stable-baselines3==2.9.2', *TORCH_CPU],
            'sbx': ['sbx-rl==0.28.0', *JAX_CPU]}
INSTALLS = {
    'sb3': [TORCH_CPU, PACKAGES['sb3'] + ENVIRONMENT],
    # SBX needs stable-baselines3, hence torch, whose CPU wheel comes first.
    'sbx': [TORCH_CPU, JAX_CPU, PACKAGES['sbx'] + TORCH_CPU + ENVIRONMENT],
}
MARKER = 'installed.json'


def description(name: str) -> str:
  """E.g. 'stable-baselines3==2.9.2, torch==2.13.0 (CPU, 1 thread)'."""
  return ', '.join(PACKAGES[name]) + ' (CPU, 1 thread)'


def python(name: str) -> str:
  return os.path.join(VENVS_DIR, name, 'bin', 'python')


def ensure(name: str, log=print) -> str:
  """Creates (or reuses) side `name`'s venv; returns its python."""
  directory = os.path.join(VENVS_DIR, name)
  marker = os.path.join(directory, MARKER)
  wanted = INSTALLS[name]
  if os.path.exists(marker):
    with open(marker) as f:
      if json.load(f) == wanted:
        return python(name)
  log(f'Installing {name} into {directory}')
  subprocess.run([sys.executable, '-m', 'venv', '--clear', directory], check=True)
  for packages in wanted:
    subprocess.run([python(name), '-m', 'pip', 'install', '-q',
                    '--disable-pip-version-check', *packages], check=True)
  with open(marker, 'w') as f:
    json.dump(wanted, f)
  return python(name)


def main(argv: List[str]) -> int:
  for name in argv[1:] or sorted(INSTALLS):
    print(name, ensure(name))
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
