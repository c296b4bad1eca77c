"""`python -m ardenne_kpi`: the command line (ardenne_kpi/cli)."""

import sys

from ardenne_kpi.cli import main

if __name__ == "__main__":
    sys.exit(main())
