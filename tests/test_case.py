"""Base test case: gin is cleared before and after every test."""

import gin
import tensorflow as tf


class TestCase(tf.test.TestCase):
  """`tf.test.TestCase` that leaves no gin bindings behind."""

  # tf.test.TestCase's TF1 helper; pytest would collect it as a skipped test.
  test_session = None

  def setUp(self):
    super().setUp()
    gin.clear_config()
    self.addCleanup(gin.clear_config)
