"""``python -m symcnn``: the command line (:mod:`symcnn.cli`), as the ``symcnn`` script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
