"""The `aia` command. Nothing else imports this package."""
