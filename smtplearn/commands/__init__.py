"""One module per command-line subcommand; see smtplearn/cli.py."""
