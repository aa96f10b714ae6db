import sys

from movenet.cli import main

sys.exit(main())
