from notifications.testing import smtp_server  # noqa: F401  (a fixture)
