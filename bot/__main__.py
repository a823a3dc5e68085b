"""`python -m bot <command>`: the operators' and newcomers' command line (ops/cli)."""

import sys

from ops.cli.parser import main

if __name__ == "__main__":
    sys.exit(main())
