"""fsync, so that a published directory survives a power loss, not only a kill.

A rename is atomic, but without fsync a power loss can leave the new name
pointing at files whose data never reached the disk, or undo the rename. As
Orbax and SQLite do: before the rename every file and directory of the new
tree is fsync'd; after it, the directory holding the new name.

Local paths only (`argument_checks.check_local_path`): object stores cannot
rename atomically.
"""

import os


def sync_path(path: str) -> None:
  """fsyncs one file or directory (its data and its entries)."""
  fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if os.path.isdir(path)
                                    else 0))
  try:
    os.fsync(fd)
  finally:
    os.close(fd)


def sync_tree(root: str) -> None:
  """fsyncs every file under `root`, then each directory, `root` last.

  `root` may be a single file.
  """
  if not os.path.isdir(root):
    sync_path(root)
    return
  # Bottom-up: a directory is synced after everything in it.
  for dirpath, _, filenames in os.walk(root, topdown=False):
    for name in filenames:
      sync_path(os.path.join(dirpath, name))
    sync_path(dirpath)


def sync_parent(path: str) -> None:
  """fsyncs the directory that holds `path`: makes its (re)naming durable."""
  sync_path(os.path.dirname(os.path.abspath(path)))


def rename(source: str, destination: str) -> None:
  """Renames a complete file or tree into place durably: sync, rename, sync the parent.

  Raises:
    OSError: as `os.rename` (e.g. `destination` is a non-empty directory).
  """
  sync_tree(source)
  os.rename(source, destination)
  sync_parent(destination)


def make_dirs(path: str) -> None:
  """`os.makedirs(path, exist_ok=True)`, with each directory created made durable."""
  path = os.path.abspath(path)
  missing = []
  while not os.path.isdir(path):
    missing.append(path)
    parent = os.path.dirname(path)
    if parent == path:
      break
    path = parent
  for directory in reversed(missing):
    try:
      os.mkdir(directory)
    except FileExistsError:
      if not os.path.isdir(directory):
        raise
    sync_parent(directory)
