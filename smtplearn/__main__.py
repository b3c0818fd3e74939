"""``python -m smtplearn`` runs the command line (see smtplearn/cli.py)."""

import sys

from smtplearn.cli import main

sys.exit(main())
