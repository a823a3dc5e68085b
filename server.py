"""Run the 融信服 WeChat bot (the composition lives in `wiring/`).

    python server.py              # the embedded default: no configuration needed
    RXF_ENV=prod ... python server.py --workers 4
"""

import sys

from wiring.serve import main

if __name__ == "__main__":
    sys.exit(main())
