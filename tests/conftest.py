"""pytest glue: absltest's flags (e.g. --test_tmpdir) are parsed by absltest.main()
under Bazel; under pytest they keep their defaults."""

from absl import flags


def pytest_configure(config):
  del config
  if not flags.FLAGS.is_parsed():
    flags.FLAGS.mark_as_parsed()
